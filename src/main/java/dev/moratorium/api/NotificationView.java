package dev.moratorium.api;

import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A notification as {@code GET /notifications} and the live stream answer it: the data published on
 * {@code moratorium-notifications}, plus its {@code sequence}. The resource writes the stored JSON
 * as it is (no object per answer); this record is its documented shape.
 */
@Schema(name = "Notification")
public record NotificationView(
        String notificationId,
        @Schema(enumeration = {"access.suspended", "access.suspension-extended", "access.restored",
                "access.expiry-approaching", "access.withdrawn", "exemption.granted", "exemption.revoked"}) String type,
        String policyId,
        String vendor,
        String product,
        List<String> segments,
        @Schema(enumeration = {"SCHEDULED", "ACTIVE", "EXPIRED", "LIFTED", "WITHDRAWN"}) String status,
        Instant effectiveFrom,
        @Schema(nullable = true) Instant effectiveUntil,
        List<PolicyView.ExemptionView> exemptions,
        @Schema(description = "the id of the event that caused it, or \"clock\"") String causedBy,
        Instant occurredAt,
        @Schema(description = "one plain English sentence") String message,
        @Schema(description = "the cursor: commit order") long sequence) {
}
