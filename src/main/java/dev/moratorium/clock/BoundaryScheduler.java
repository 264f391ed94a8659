package dev.moratorium.clock;

import dev.moratorium.store.ReadOnlyConnections;
import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.Sanitize;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Looks for due boundaries (effectiveFrom, effectiveUntil, reminders) every tick — 1 s by default,
 * well inside the contract's 5 s — and applies them. Replicas may all tick: the writers' lock
 * makes them take turns, and a policy once advanced is no longer due.
 */
@ApplicationScoped
public class BoundaryScheduler {

    private static final Logger LOG = Logger.getLogger(BoundaryScheduler.class);
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "Time-driven changes not applied");

    @Inject
    DueBoundaries dueBoundaries;

    @Inject
    ReadOnlyConnections readOnlyConnections;

    @Scheduled(every = "${moratorium.clock.tick}", delayed = "1s",
            skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        try {
            while (dueBoundaries.applyDue() == DueBoundaries.BATCH) {
                // a full batch: more may be due right now
            }
            failureLog.succeeded();
        } catch (RuntimeException e) {
            readOnlyConnections.renewIfReadOnly(e);
            failureLog.failed("trying again next tick: " + Sanitize.forLog(e.getMessage()));
        }
    }
}
