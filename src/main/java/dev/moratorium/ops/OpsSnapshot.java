package dev.moratorium.ops;

import java.time.Instant;

/**
 * Operational figures read from the database every few seconds (not per metrics scrape).
 *
 * @param outboxBacklog        rows committed but not yet acknowledged by Kafka (counted while their ids
 *                             span at most 10,000; beyond that the span, see OpsMonitor)
 * @param outboxOldestAgeSeconds age of the oldest such row, 0 when none
 * @param activeMoratoria      policies in status ACTIVE
 * @param scheduledMoratoria   policies in status SCHEDULED
 * @param timeDrivenLagSeconds how far the oldest due boundary is behind the service clock, 0 when none is due
 * @param openRejections       rejections not yet resolved, counted up to {@link #OPEN_REJECTIONS_CAP}
 * @param openRejectionsExact  false when there are more than the cap (then {@code openRejections} is the cap)
 */
public record OpsSnapshot(long outboxBacklog, double outboxOldestAgeSeconds, long activeMoratoria,
        long scheduledMoratoria, double timeDrivenLagSeconds, long openRejections, boolean openRejectionsExact,
        Instant takenAt) {

    /** Counting open rejections stops here: a producer's bad day leaves more, and the count runs every few seconds. */
    public static final int OPEN_REJECTIONS_CAP = 10_000;

    public static OpsSnapshot empty() {
        return new OpsSnapshot(0, 0, 0, 0, 0, 0, true, Instant.EPOCH);
    }
}
