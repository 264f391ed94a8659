package dev.moratorium.api;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One page of policies. */
@Schema(name = "PolicyPage")
public record PolicyPage(List<PolicyView> items, int page, int size,
        @Schema(description = "how many policies match the filters") long total) {
}
