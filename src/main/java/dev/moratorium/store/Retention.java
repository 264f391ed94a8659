package dev.moratorium.store;

import dev.moratorium.config.MoratoriumConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Keeps the tables that only grow at a size an operator chose: published notifications older than
 * {@code moratorium.retention.notifications} (the Kafka topic is the durable log; the table serves
 * {@code GET /notifications} and the live stream) and rejections resolved longer ago than
 * {@code moratorium.retention.resolved-rejections}. Open rejections and the history — the audit
 * trail — are never pruned. Rows go a chunk at a time, each in its own short transaction, so a
 * large backlog never holds locks or a connection for long. A notification a webhook subscriber
 * (not disabled) has yet to receive is kept. The webhook delivery log (every attempt, behind
 * {@code GET /subscriptions/{id}/deliveries}) is kept as long as the notifications, except the
 * attempts at what a subscription has not received yet: they say why it is behind. Every replica
 * may run it: deleting the same old rows twice is harmless.
 */
@ApplicationScoped
public class Retention {

    private static final Logger LOG = Logger.getLogger(Retention.class);
    static final int CHUNK = 5_000;

    @Inject
    MoratoriumConfig config;

    @Inject
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    MeterRegistry registry;

    @Scheduled(every = "${moratorium.retention.interval}", delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void prune() {
        try {
            pruneNow();
        } catch (RuntimeException e) {
            LOG.warnf("Retention did not run this time, trying again later: %s", e.getMessage());
        }
    }

    /** @return rows deleted: notifications, resolved rejections, then webhook delivery attempts */
    public long[] pruneNow() {
        // Both are stamped with the service clock (a replayed clock stamps 2020 rows): compare with it, not the wall clock.
        Duration keepNotifications = config.retention().notifications();
        long notifications = keepNotifications.isZero() ? 0 : deleteAll(
                "DELETE FROM notification WHERE seq IN (SELECT seq FROM notification WHERE created_at < ?1"
                        // a webhook subscriber that is paused or failing still needs what it has not received
                        + " AND seq <= (SELECT coalesce(min(delivered_up_to), 9223372036854775807)"
                        + " FROM webhook_subscription WHERE status <> 'DISABLED')"
                        + " ORDER BY created_at LIMIT " + CHUNK + ")", clock.instant().minus(keepNotifications));
        Duration keepRejections = config.retention().resolvedRejections();
        long rejections = keepRejections.isZero() ? 0 : deleteAll(
                "DELETE FROM rejection WHERE id IN (SELECT id FROM rejection WHERE status = 'RESOLVED'"
                        + " AND last_retried_at < ?1 ORDER BY last_retried_at LIMIT " + CHUNK + ")",
                clock.instant().minus(keepRejections));
        // Attempts are stamped with the wall clock (WebhookSender: when the request went out), not the
        // service clock, so they are compared with it: under a replayed clock the service clock says
        // 2020 and would keep every attempt. By id, the order they were written in: the primary key
        // finds each chunk without an index of its own.
        long attempts = keepNotifications.isZero() ? 0 : deleteAll(
                "DELETE FROM webhook_delivery WHERE id IN (SELECT d.id FROM webhook_delivery d WHERE d.attempted_at < ?1"
                        + " AND d.notification_seq <= (SELECT s.delivered_up_to FROM webhook_subscription s"
                        + " WHERE s.id = d.subscription_id) ORDER BY d.id LIMIT " + CHUNK + ")",
                Instant.now().minus(keepNotifications));
        if (notifications + rejections + attempts > 0) {
            LOG.infof("Retention removed %d notifications, %d resolved rejections and %d webhook delivery attempts",
                    notifications, rejections, attempts);
            registry.counter("moratorium.retention.deleted", "table", "notification").increment(notifications);
            registry.counter("moratorium.retention.deleted", "table", "rejection").increment(rejections);
            registry.counter("moratorium.retention.deleted", "table", "webhook_delivery").increment(attempts);
        }
        return new long[] {notifications, rejections, attempts};
    }

    private long deleteAll(String sql, Instant before) {
        long total = 0;
        int deleted;
        do {
            deleted = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(sql)
                    .setParameter(1, before).executeUpdate());
            total += deleted;
        } while (deleted == CHUNK);
        return total;
    }
}
