package dev.moratorium.policy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Deterministic notification ids (name-based UUIDs), so that a redelivered or re-derived
 * notification carries the id it had the first time and subscribers can drop it.
 *
 * <p>An event-caused notification is named by the event id; a time-driven one by the policy, the
 * type and the boundary's moment — whether the scheduler or a late event's catch-up derives it.
 */
public final class NotificationIds {

    private NotificationIds() {
    }

    public static String causedByEvent(String eventId, NotificationType type) {
        return uuid("event|" + eventId + "|" + type.wireName());
    }

    public static String causedByClock(String policyId, NotificationType type, Instant moment) {
        return uuid("clock|" + policyId + "|" + type.wireName() + "|" + moment);
    }

    public static String reminder(String policyId, Instant end, Duration lead) {
        return uuid("clock|" + policyId + "|" + NotificationType.EXPIRY_APPROACHING.wireName() + "|" + end + "|" + lead);
    }

    private static String uuid(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
