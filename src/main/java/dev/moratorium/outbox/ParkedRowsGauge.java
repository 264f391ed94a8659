package dev.moratorium.outbox;

import dev.moratorium.wire.Sanitize;
import dev.moratorium.store.ParkedOutbox;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * {@code moratorium.outbox.parked.rows}: outbox rows set aside and waiting for an operator, across
 * all replicas (read from the table every few seconds, and at once after this replica parks or
 * re-drives one). Alert when it is above zero.
 */
@ApplicationScoped
public class ParkedRowsGauge {

    private static final Logger LOG = Logger.getLogger(ParkedRowsGauge.class);

    @Inject
    ParkedOutbox parked;

    @Inject
    MeterRegistry registry;

    private final AtomicLong rows = new AtomicLong();

    void register(@Observes StartupEvent event) {
        Gauge.builder("moratorium.outbox.parked.rows", rows, AtomicLong::get)
                .description("Outbox rows the broker refused, set aside until an operator re-drives them")
                .register(registry);
        refresh();
    }

    @Scheduled(every = "5s", skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void refresh() {
        try {
            rows.set(QuarkusTransaction.requiringNew().call(parked::count));
        } catch (RuntimeException e) {
            LOG.debugf("Parked outbox rows not counted: %s", Sanitize.forLog(e.getMessage()));
        }
    }
}
