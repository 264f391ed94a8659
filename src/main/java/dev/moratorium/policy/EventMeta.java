package dev.moratorium.policy;

import java.time.Instant;
import java.util.Objects;

/**
 * The CloudEvent envelope fields the domain needs.
 *
 * @param id     unique per event; the de-duplication key
 * @param source the CloudEvent {@code source}
 * @param time   when the vendor announced the change (defaults to when the record was read)
 */
public record EventMeta(String id, String source, Instant time) {
    public EventMeta {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(time, "time");
    }
}
