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
import java.time.OffsetDateTime;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Reads the outbox backlog, the policy counts and the time-driven lag every few seconds and
 * exposes them as gauges ({@code /q/metrics}), to the outbox health check and to {@code /ops/status}.
 */
@ApplicationScoped
public class OpsMonitor {

    private static final Logger LOG = Logger.getLogger(OpsMonitor.class);

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
        refresh();
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
        Object[] outbox = (Object[]) em.createNativeQuery(
                "SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0) FROM outbox").getSingleResult();
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
        return new OpsSnapshot(((Number) outbox[0]).longValue(), ((Number) outbox[1]).doubleValue(),
                ((Number) counts[0]).longValue(), ((Number) counts[1]).longValue(), lag, now);
    }
}
