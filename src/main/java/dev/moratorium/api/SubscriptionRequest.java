package dev.moratorium.api;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** {@code POST /subscriptions}: where to deliver, and (optionally) which notifications. */
@Schema(description = "A new webhook subscription")
public record SubscriptionRequest(
        @Schema(required = true, description = "http or https, at most 2048 characters; a public address unless"
                + " moratorium.webhooks.allow-private-targets") String url,
        @Schema(description = "Notification types to deliver (e.g. access.suspended); absent or empty: all") List<String> types,
        @Schema(description = "Vendors to deliver (compared by name key); absent or empty: all") List<String> vendors,
        @Schema(description = "Free text for operators, at most 500 characters") String description) {
}
