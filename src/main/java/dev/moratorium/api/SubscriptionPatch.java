package dev.moratorium.api;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** {@code PATCH /subscriptions/{id}}: an absent (or null) field stays as it is. */
@Schema(description = "Changes to a webhook subscription; absent fields stay as they are")
public record SubscriptionPatch(
        String url,
        List<String> types,
        List<String> vendors,
        String description,
        @Schema(description = "true pauses; false resumes (also a FAILING or DISABLED one), from its cursor") Boolean paused,
        @Schema(description = "true: a new secret, returned once; the old one keeps signing alongside it for"
                + " moratorium.webhooks.secret-overlap (default 24 h)") Boolean rotateSecret) {
}
