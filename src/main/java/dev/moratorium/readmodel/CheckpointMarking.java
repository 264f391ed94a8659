package dev.moratorium.readmodel;

import dev.moratorium.policy.HistoryCheckpoints;
import java.time.Instant;

/**
 * One policy's checkpoints being marked by a read of its history, the read's replay of it, and the
 * checkpoints' bytes the read holds for them (only the reading thread touches {@link #held}).
 */
final class CheckpointMarking {

    final HistoryCheckpoints checkpoints;
    final HistoryCheckpoints.ReplayWhileMarking replay;
    long held;

    CheckpointMarking(HistoryCheckpoints checkpoints, Instant asOf) {
        this.checkpoints = checkpoints;
        this.replay = checkpoints.replayWhileMarking(asOf);
    }
}
