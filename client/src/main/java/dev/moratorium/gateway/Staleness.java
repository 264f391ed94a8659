package dev.moratorium.gateway;

import java.time.Duration;
import java.time.Instant;

/**
 * How current the client's view is. A gateway that decides in-process keeps answering from its
 * last view when the broker is away; this tells it (and its operators) how old that view may be.
 *
 * @param loaded        whether the view has read the topic up to where it ended when the client started
 * @param lastUpdateAt  when the last state record was applied, or {@code null} before the first
 * @param lastSyncedAt  when the client last confirmed with the broker that it had read everything
 *                      (lag 0), or {@code null} if never: the view is at least as current as this instant
 * @param lag           records on the topic not yet read, as last known (-1 when unknown)
 * @param policies      policies in the view
 */
public record Staleness(boolean loaded, Instant lastUpdateAt, Instant lastSyncedAt, long lag, int policies) {

    /** How long since the view was last known to be complete, as of {@code now}; {@code null} if never. */
    public Duration age(Instant now) {
        return lastSyncedAt == null ? null : Duration.between(lastSyncedAt, now);
    }
}
