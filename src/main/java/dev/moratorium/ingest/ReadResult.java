package dev.moratorium.ingest;

import dev.moratorium.policy.PolicyEvent;
import dev.moratorium.policy.Rejection;

/** A record read into a domain event, or the reason it could not be. */
public sealed interface ReadResult {

    /** @param dataJson the event's {@code data}, as JSON, for the policy's history */
    record Read(PolicyEvent event, String dataJson) implements ReadResult {
    }

    /** @param eventId the CloudEvent id when the record got that far, else {@code null} */
    record Unreadable(Rejection rejection, String eventId) implements ReadResult {
    }
}
