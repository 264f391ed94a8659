package dev.moratorium.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moratorium.clock.Wall;
import dev.moratorium.outbox.ChangeSignal;
import dev.moratorium.store.NotificationEntity;
import dev.moratorium.store.ReadOnlyConnections;
import dev.moratorium.store.WebhookSubscriptionEntity;
import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.WireJson;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * A bounded pool of delivery threads. Each takes one due subscription at a time and delivers the
 * notifications after its cursor that match its filters, one by one in seq (commit) order, so a
 * policy's notifications arrive in order; it stops at the first failure and schedules a retry.
 * Ingest never waits on any of this: the workers only read the notification table. A slow or
 * hanging receiver holds one thread for at most the request timeout per attempt; the others go on
 * serving other subscribers.
 */
@ApplicationScoped
public class DeliveryWorkers {

    private static final Logger LOG = Logger.getLogger(DeliveryWorkers.class);
    /** One for all workers: an outage is one failing spell, not one per worker. */
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "Webhook delivery round failed");

    @Inject
    WebhookSettings settings;

    @Inject
    DeliveryLedger ledger;

    @Inject
    ChangeSignal signal;

    @Inject
    WebhookMetrics metrics;

    @Inject
    ReadOnlyConnections readOnlyConnections;

    @Inject
    TargetGuard guard;

    @Inject
    Vertx vertx;

    @Inject
    @Wall
    Clock wall;

    private final String holder = "webhooks-" + UUID.randomUUID();
    private final List<Thread> threads = new ArrayList<>();
    private final IdleWorkers idle = new IdleWorkers();
    /**
     * Whether a subscription was ACTIVE when last looked (at most a poll interval ago): while none
     * is, a commit wakes no worker, and each worker only looks again when its poll interval ends.
     */
    private volatile boolean anyActive = true;
    private volatile long activeCheckedAt;
    private volatile boolean running;
    private WebhookSender sender;
    private Backoff backoff;

    void start(@Observes StartupEvent event) {
        if (!settings.enabled()) {
            LOG.info("Webhook delivery is off (moratorium.webhooks.enabled=false)");
            return;
        }
        // fails the start when the lease is not longer than one attempt may take
        sender = new WebhookSender(AttemptBudget.of(settings), guard, wall, vertx,
                WebhookSender.options(settings.workers()));
        backoff = new Backoff(settings.initialBackoff(), settings.maxBackoff(),
                () -> ThreadLocalRandom.current().nextDouble());
        running = true;
        signal.onChange(() -> {
            if (anyActive) {
                idle.wakeOne();
            }
        });
        for (int i = 0; i < settings.workers(); i++) {
            Thread t = new Thread(this::loop, "webhook-delivery-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        // A worker waiting on a receiver is interrupted; its subscription's lease is given back by it.
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void loop() {
        while (running) {
            try {
                if (subscriptionsActive() && deliverOne()) {
                    idle.wakeOne(); // more may be due: let the next idle worker look
                } else {
                    idle.await(settings.poll());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return; // interrupted by the stop
                }
                readOnlyConnections.renewIfReadOnly(e);
                failureLog.failed("retrying after " + settings.poll().toMillis() + " ms: " + oneLine(e.getMessage()));
                sleep(settings.poll());
            }
        }
    }

    /** A subscription was created or resumed here: commits wake a worker again from now on. */
    void subscriptionsMayBeActive() {
        anyActive = true;
    }

    /** Looked up again once a poll interval has passed since the last look, by whichever worker comes first. */
    private boolean subscriptionsActive() {
        long now = System.nanoTime();
        if (now - activeCheckedAt >= settings.poll().toNanos()) {
            activeCheckedAt = now;
            anyActive = ledger.anyActive();
            failureLog.succeeded(); // most rounds read nothing: only a read that worked ends a failing spell
        }
        return anyActive;
    }

    /** Claims one due subscription and delivers to it; false if none was due. */
    boolean deliverOne() throws InterruptedException {
        var claimed = ledger.claim(holder, settings.lease());
        failureLog.succeeded();
        if (claimed.isEmpty()) {
            return false;
        }
        Claim claim = claimed.get();
        try {
            deliver(claim);
        } catch (InterruptedException | RuntimeException e) {
            ledger.letGo(claim.id(), holder);
            throw e;
        }
        return true;
    }

    /**
     * One turn: up to batch-size deliveries (and ten times as many notifications looked at), then
     * the subscription goes back to the queue so that others get a turn. Notifications that arrive
     * during the turn are read on without giving the lease back, so a busy subscriber costs one
     * transaction per delivery, not a claim and a release each.
     */
    private void deliver(Claim claim) throws InterruptedException {
        long passed = claim.deliveredUpTo();
        int failures = claim.attempts();
        Instant failingSince = claim.failingSince();
        int deliveries = settings.batchSize();
        int looks = 10 * settings.batchSize();
        List<NotificationEntity> batch = ledger.after(passed, settings.batchSize());
        turn: while (!batch.isEmpty()) {
            for (NotificationEntity n : batch) {
                if (deliveries <= 0 || looks-- <= 0) {
                    break turn;
                }
                if (!claim.filter().matches(n.type, vendorOf(n.payload))) {
                    passed = n.seq;
                    continue;
                }
                if (!running) {
                    ledger.letGo(claim.id(), holder);
                    return;
                }
                int attemptNumber = failures + 1;
                Attempt attempt = sender.send(claim, n.notificationId, n.payload.getBytes(StandardCharsets.UTF_8));
                if (attempt.delivered()) {
                    metrics.delivered(claim.id());
                    if (!ledger.delivered(claim, holder, n, attemptNumber, attempt, settings.lease())) {
                        ledger.letGo(claim.id(), holder);
                        return;
                    }
                    passed = n.seq;
                    failures = 0;
                    failingSince = null;
                    deliveries--;
                    continue;
                }
                metrics.failed(claim.id());
                Instant since = failingSince == null ? attempt.at() : failingSince;
                if (attempt.gone()) {
                    LOG.warnf("Webhook subscription %s disabled: its receiver answered 410 Gone", claim.id());
                    ledger.failed(claim, holder, n, attemptNumber, attempt, WebhookSubscriptionEntity.DISABLED, since,
                            attempt.at());
                } else if (Duration.between(since, attempt.at()).compareTo(settings.retryFor()) >= 0) {
                    LOG.warnf("Webhook subscription %s is FAILING: deliveries failed for %s (last: %s); parked until resumed",
                            claim.id(), settings.retryFor(), oneLine(attempt.describe()));
                    ledger.failed(claim, holder, n, attemptNumber, attempt, WebhookSubscriptionEntity.FAILING, since,
                            attempt.at());
                } else {
                    // counted from the answer (or the timeout), as Retry-After means
                    Duration wait = backoff.after(attemptNumber, attempt.retryAfter());
                    ledger.failed(claim, holder, n, attemptNumber, attempt, WebhookSubscriptionEntity.ACTIVE, since,
                            attempt.answeredAt().plus(wait));
                }
                return;
            }
            batch = ledger.after(passed, settings.batchSize());
        }
        ledger.release(claim, holder, passed);
    }

    private static String vendorOf(String payload) {
        JsonNode vendor = WireJson.parse(payload).get("vendor");
        return vendor == null || vendor.isNull() ? null : vendor.asText();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\p{Cntrl}]", " ");
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
