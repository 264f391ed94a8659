package dev.moratorium.api;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.wire.ApiError;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyIds;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.policy.TimeText;
import dev.moratorium.readmodel.PoliciesAsKnown;
import dev.moratorium.store.HistoryReads;
import dev.moratorium.store.PolicyReads;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
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
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Current policies, one policy, and a policy's history. */
@Path("/moratoria")
@Produces(MediaType.APPLICATION_JSON)
@Transactional(Transactional.TxType.SUPPORTS)
public class MoratoriaResource {

    @Inject
    PolicyReads reads;

    @Inject
    MoratoriumConfig config;

    @Inject
    CurrentVertxRequest vertxRequest;

    @Inject
    PoliciesAsKnown asKnown;

    @Inject
    HistoryReads historyReads;

    private final ObjectWriter policyWriter;
    private final ObjectWriter historyWriter;

    @Inject
    MoratoriaResource(ObjectMapper json) {
        this.policyWriter = ChunkedList.writer(json, PolicyView.class);
        this.historyWriter = ChunkedList.writer(json, HistoryEntry.class);
    }

    /**
     * Paged by policy id. {@code after} (the previous page's {@code next}) is a keyset cursor and
     * costs the same at any depth; {@code page} is an offset, paid by skipping rows, so it is
     * capped (moratorium.api.max-offset). See PolicyReads for how {@code total} is counted.
     *
     * <p>A policy may keep a megabyte of exemptions (ExemptionLimits), so a page of 500 could be
     * hundreds of megabytes: the page's ids and sizes are read first, and a long page is written
     * among the replica's long answers (ChunkedList), its policies read a megabyte at a time.
     */
    @GET
    @Operation(operationId = "listMoratoria", summary = "Policies, filtered and paged")
    @APIResponse(responseCode = "200", description = "One page of policies",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PolicyPage.class)))
    @APIResponse(responseCode = "400", description = "A parameter is not valid", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = LONG_ANSWERS_BUSY, content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response list(@QueryParam("status") String status, @QueryParam("vendor") String vendor,
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
        // each read on a connection of its own: a long page waits for its place and its client holding none
        PolicyReads.PagePlan plan = reads.plan(filter, cursor, (int) offset, pageSize, config.api().countCap(),
                ChunkedList.LIGHT_BYTES);
        if (plan.whole() != null) {
            return Response.ok(new PolicyPage(plan.whole().stream().map(PolicyView::of).toList(), pageNumber, pageSize,
                    plan.next(), plan.totalExact(), plan.total())).build();
        }
        return Response.ok(ChunkedList.written(ChunkedList.PLACES, config.api().clientStall(), VertxClient.of(vertxRequest),
                output -> writePage(output, plan, pageNumber, pageSize))).type(LONG_ANSWER_TYPE).build();
    }

    /** Policies' bytes of text read at a time for a long page: a megabyte, or one policy larger alone. */
    static final long POLICY_CHUNK_BYTES = 1_000_000;
    /** Policies read at a time for a long page. */
    static final int POLICY_CHUNK_ROWS = 100;

    /** The same JSON as PolicyPage's, its items read and written a chunk at a time. */
    private void writePage(OutputStream output, PolicyReads.PagePlan plan, int pageNumber, int pageSize)
            throws IOException {
        JsonGenerator json = policyWriter.createGenerator(output);
        json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        json.writeStartObject();
        json.writeFieldName("items");
        json.writeStartArray();
        for (List<PolicyReads.Sized> chunk : AnswerChunks.of(plan.items(), PolicyReads.Sized::bytes,
                POLICY_CHUNK_BYTES, POLICY_CHUNK_ROWS)) {
            for (Policy policy : reads.policies(ids(chunk))) {
                policyWriter.writeValue(json, PolicyView.of(policy));
            }
        }
        json.writeEndArray();
        json.writeNumberField("page", pageNumber);
        json.writeNumberField("size", pageSize);
        json.writeStringField("next", plan.next());
        json.writeBooleanField("totalExact", plan.totalExact());
        json.writeNumberField("total", plan.total());
        json.writeEndObject();
        json.close();
    }

    private static List<String> ids(List<PolicyReads.Sized> policies) {
        return policies.stream().map(PolicyReads.Sized::policyId).toList();
    }

    /** The type Quarkus gives the same answer built whole: a client sees one type whatever the answer's size. */
    private static final String LONG_ANSWER_TYPE = MediaType.APPLICATION_JSON + ";charset=UTF-8";

    static final String LONG_ANSWERS_BUSY = "As many long answers as the replica writes at once are being written;"
            + " Retry-After says when to try again";

    /**
     * One policy; a long one (up to a megabyte of exemptions, and more for one stored before the
     * limits) is read and written among the replica's long answers.
     */
    @GET
    @Path("/{policyId}")
    @Operation(operationId = "getMoratorium", summary = "One policy, its exemptions and status; with asOf, as announced by then")
    @APIResponse(responseCode = "200", description = "The policy",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PolicyView.class)))
    @APIResponse(responseCode = "400", description = "asOf is not a time", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", description = "No such policy has been announced (by asOf)", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = LONG_ANSWERS_BUSY, content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response get(@PathParam("policyId") String policyId,
            @Parameter(description = "What was known: the policy as announced by this instant (RFC 3339 or YYYY-MM-DD, years 0000 to 9999)")
            @QueryParam("asOf") String asOf) {
        Instant known = Params.instant("asOf", asOf, null);
        if (!PolicyIds.isValid(policyId)) {
            throw known == null ? unknown(policyId) : unknownBy(policyId, known);
        }
        if (known == null) {
            PolicyReads.SizedPolicy current = reads.policy(policyId, ChunkedList.LIGHT_BYTES)
                    .orElseThrow(() -> unknown(policyId));
            if (current.whole() != null) {
                return Response.ok(PolicyView.of(current.whole())).build();
            }
        } else if (!ChunkedList.isLong(reads.textBytes(policyId).orElseThrow(() -> unknownBy(policyId, known)))) {
            return Response.ok(PolicyView.of(asKnownBy(policyId, known))).build();
        }
        // read once it has its place, and on connections given back before its client takes it
        return Response.ok(ChunkedList.written(ChunkedList.PLACES, config.api().clientStall(), VertxClient.of(vertxRequest),
                output -> writeOne(output, PolicyView.of(known == null ? reads.policies(List.of(policyId)).get(0)
                        : ShortRead.of(() -> asKnownBy(policyId, known)))))).type(LONG_ANSWER_TYPE).build();
    }

    private void writeOne(OutputStream output, PolicyView view) throws IOException {
        JsonGenerator json = policyWriter.createGenerator(output);
        json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        policyWriter.writeValue(json, view);
        json.close();
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
    @APIResponse(responseCode = "503", description = LONG_ANSWERS_BUSY, content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response history(@PathParam("policyId") String policyId,
            @Parameter(description = "The sequence of the last event already read (0: from the start)")
            @QueryParam("after") String after,
            @Parameter(description = "At most this many events (1-500, default 100)")
            @QueryParam("limit") String limit,
            @Context UriInfo request) {
        long cursor = Params.cursor("after", after);
        int max = Params.integer("limit", limit, 100, 1, 500);
        if (!PolicyIds.isValid(policyId) || !reads.exists(policyId)) {
            throw unknown(policyId);
        }
        HistoryReads.PageEnd end = historyReads.pageEnd(policyId, cursor, max, HISTORY_PAGE_BYTES);
        // a long page (up to a megabyte of events' data) is read once it has its place among the long answers
        Response.ResponseBuilder answer = ChunkedList.isLong(end.bytes())
                ? Response.ok(ChunkedList.written(ChunkedList.PLACES, config.api().clientStall(), VertxClient.of(vertxRequest),
                        output -> writeHistory(output, policyId, cursor, end))).type(LONG_ANSWER_TYPE)
                : Response.ok(historyEntries(policyId, cursor, end));
        if (end.more()) {
            String next = request.getRequestUri().getRawPath() + "?after=" + end.last() + "&limit=" + max;
            answer.header("Link", "<" + next + ">; rel=\"next\"");
        }
        return answer.build();
    }

    /** The data as stored, written as they are: parsed into trees, a page of 64 KiB events was many times its size. */
    private List<HistoryEntry> historyEntries(String policyId, long cursor, HistoryReads.PageEnd end) {
        if (end.rows() == 0) {
            return List.of();
        }
        return historyReads.rows(policyId, cursor, end.last(), end.rows()).stream()
                .map(e -> new HistoryEntry(e.eventId(), e.type(), e.eventTime(), e.data(), e.receivedAt(), e.id())).toList();
    }

    private void writeHistory(OutputStream output, String policyId, long cursor, HistoryReads.PageEnd end)
            throws IOException {
        JsonGenerator json = historyWriter.createGenerator(output);
        json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        json.writeStartArray();
        for (HistoryEntry entry : historyEntries(policyId, cursor, end)) {
            historyWriter.writeValue(json, entry);
        }
        json.writeEndArray();
        json.close();
    }

    /** Bytes of events' data one page of a history holds at most (at least one event). */
    static final long HISTORY_PAGE_BYTES = 1_000_000;

    /** The policy as its events known by {@code asOf} made it, with its status at {@code asOf}. */
    private Policy asKnownBy(String policyId, Instant asOf) {
        return (PolicyIds.isValid(policyId) ? asKnown.policy(policyId, asOf) : Optional.<Policy>empty())
                .orElseThrow(() -> unknownBy(policyId, asOf));
    }

    private static ApiException unknown(String policyId) {
        return ApiException.notFound("unknown-policy", "no policy \"" + Sanitize.forMessage(policyId) + "\" has been announced");
    }

    private static ApiException unknownBy(String policyId, Instant asOf) {
        return ApiException.notFound("unknown-policy", "no policy \"" + Sanitize.forMessage(policyId)
                + "\" had been announced by " + TimeText.of(asOf));
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
