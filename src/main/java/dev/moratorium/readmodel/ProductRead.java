package dev.moratorium.readmodel;

import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import dev.moratorium.policy.HistoryCheckpoints;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.store.HistoryReads;
import dev.moratorium.store.PolicyEventEntity;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * One read of a product's histories, policy after policy ({@link HistoryReads#forEachOf} gives
 * each policy's rows together). A policy's replay and checkpoints are held while its rows come;
 * when they end, its answer is held as {@code shown}, and unless the read still collects events
 * to keep (which hold the same texts, within the budget), its replay is let go and its
 * checkpoints are remembered (if it is long) or dropped.
 */
final class ProductRead {

    private final PolicyDecider decider;
    private final HistoryCollector collector;
    private final Instant asOf;
    private final UnaryOperator<Policy> shown;
    private final Map<String, Optional<Policy>> answers;
    /** The markings still held: of every policy read while the read collects events, else of the one being read. */
    private final Map<String, CheckpointMarking> marking = new HashMap<>();
    private String reading;
    private CheckpointMarking current;
    private boolean kept;
    private int mostHeld;

    /** Puts each policy's answer, as {@code shown} keeps it, in {@code answers}. */
    ProductRead(PolicyDecider decider, HistoryCollector collector, Instant asOf, UnaryOperator<Policy> shown,
            Map<String, Optional<Policy>> answers) {
        this.decider = decider;
        this.collector = collector;
        this.asOf = asOf;
        this.shown = shown;
        this.answers = answers;
    }

    void accept(PolicyEventEntity row, RecordedEvent event) {
        if (!row.policyId.equals(reading)) {
            finishPolicy();
            reading = row.policyId;
            current = newMarking();
            marking.put(reading, current);
            mostHeld = Math.max(mostHeld, marking.size());
        }
        current.replay.accept(row.id, event);
        collector.marked(current);
        if (collector.collecting()) {
            collector.add(row.policyId, row.id, event, row.data.length());
            if (!collector.collecting()) {
                // too long to keep: the policies finished so far are let go
                List.copyOf(marking.keySet()).stream().filter(id -> !id.equals(reading)).forEach(this::letGo);
            }
        }
    }

    private CheckpointMarking newMarking() {
        return new CheckpointMarking(new HistoryCheckpoints(decider, PoliciesAsKnown.CHECKPOINT_SPACING,
                PoliciesAsKnown.MAX_CHECKPOINTS, PoliciesAsKnown.CHECKPOINT_BYTES), asOf);
    }

    private void finishPolicy() {
        if (reading != null) {
            answers.put(reading, current.replay.result().map(shown));
            if (!collector.collecting()) {
                letGo(reading);
            }
            reading = null;
            current = null;
        }
    }

    /** A finished policy's marking, no longer needed by this read: its checkpoints remembered if it is long. */
    private void letGo(String policyId) {
        CheckpointMarking m = marking.remove(policyId);
        if (m.checkpoints.events() >= PoliciesAsKnown.CHECKPOINT_SPACING) {
            collector.remember(policyId, m);
        } else {
            collector.release(m);
        }
    }

    /** After the last row: keeps what was read if it fits, else lets every policy go. */
    void end(List<Policy> policies, List<String> unread) {
        finishPolicy();
        for (String id : unread) {
            answers.putIfAbsent(id, Optional.empty()); // no rows: not announced yet
        }
        if (collector.collecting()) {
            unread.forEach(id -> marking.computeIfAbsent(id, none -> newMarking()));
            kept = collector.keep(policies, marking);
        }
        if (!kept) {
            List.copyOf(marking.keySet()).forEach(this::letGo);
        }
    }

    /** Whether what was read was kept (never when the read was of part of a product, or collected nothing). */
    boolean kept() {
        return kept;
    }

    /** The most policies this read replayed at once. */
    int mostHeld() {
        return mostHeld;
    }
}
