package dev.moratorium.policy;

import java.time.Instant;
import java.util.Objects;

/**
 * A derived notification for downstream subscribers.
 *
 * @param notificationId deterministic: the same input always yields the same id (see {@link NotificationIds})
 * @param policy         the policy's state right after the change this notification reports
 * @param causedBy       the id of the event that caused it, or {@value #CLOCK} for time-driven ones
 * @param occurredAt     when the reported change happened: the event's time, or the boundary's moment
 */
public record Notification(String notificationId, NotificationType type, Policy policy, String causedBy,
        Instant occurredAt, String message) {

    public static final String CLOCK = "clock";

    public Notification {
        Objects.requireNonNull(notificationId, "notificationId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(causedBy, "causedBy");
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(message, "message");
    }
}
