package dev.moratorium.clock;

import dev.moratorium.outbox.OutboxWriter;
import dev.moratorium.policy.Outcome;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.store.PolicyStore;
import dev.moratorium.store.WriterLock;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/** One transaction that brings every due policy (up to a batch) up to the service clock. */
@ApplicationScoped
public class DueBoundaries {

    static final int BATCH = 500;

    @Inject
    PolicyStore policies;

    @Inject
    PolicyDecider decider;

    @Inject
    OutboxWriter outbox;

    @Inject
    WriterLock writerLock;

    @Inject
    Clock clock;

    /** @return how many policies were advanced */
    @Transactional
    public int applyDue() {
        // Most ticks find nothing due; they must not queue behind an ingest batch for the lock.
        if (!policies.anyDue(clock.instant())) {
            return 0;
        }
        writerLock.acquire();
        Instant now = clock.instant();
        List<Policy> due = policies.due(now, BATCH);
        OutboxWriter.Batch published = outbox.batch();
        for (Policy policy : due) {
            Outcome outcome = decider.time().advance(policy, now);
            published.write(outcome, now);
            policies.save(outcome.state(), policy, decider.time().nextDueAt(outcome.state()).orElse(null), now);
        }
        published.persist();
        return due.size();
    }
}
