package dev.moratorium.write;

import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyIds;
import dev.moratorium.store.OutboxEntity;
import dev.moratorium.store.ParkedOutbox;
import dev.moratorium.store.PolicyStore;
import dev.moratorium.wire.Topics;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;

/**
 * Publishes policies' current states again, through the one unit of work ({@link PolicyWrites}):
 * for a parked {@code moratorium-state} row redriven, and for every policy when that topic was lost
 * or made anew. The topic is compacted: a subscriber keeps a policy's last record, so what goes out
 * must be the state the policy has when the row is queued. A parked state redriven as it was
 * parked would become the last record even after a later change had been published, and a gateway
 * that rebuilds its table from the topic would hold the stale state for good.
 */
@ApplicationScoped
public class CurrentStates {

    @Inject
    PolicyWrites writes;

    @Inject
    PolicyStore store;

    @Inject
    ParkedOutbox parked;

    /** What a redrive queued: the parked row itself, or the policy's current state in its place. */
    public record Redriven(long outboxId, boolean currentState) {
    }

    private record Queued(OutboxEntity state, Long parkedRow) {
    }

    /**
     * Puts a parked row back into the outbox: a state row as its policy's current state (the
     * parked payload is dropped), any other row unchanged, under a new id.
     *
     * @return empty if no row is parked under {@code parkedId}
     */
    public Optional<Redriven> redriveParked(long parkedId) {
        Optional<Queued> queued = writes.write(unit -> parked.destination(parkedId).map(to -> {
            // a key that cannot be a policy id (a NUL, which PostgreSQL's text refuses) is not looked up
            Optional<Policy> policy = Topics.STATE.equals(to.topic())
                    ? to.policyKey().filter(PolicyIds::isValid).flatMap(unit::current)
                    : Optional.empty();
            if (policy.isPresent()) {
                parked.remove(parkedId);
                return new Queued(unit.outbox().currentState(policy.get(), unit.nowFor(policy.get())), null);
            }
            // a notification or dead letter is an event, not a state: it goes as it was
            return new Queued(null, parked.redrive(parkedId).orElseThrow());
        }));
        // the state row's id is taken when the unit of work writes its rows, after the lambda
        return queued.map(q -> q.state() != null
                ? new Redriven(q.state().id, true)
                : new Redriven(q.parkedRow(), false));
    }

    /** A page of parked rows redriven: how many, of them how many as their policy's current state, and where it ends. */
    public record RedrivenPage(int redriven, int currentStates, Long next) {
    }

    /**
     * Redrives the parked rows after {@code after} and up to {@code upTo}, oldest first, of one topic
     * when given: each as {@link #redriveParked(long)} does, in a unit of work of its own, so one
     * row's failure is its own. A row the broker refuses again is parked under the new id it was
     * queued with, past {@code upTo}, so paging on with the same {@code upTo} ends.
     *
     * @return {@code next}: the last id of the page when {@code limit} rows were listed, the after that goes on
     */
    public RedrivenPage redriveParked(long after, long upTo, Optional<String> topic, int limit) {
        List<Long> ids = QuarkusTransaction.requiringNew().call(() -> parked.ids(after, upTo, topic, limit));
        int redriven = 0;
        int currentStates = 0;
        for (long id : ids) {
            Optional<Redriven> r = redriveParked(id); // empty: dropped or redriven meanwhile
            if (r.isPresent()) {
                redriven++;
                currentStates += r.get().currentState() ? 1 : 0;
            }
        }
        return new RedrivenPage(redriven, currentStates, ids.size() == limit ? ids.get(ids.size() - 1) : null);
    }

    /** The highest parked id now: the bound of a redrive of all that is parked. */
    public long lastParkedId() {
        return QuarkusTransaction.requiringNew().call(parked::maxId);
    }

    /** A chunk queued: the last policy in it, and how many. */
    public record Chunk(String last, int policies) {
    }

    /**
     * Queues the current states of the policies after {@code after} in policy id order: at most
     * {@code limit}, fewer when their states fill one transaction ({@link UnitOfWork#isFull}; a
     * policy's state can be 768 KiB), never none while a policy is left.
     *
     * @return what was queued; empty when no policy is after {@code after}
     */
    public Optional<Chunk> republishAfter(String after, int limit) {
        return writes.write(unit -> {
            List<String> ids = store.idsAfter(after, limit);
            unit.load(ids);
            Chunk chunk = null;
            for (String id : ids) {
                // policies are never deleted: each listed is there
                unit.current(id).ifPresent(p -> unit.outbox().currentState(p, unit.nowFor(p)));
                chunk = new Chunk(id, chunk == null ? 1 : chunk.policies() + 1);
                if (unit.isFull()) {
                    break;
                }
            }
            return Optional.ofNullable(chunk);
        });
    }
}
