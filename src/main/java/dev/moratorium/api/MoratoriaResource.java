package dev.moratorium.api;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.wire.ApiError;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyIds;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.policy.TimeText;
import dev.moratorium.store.HistoryReads;
import dev.moratorium.store.PolicyReads;
import dev.moratorium.store.PolicyStore;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.GET;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jboss.resteasy.reactive.RestResponse;

/** Current policies, one policy, and a policy's history. */
@Path("/moratoria")
@Produces(MediaType.APPLICATION_JSON)
@Transactional(Transactional.TxType.SUPPORTS)
public class MoratoriaResource {

    @Inject
    PolicyStore policies;

    @Inject
    PolicyReads reads;

    @Inject
    MoratoriumConfig config;

    @Inject
    PoliciesAsKnown asKnown;

    @Inject
    HistoryReads historyReads;

    /**
     * Paged by policy id. {@code after} (the previous page's {@code next}) is a keyset cursor and
     * costs the same at any depth; {@code page} is an offset, paid by skipping rows, so it is
     * capped (moratorium.api.max-offset). See PolicyReads for how {@code total} is counted.
     */
    @GET
    @Operation(operationId = "listMoratoria", summary = "Policies, filtered and paged")
    @APIResponse(responseCode = "200", description = "One page of policies")
    @APIResponse(responseCode = "400", description = "A parameter is not valid", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public PolicyPage list(@QueryParam("status") String status, @QueryParam("vendor") String vendor,
            @QueryParam("product") String product, @QueryParam("segment") String segment,
            @QueryParam("page") String page, @QueryParam("size") String size, @QueryParam("after") String after) {
        var filter = new PolicyReads.PolicyFilter(status(status), Params.optional("vendor", vendor),
                Params.optional("product", product), Params.optional("segment", segment));
        int pageNumber = Params.integer("page", page, 0, 0, 1_000_000);
        int pageSize = Params.integer("size", size, config.api().defaultPageSize(), 1, config.api().maxPageSize());
        String cursor = Params.optional("after", after);
        if (cursor != null && pageNumber > 0) {
            throw ApiException.badRequest("invalid-parameter", "after and page cannot be used together");
        }
        long offset = (long) pageNumber * pageSize;
        if (offset > config.api().maxOffset()) {
            throw ApiException.badRequest("invalid-parameter", "page * size must be at most "
                    + config.api().maxOffset() + "; walk deeper with the after cursor (each page's next)");
        }
        PolicyReads.PolicyPage result = reads.page(filter, cursor, (int) offset, pageSize, config.api().countCap());
        return new PolicyPage(result.items().stream().map(PolicyView::of).toList(), pageNumber, pageSize,
                result.next(), result.totalExact(), result.total());
    }

    @GET
    @Path("/{policyId}")
    @Operation(operationId = "getMoratorium", summary = "One policy, its exemptions and status; with asOf, as announced by then")
    @APIResponse(responseCode = "200", description = "The policy")
    @APIResponse(responseCode = "400", description = "asOf is not a time", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", description = "No such policy has been announced (by asOf)", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public PolicyView get(@PathParam("policyId") String policyId,
            @Parameter(description = "What was known: the policy as announced by this instant (RFC 3339 or YYYY-MM-DD)")
            @QueryParam("asOf") String asOf) {
        Instant known = Params.instant("asOf", asOf, null);
        return PolicyView.of(known == null ? existing(policyId) : asKnownBy(policyId, known));
    }

    /**
     * One page of a policy's history, keyset-paged by the event row's id through
     * {@code policy_event_policy_idx (policy_id, id)}: the same cost at any depth, however long the
     * history (a moratorium extended again and again). The answer
     * stays the contract's JSON array; a {@code Link} header with {@code rel="next"} (RFC 8288)
     * names the following page while there is one.
     */
    @GET
    @Path("/{policyId}/history")
    @Operation(operationId = "getMoratoriumHistory", summary = "The events applied to a policy, oldest first, a page at a time")
    @APIResponse(responseCode = "200", description = "Up to limit events after the cursor",
            headers = @Header(name = "Link", description = "<…/history?after=N&limit=L>; rel=\"next\" while more events follow",
                    schema = @Schema(type = SchemaType.STRING)),
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(type = SchemaType.ARRAY, implementation = HistoryEntry.class)))
    @APIResponse(responseCode = "400", description = "A parameter is not valid", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", description = "No such policy has been announced", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public RestResponse<List<HistoryEntry>> history(@PathParam("policyId") String policyId,
            @Parameter(description = "The sequence of the last event already read (0: from the start)")
            @QueryParam("after") String after,
            @Parameter(description = "At most this many events (1-500, default 100)")
            @QueryParam("limit") String limit,
            @Context UriInfo request) {
        long cursor = Params.cursor("after", after);
        int max = Params.integer("limit", limit, 100, 1, 500);
        existing(policyId);
        HistoryReads.HistoryPage rows = historyReads.page(policyId, cursor, max, HISTORY_PAGE_BYTES);
        // the data as stored, written as they are: parsed into trees, a page of 64 KiB events was many times its size
        List<HistoryEntry> page = rows.rows().stream().map(e -> new HistoryEntry(e.eventId, e.type, e.eventTime,
                e.data, e.receivedAt, e.id)).toList();
        if (!rows.more()) {
            return RestResponse.ok(page);
        }
        String next = request.getRequestUri().getRawPath() + "?after=" + page.get(page.size() - 1).sequence()
                + "&limit=" + max;
        return RestResponse.ResponseBuilder.ok(page).header("Link", "<" + next + ">; rel=\"next\"").build();
    }

    /** Bytes of events' data one page of a history holds at most (at least one event). */
    static final long HISTORY_PAGE_BYTES = 1_000_000;

    /** An id that could never have been announced (wrong characters, too long) is not even looked up. */
    private Policy existing(String policyId) {
        return (PolicyIds.isValid(policyId) ? policies.find(policyId) : Optional.<Policy>empty())
                .orElseThrow(() -> ApiException.notFound("unknown-policy",
                        "no policy \"" + Sanitize.forMessage(policyId) + "\" has been announced"));
    }

    /** The policy as its events known by {@code asOf} made it, with its status at {@code asOf}. */
    private Policy asKnownBy(String policyId, Instant asOf) {
        return (PolicyIds.isValid(policyId) ? asKnown.policy(policyId, asOf) : Optional.<Policy>empty())
                .orElseThrow(() -> ApiException.notFound("unknown-policy", "no policy \""
                        + Sanitize.forMessage(policyId) + "\" had been announced by " + TimeText.of(asOf)));
    }

    private static PolicyStatus status(String status) {
        String value = Params.optional("status", status);
        if (value == null) {
            return null;
        }
        try {
            return PolicyStatus.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-parameter", "status must be one of "
                    + Arrays.toString(PolicyStatus.values()));
        }
    }
}
