package dev.moratorium.webhook;

import dev.moratorium.store.SqlValues;
import dev.moratorium.store.WebhookSubscriptionEntity;
import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.Sanitize;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * {@code moratorium.webhook.deliveries} (counter: result delivered/failed, subscription), and,
 * refreshed every 5 s from the database (so every replica reports the same figures):
 * {@code moratorium.webhook.backlog} and {@code moratorium.webhook.oldest.undelivered.seconds} per
 * subscription, {@code moratorium.webhook.subscriptions.failing} (how many are FAILING: the alert's
 * input) and {@code moratorium.webhook.subscriptions} by status.
 */
@ApplicationScoped
public class WebhookMetrics {

    /**
     * The backlog is counted up to this many: a parked subscription may fall far behind, and every
     * replica counts every subscription's backlog every 5 s (up to 1,000,000 index entries each, until
     * session 19). Beyond it the oldest undelivered notification's age says how far behind it is.
     */
    private static final int BACKLOG_COUNT_LIMIT = 10_000;
    private static final Logger LOG = Logger.getLogger(WebhookMetrics.class);

    @Inject
    MeterRegistry registry;

    @Inject
    EntityManager em;

    /** The service clock, which stamps notifications: their age is measured on it, replayed or not. */
    @Inject
    Clock clock;

    private final AtomicLong failing = new AtomicLong();
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "Webhook figures not refreshed");
    private MultiGauge backlog;
    private MultiGauge oldest;
    private MultiGauge byStatus;

    @PostConstruct
    void register() {
        registry.gauge("moratorium.webhook.subscriptions.failing", failing);
        backlog = MultiGauge.builder("moratorium.webhook.backlog")
                .description("Notifications after the subscription's cursor, not yet delivered").register(registry);
        oldest = MultiGauge.builder("moratorium.webhook.oldest.undelivered.seconds")
                .description("Age of the oldest notification not yet delivered to the subscription").register(registry);
        byStatus = MultiGauge.builder("moratorium.webhook.subscriptions")
                .description("Webhook subscriptions by status").register(registry);
    }

    void delivered(String subscriptionId) {
        counter("delivered", subscriptionId).increment();
    }

    void failed(String subscriptionId) {
        counter("failed", subscriptionId).increment();
    }

    private Counter counter(String result, String subscriptionId) {
        return registry.counter("moratorium.webhook.deliveries", "result", result, "subscription", subscriptionId);
    }

    @Scheduled(every = "5s", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void refresh() {
        try {
            QuarkusTransaction.requiringNew().run(this::read);
            failureLog.succeeded();
        } catch (RuntimeException e) {
            // Thrown out of a scheduled method, it was an ERROR with a stack trace every 5 s of an outage.
            failureLog.failed("the figures keep their last values; trying again in 5 s: " + Sanitize.forLog(e.getMessage()));
        }
    }

    private void read() {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("SELECT s.id, s.status,"
                + " (SELECT count(*) FROM (SELECT 1 FROM notification n WHERE n.seq > s.delivered_up_to"
                + "   LIMIT " + BACKLOG_COUNT_LIMIT + ") b),"
                + " (SELECT n.created_at FROM notification n WHERE n.seq > s.delivered_up_to ORDER BY n.seq LIMIT 1)"
                + " FROM webhook_subscription s").getResultList();
        Instant now = clock.instant();
        List<MultiGauge.Row<?>> backlogs = new ArrayList<>();
        List<MultiGauge.Row<?>> ages = new ArrayList<>();
        long[] counts = new long[4];
        List<String> statuses = List.of(WebhookSubscriptionEntity.ACTIVE, WebhookSubscriptionEntity.PAUSED,
                WebhookSubscriptionEntity.FAILING, WebhookSubscriptionEntity.DISABLED);
        for (Object[] row : rows) {
            Tags tags = Tags.of("subscription", (String) row[0], "status", (String) row[1]);
            backlogs.add(MultiGauge.Row.of(tags, ((Number) row[2]).doubleValue()));
            Instant oldestAt = SqlValues.instant(row[3]);
            ages.add(MultiGauge.Row.of(tags, oldestAt == null ? 0 : Math.max(0,
                    Duration.between(oldestAt, now).toMillis() / 1000.0)));
            int i = statuses.indexOf((String) row[1]);
            if (i >= 0) {
                counts[i]++;
            }
        }
        backlog.register(backlogs, true);
        oldest.register(ages, true);
        List<MultiGauge.Row<?>> statusRows = new ArrayList<>();
        for (int i = 0; i < statuses.size(); i++) {
            statusRows.add(MultiGauge.Row.of(Tags.of("status", statuses.get(i)), counts[i]));
        }
        byStatus.register(statusRows, true);
        failing.set(counts[2]);
    }
}
