package dev.moratorium.write;

import dev.moratorium.outbox.OutboxWriter;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.store.PolicyStore;
import dev.moratorium.store.WriterLock;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The one unit of work every write goes through — ingest, time-driven changes, retries and
 * whatever comes next. In one transaction: take the writers' lock, read the service clock, let the
 * writer load and decide, save each changed policy once (with when its next time-driven change is
 * due), write the outbox rows, and after the commit tell in-process waiters (the relay, the live
 * stream, the access index) through a {@link WritesCommitted} event. A writer supplies only its
 * decisions; it cannot forget a step.
 */
@ApplicationScoped
public class PolicyWrites {

    @Inject
    WriterLock writerLock;

    @Inject
    Clock clock;

    @Inject
    PolicyStore store;

    @Inject
    PolicyDecider decider;

    @Inject
    OutboxWriter outbox;

    @Inject
    Event<WritesCommitted> committed;

    /** Runs {@code work} as one unit of work (the caller's transaction, or a new one) and returns its result. */
    @Transactional
    public <R> R write(Function<UnitOfWork, R> work) {
        writerLock.acquire();
        UnitOfWork unit = new UnitOfWork(clock.instant(), store, outbox.batch());
        R result = work.apply(unit);
        List<PolicyStore.Save> saves = new ArrayList<>();
        for (UnitOfWork.Change change : unit.changedPolicies()) {
            saves.add(new PolicyStore.Save(change.after(), change.before(),
                    decider.time().nextDueAt(change.after()).orElse(null)));
        }
        store.save(saves, unit.now());
        unit.outboxRows().persist();
        if (unit.changedAnything()) {
            committed.fire(WritesCommitted.INSTANCE); // delivered to AFTER_SUCCESS observers at commit
        }
        return result;
    }
}
