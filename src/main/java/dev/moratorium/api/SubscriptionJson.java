package dev.moratorium.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.moratorium.store.WebhookSubscriptionEntity;
import dev.moratorium.wire.WireJson;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A webhook subscription as the API shows it; {@code secret} only in the answer that created or rotated it. */
@Schema(description = "A webhook subscription")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SubscriptionJson(
        String id,
        String url,
        List<String> types,
        List<String> vendors,
        String description,
        @Schema(description = "ACTIVE, PAUSED, FAILING (retries ran out; parked until resumed) or DISABLED (410 Gone)")
        String status,
        @Schema(description = "The last notification sequence delivered or passed over by the filters") long deliveredUpTo,
        @Schema(description = "Failed attempts in a row") int attempts,
        String failingSince,
        String nextAttemptAt,
        String lastError,
        @Schema(description = "Until when the previous secret still signs, after a rotation") String previousSecretUntil,
        @Schema(description = "whsec_ + base64; shown only when created or rotated") String secret,
        String createdAt,
        String updatedAt) {

    /** {@code now}: the wall clock's, which a secret's overlap runs on (see Subscriptions). */
    static SubscriptionJson of(WebhookSubscriptionEntity s, String secret, Instant now) {
        String previousUntil = s.previousSecretUntil != null && s.previousSecretUntil.isAfter(now)
                ? WireJson.text(s.previousSecretUntil) : null;
        return new SubscriptionJson(s.id, s.url, list(s.types), list(s.vendors), s.description, s.status,
                s.deliveredUpTo, s.attempts, WireJson.text(s.failingSince),
                WebhookSubscriptionEntity.ACTIVE.equals(s.status) ? WireJson.text(s.nextAttemptAt) : null,
                s.lastError, previousUntil, secret, WireJson.text(s.createdAt), WireJson.text(s.updatedAt));
    }

    private static List<String> list(String json) {
        return json == null ? List.of() : WireJson.MAPPER.convertValue(WireJson.parse(json),
                WireJson.MAPPER.getTypeFactory().constructCollectionType(List.class, String.class));
    }
}
