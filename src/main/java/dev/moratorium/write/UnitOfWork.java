package dev.moratorium.write;

import dev.moratorium.wire.RawHeader;
import dev.moratorium.outbox.OutboxWriter;
import dev.moratorium.policy.Outcome;
import dev.moratorium.policy.Policy;
import dev.moratorium.store.PolicyReads;
import dev.moratorium.store.PolicyStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One write transaction as a writer sees it: the service clock read once under the writers' lock,
 * the policies it loaded (each once), their states as the writer's decisions change them, and the
 * outbox rows those decisions publish. {@link PolicyWrites} opens it, and saves each changed policy
 * once and writes the outbox at the end; a writer only decides.
 */
public final class UnitOfWork {

    private final Instant now;
    private final PolicyStore store;
    private final OutboxWriter.Batch outbox;
    /** As loaded in this transaction; {@code null} values are policies that did not exist. */
    private final Map<String, Policy> loaded = new HashMap<>();
    private final Map<String, Policy> current = new LinkedHashMap<>();
    private boolean changed;
    /** PolicyReads#exemptionBytes of the policies loaded: a policy may keep a megabyte of exemptions. */
    private long loadedBytes;

    UnitOfWork(Instant now, PolicyStore store, OutboxWriter.Batch outbox) {
        this.now = now;
        this.store = store;
        this.outbox = outbox;
    }

    /** The service clock, read once for the whole transaction after the writers' lock was taken. */
    public Instant now() {
        return now;
    }

    /**
     * The instant a change to this policy is decided at: the service clock, but never before the
     * instant the policy was last brought up to date. A restart with the same
     * {@code moratorium.clock.start} sets the clock back; time must not go back for a policy, or a
     * reminder already sent would fall due again.
     */
    public Instant nowFor(Policy policy) {
        Instant evaluated = policy == null ? null : policy.evaluatedAt();
        return evaluated != null && evaluated.isAfter(now) ? evaluated : now;
    }

    /**
     * Loads the named policies not loaded yet in this transaction (one query for all of them),
     * as far as {@link #PRELOAD_BYTES} of exemptions beside what it holds: the ones past it are
     * loaded one by one when a decision asks for them ({@link #current}), and each counts in
     * {@link #heldBytes()}, so that the decisions stop when the transaction is full.
     */
    public void load(Collection<String> policyIds) {
        List<String> missing = new ArrayList<>();
        for (String id : policyIds) {
            if (!loaded.containsKey(id)) {
                missing.add(id);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        PolicyStore.Loaded found = store.loadWithin(missing, Math.max(0, PRELOAD_BYTES - heldBytes()));
        for (String id : missing) {
            if (found.deferred().contains(id)) {
                continue;
            }
            Policy p = found.policies().get(id);
            loaded.put(id, p);
            if (p != null) {
                current.put(id, p);
                loadedBytes += PolicyReads.exemptionBytes(p);
            }
        }
    }

    /**
     * Exemption bytes a load reads ahead: half the budget, so that what it read leaves room for
     * at least one decision (a policy's exemptions are at most about 1 MB of UTF-8, 2 with the
     * state it publishes).
     */
    static final long PRELOAD_BYTES = UnitOfWork.HELD_BYTES_BUDGET / 2;

    /** The policy as this transaction's decisions left it so far; empty if it does not exist. */
    public Optional<Policy> current(String policyId) {
        if (!loaded.containsKey(policyId)) {
            load(List.of(policyId));
        }
        return Optional.ofNullable(current.get(policyId));
    }

    /** Records a decision's outcome: the policy's new state, and what it publishes. */
    public void apply(Outcome outcome, List<RawHeader> trace) {
        current.put(outcome.state().policyId(), outcome.state());
        outbox.write(outcome, now, trace);
        changed = true;
    }

    /**
     * Bytes of payload this transaction's rows hold so far, and of the exemptions of the policies
     * it loaded. A writer that decides many changes in one transaction ends it once this passes
     * {@link #HELD_BYTES_BUDGET}, and decides the rest in the next: what a transaction holds is
     * bounded by the budget plus one change (at most two records of 1.5 MiB, a notification row and
     * a policy's exemptions), not by how many records a poll returned or policies it named. 200
     * policies with the most exemption text a policy may keep, named by one poll and loaded whole,
     * took more than the pod's 160 MB heap, and the redelivered poll did so again at every start.
     */
    public long heldBytes() {
        return outbox.heldBytes() + loadedBytes;
    }

    /** See {@link #heldBytes()}: 16 MB, against a heap of 160 MB in the pod. */
    public static final long HELD_BYTES_BUDGET = 16_000_000;

    /** Whether this transaction holds its budget's worth of rows: decide no more in it. */
    public boolean isFull() {
        return heldBytes() >= HELD_BYTES_BUDGET;
    }

    /** The outbox rows of this transaction, for writers that publish more than outcomes (dead letters). */
    public OutboxWriter.Batch outbox() {
        changed = true;
        return outbox;
    }

    boolean changedAnything() {
        return changed;
    }

    /** Each policy whose state differs from what was loaded. */
    List<Change> changedPolicies() {
        List<Change> changes = new ArrayList<>();
        for (Map.Entry<String, Policy> entry : current.entrySet()) {
            Policy before = loaded.get(entry.getKey());
            if (before == null || !before.equals(entry.getValue())) {
                changes.add(new Change(before, entry.getValue()));
            }
        }
        return changes;
    }

    /** @param before the state as loaded, or {@code null} for a new policy */
    record Change(Policy before, Policy after) {
    }

    OutboxWriter.Batch outboxRows() {
        return outbox;
    }
}
