package dev.moratorium.ops;

import dev.moratorium.store.SqlValues;
import dev.moratorium.wire.Sanitize;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Reads the outbox backlog, the policy counts, the time-driven lag and the open rejections every few seconds and
 * exposes them as gauges ({@code /q/metrics}), to the outbox health check and to {@code /ops/status}.
 */
@ApplicationScoped
public class OpsMonitor {

    private static final Logger LOG = Logger.getLogger(OpsMonitor.class);

    /** Up to this span of ids the backlog is counted row by row (see {@link #outboxBacklog()}). */
    static final int EXACT_BACKLOG_UP_TO = 10_000;

    @Inject
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    MeterRegistry registry;

    private final AtomicReference<OpsSnapshot> latest = new AtomicReference<>(OpsSnapshot.empty());

    void registerGauges(@Observes StartupEvent event) {
        Gauge.builder("moratorium.outbox.backlog", latest, s -> s.get().outboxBacklog())
                .description("Outbox rows committed but not yet published").register(registry);
        Gauge.builder("moratorium.outbox.oldest.age", latest, s -> s.get().outboxOldestAgeSeconds())
                .baseUnit("seconds").description("Age of the oldest unpublished outbox row").register(registry);
        Gauge.builder("moratorium.moratoria.active", latest, s -> s.get().activeMoratoria())
                .description("Moratoria in force (status ACTIVE)").register(registry);
        Gauge.builder("moratorium.moratoria.scheduled", latest, s -> s.get().scheduledMoratoria())
                .description("Announced moratoria not yet in force (status SCHEDULED)").register(registry);
        Gauge.builder("moratorium.time.driven.lag", latest, s -> s.get().timeDrivenLagSeconds())
                .baseUnit("seconds").description("How far the oldest due boundary is behind the service clock")
                .register(registry);
        // The first read off the start's main thread (it took 40 ms there), beside the rest of the
        // start: it is done long before the HTTP port opens and readiness can be asked.
        Thread first = new Thread(this::refresh, "ops-monitor-first-read");
        first.setDaemon(true);
        first.start();
    }

    @Scheduled(every = "5s", skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        try {
            latest.set(QuarkusTransaction.requiringNew().call(this::read));
        } catch (RuntimeException e) {
            LOG.debugf("Operational figures not refreshed: %s", Sanitize.forLog(e.getMessage()));
        }
    }

    public OpsSnapshot latest() {
        return latest.get();
    }

    private OpsSnapshot read() {
        Instant now = clock.instant();
        OutboxBacklog outbox = outboxBacklog();
        // Counts per status are kept by the database (V5): two rows read, however many policies.
        Object[] counts = (Object[]) em.createNativeQuery("SELECT"
                + " coalesce(sum(policies) FILTER (WHERE status = 'ACTIVE'), 0),"
                + " coalesce(sum(policies) FILTER (WHERE status = 'SCHEDULED'), 0)"
                + " FROM policy_status_count").getSingleResult();
        // min() over the partial index policy_next_due_idx: its first entry, not a scan.
        Object nextDue = em.createNativeQuery("SELECT min(next_due_at) FROM policy WHERE next_due_at IS NOT NULL")
                .getSingleResult();
        double lag = 0;
        if (nextDue != null) {
            Instant due = SqlValues.instant(nextDue);
            lag = Math.max(0, Duration.between(due, now).toMillis() / 1000.0);
        }
        // through the partial index rejection_open_idx (V13): at most cap + 1 entries, never the resolved ones
        long open = ((Number) em.createNativeQuery("SELECT count(*) FROM (SELECT 1 FROM rejection"
                + " WHERE status = 'OPEN' LIMIT :limit) AS r").setParameter("limit", OpsSnapshot.OPEN_REJECTIONS_CAP + 1)
                .getSingleResult()).longValue();
        return new OpsSnapshot(outbox.rows(), outbox.oldestAgeSeconds(),
                ((Number) counts[0]).longValue(), ((Number) counts[1]).longValue(), lag,
                Math.min(open, OpsSnapshot.OPEN_REJECTIONS_CAP), open <= OpsSnapshot.OPEN_REJECTIONS_CAP, now);
    }

    /**
     * The outbox's backlog from the ends of its primary key, not from a count of the table: in an
     * outage the outbox holds every change since Kafka went away, and every row the relay deleted
     * stays in the heap until a vacuum (a count(*) took 23 ms with an empty outbox after a
     * 120,000-event replay). The first row by id is the oldest unpublished one (ids are commit
     * order, the relay deletes in id order). The rows are counted, by the index, while the ids
     * span at most {@link #EXACT_BACKLOG_UP_TO}; beyond that the backlog is the span itself, an
     * upper bound off only by the ids of rolled-back writes and parked rows.
     */
    OutboxBacklog outboxBacklog() {
        @SuppressWarnings("unchecked")
        List<Object[]> first = em.createNativeQuery("SELECT o.id, (SELECT max(id) FROM outbox),"
                + " extract(epoch FROM clock_timestamp() - o.created_at) FROM outbox o ORDER BY o.id LIMIT 1")
                .getResultList();
        if (first.isEmpty()) {
            return new OutboxBacklog(0, 0);
        }
        long min = ((Number) first.get(0)[0]).longValue();
        long max = ((Number) first.get(0)[1]).longValue();
        double age = Math.max(0, ((Number) first.get(0)[2]).doubleValue());
        long span = max - min + 1;
        if (span > EXACT_BACKLOG_UP_TO) {
            return new OutboxBacklog(span, age);
        }
        long rows = ((Number) em.createNativeQuery("SELECT count(*) FROM outbox WHERE id BETWEEN :min AND :max")
                .setParameter("min", min).setParameter("max", max).getSingleResult()).longValue();
        return new OutboxBacklog(rows, age);
    }

    /** Outbox rows committed and not yet published, and how long the first of them has waited. */
    record OutboxBacklog(long rows, double oldestAgeSeconds) {
    }
}
