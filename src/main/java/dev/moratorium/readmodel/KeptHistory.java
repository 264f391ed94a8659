package dev.moratorium.readmodel;

import dev.moratorium.policy.AsKnownBy;
import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import dev.moratorium.policy.HistoryCheckpoints;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A policy's decoded history, read while the index held {@code current} for it: its events, their
 * rows' ids, the checkpoints along them, and its estimated heap. It answers for as long as the
 * index still holds that same state (every applied event replaces it).
 */
final class KeptHistory {

    private final Policy current;
    private final List<RecordedEvent> events;
    private final long[] positions;
    private final HistoryCheckpoints checkpoints;
    private final long bytes;
    /**
     * Whether an answer came from it since it was kept or last spared: making room spares such a
     * history once (it goes to the back of the queue) and drops the next one, so that a product
     * asked about all day is not dropped for having been read first. Set without a lock by
     * answers, cleared under the lock that makes room.
     */
    volatile boolean answered;

    KeptHistory(Policy current, List<RecordedEvent> events, long[] positions, HistoryCheckpoints checkpoints,
            long bytes) {
        this.current = current;
        this.events = events;
        this.positions = positions;
        this.checkpoints = checkpoints;
        this.bytes = bytes;
    }

    /** The index's state of the policy it was read for: the same object, while it answers. */
    Policy current() {
        return current;
    }

    long bytes() {
        return bytes;
    }

    Optional<Policy> asKnownAt(PolicyDecider decider, Instant asOf) {
        if (!answered) {
            answered = true; // read first: a write to a shared field on every answer would bounce it between cores
        }
        HistoryCheckpoints.Checkpoint start = checkpoints.startFor(asOf);
        AsKnownBy.Replay replay = new AsKnownBy.Replay(decider, asOf, start);
        int from = Arrays.binarySearch(positions, start.position());
        for (int i = from >= 0 ? from + 1 : -from - 1; i < events.size(); i++) {
            replay.accept(events.get(i));
        }
        return replay.result();
    }
}
