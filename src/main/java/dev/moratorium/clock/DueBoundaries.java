package dev.moratorium.clock;

import dev.moratorium.wire.Sanitize;
import dev.moratorium.policy.Outcome;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.store.PolicyStore;
import dev.moratorium.write.Isolation;
import dev.moratorium.write.PolicyWrites;
import dev.moratorium.write.UnitOfWork;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Brings every due policy (up to a batch) up to the service clock, in one unit of work when it can;
 * a policy whose change the store refuses is found by splitting the batch and set aside for a
 * while, so it never holds back the others' time-driven changes.
 */
@ApplicationScoped
public class DueBoundaries {

    static final int BATCH = 500;
    /** How long a policy whose time-driven change the store refused waits before it is tried again. */
    static final Duration SET_ASIDE = Duration.ofMinutes(1);
    private static final Logger LOG = Logger.getLogger(DueBoundaries.class);

    @Inject
    PolicyStore policies;

    @Inject
    PolicyDecider decider;

    @Inject
    PolicyWrites writes;

    @Inject
    Clock clock;

    @Inject
    MeterRegistry registry;

    /** @return how many due policies were found (and advanced, or set aside) */
    public int applyDue() {
        // Most ticks find nothing due: an index lookup outside the writers' lock, not queued behind ingest.
        List<String> due = policies.dueIds(clock.instant(), BATCH);
        Isolation.write(due, this::advance, this::setAside);
        return due.size();
    }

    /**
     * Advances the due policies in one transaction, loaded {@link #LOAD} at a time, until the
     * transaction holds its budget's worth of rows ({@code UnitOfWork.isFull}): each policy's
     * notification and state record carry its exemptions in force, up to 768 KiB each, and 500
     * such policies due at one instant made more than a pod's heap. The ones left are still due,
     * and the next tick takes them.
     */
    private void advance(List<String> policyIds) {
        writes.write(unit -> {
            for (int from = 0; from < policyIds.size() && !unit.isFull(); from += LOAD) {
                List<String> part = policyIds.subList(from, Math.min(from + LOAD, policyIds.size()));
                unit.load(part);
                for (String id : part) {
                    if (unit.isFull()) {
                        break;
                    }
                    unit.current(id).ifPresent(policy -> advance(unit, policy));
                }
            }
            return null;
        });
    }

    /**
     * Policies named by one load; their exemptions are read whole only as far as the unit of work's
     * preload budget (UnitOfWork#load), the rest one by one as they are advanced.
     */
    static final int LOAD = 50;

    private void advance(UnitOfWork unit, Policy policy) {
        Instant at = unit.nowFor(policy);
        // Another replica may have advanced it since it was found due: decide on the state read under the lock.
        Optional<Instant> dueAt = decider.time().nextDueAt(policy);
        if (dueAt.isEmpty() || dueAt.get().isAfter(at)) {
            return;
        }
        Outcome outcome = decider.time().advance(policy, at);
        unit.apply(outcome, List.of());
    }

    @Transactional
    void setAside(String policyId, RuntimeException failure) {
        registry.counter("moratorium.time-driven.set-aside").increment();
        LOG.warnf("Time-driven change of policy %s refused by the store; the others go on, it is tried again in %s: %s",
                Sanitize.forLog(policyId), SET_ASIDE, Sanitize.forLog(failure.getMessage()));
        policies.postponeDue(policyId, clock.instant().plus(SET_ASIDE));
    }
}
