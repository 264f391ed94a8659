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
 * re-drives one), counted up to {@link #COUNTED_UP_TO}. Alert when it is above zero.
 */
@ApplicationScoped
public class ParkedRowsGauge {

    private static final Logger LOG = Logger.getLogger(ParkedRowsGauge.class);

    @Inject
    ParkedOutbox parked;

    @Inject
    MeterRegistry registry;

    /** The gauge counts this many rows at most; more are listed by {@code GET /outbox/parked}. */
    static final int COUNTED_UP_TO = 10_000;

    private final AtomicLong rows = new AtomicLong();

    void register(@Observes StartupEvent event) {
        Gauge.builder("moratorium.outbox.parked.rows", rows, AtomicLong::get)
                .description("Outbox rows the broker refused, set aside until an operator re-drives them"
                        + " (counted up to " + COUNTED_UP_TO + ")")
                .register(registry);
        // the first count off the start's main thread, beside the rest of the start (5-10 ms there)
        Thread first = new Thread(this::refresh, "parked-rows-first-count");
        first.setDaemon(true);
        first.start();
    }

    @Scheduled(every = "5s", skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void refresh() {
        try {
            rows.set(QuarkusTransaction.requiringNew().call(() -> parked.countUpTo(COUNTED_UP_TO)));
        } catch (RuntimeException e) {
            LOG.debugf("Parked outbox rows not counted: %s", Sanitize.forLog(e.getMessage()));
        }
    }
}
