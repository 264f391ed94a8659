package dev.moratorium.policy;

import java.time.Instant;
import java.util.List;

/** A policy change as read from {@code policy-changes}: one record type per event type. */
public sealed interface PolicyEvent {

    EventMeta meta();

    String policyId();

    EventType type();

    /** An exemption as named in an announcement. */
    record ExemptionGrant(String organization, String purpose) {
    }

    record MoratoriumAnnounced(EventMeta meta, String policyId, String vendor, String product,
            List<String> segments, Instant effectiveFrom, Instant effectiveUntil, List<ExemptionGrant> exemptions,
            String jurisdiction, String reason, String sourceUrl) implements PolicyEvent {
        public EventType type() {
            return EventType.MORATORIUM_ANNOUNCED;
        }
    }

    /** {@code effectiveUntil} {@code null} means "indefinitely". */
    record MoratoriumExtended(EventMeta meta, String policyId, Instant effectiveUntil, String reason)
            implements PolicyEvent {
        public EventType type() {
            return EventType.MORATORIUM_EXTENDED;
        }
    }

    /** {@code effectiveAt} is already defaulted to the event's time by the reader. */
    record MoratoriumLifted(EventMeta meta, String policyId, Instant effectiveAt, String reason)
            implements PolicyEvent {
        public EventType type() {
            return EventType.MORATORIUM_LIFTED;
        }
    }

    record ExemptionGranted(EventMeta meta, String policyId, String organization, String purpose)
            implements PolicyEvent {
        public EventType type() {
            return EventType.EXEMPTION_GRANTED;
        }
    }

    record ExemptionRevoked(EventMeta meta, String policyId, String organization, String reason)
            implements PolicyEvent {
        public EventType type() {
            return EventType.EXEMPTION_REVOKED;
        }
    }

    /** {@code segments} is already defaulted to {@code ["*"]} by the reader. */
    record ProductWithdrawn(EventMeta meta, String policyId, String vendor, String product, Instant effectiveFrom,
            List<String> segments, String reason, String sourceUrl) implements PolicyEvent {
        public EventType type() {
            return EventType.PRODUCT_WITHDRAWN;
        }
    }
}
