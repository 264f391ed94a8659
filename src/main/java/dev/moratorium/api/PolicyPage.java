package dev.moratorium.api;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One page of policies. */
@Schema(name = "PolicyPage")
public record PolicyPage(List<PolicyView> items, int page, int size,
        @Schema(nullable = true, description = "the cursor of the next page (its after=), null on the last") String next,
        @Schema(description = "false when total stopped counting at moratorium.api.count-cap") boolean totalExact,
        @Schema(description = "how many policies match the filters (last, as in contract v1)") long total) {
}
