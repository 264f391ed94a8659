package dev.moratorium.api;

import dev.moratorium.store.WebhookDeliveryEntity;
import dev.moratorium.wire.WireJson;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One delivery attempt; {@code id} is the cursor for {@code after}. */
@Schema(description = "One attempt to deliver a notification to a subscriber")
public record DeliveryJson(
        long id,
        @Schema(description = "The notification's sequence") long sequence,
        @Schema(description = "The webhook-id header: the notificationId") String webhookId,
        @Schema(description = "1 for the first try of this notification") int attempt,
        @Schema(description = "The receiver's status; null when it did not answer") Integer statusCode,
        long durationMs,
        @Schema(description = "Why the attempt failed without an answer (timeout, connection...)") String error,
        String attemptedAt) {

    static DeliveryJson of(WebhookDeliveryEntity d) {
        return new DeliveryJson(d.id, d.notificationSeq, d.webhookId, d.attempt, d.statusCode, d.durationMs, d.error,
                WireJson.text(d.attemptedAt));
    }
}
