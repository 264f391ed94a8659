package dev.moratorium.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.ingest.RejectionRetry;
import dev.moratorium.policy.RejectionReason;
import dev.moratorium.security.CallerPermissions;
import dev.moratorium.store.RejectionEntity;
import dev.moratorium.store.RejectionReads;
import dev.moratorium.wire.ApiError;
import jakarta.annotation.security.RolesAllowed;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Rejected records with their reasons, and retrying one. */
@Path("/rejections")
@Produces(MediaType.APPLICATION_JSON)
public class RejectionsResource {

    @Inject
    RejectionRetry retry;

    @Inject
    RejectionReads rejections;

    @Inject
    MoratoriumConfig config;

    @Inject
    CurrentVertxRequest vertxRequest;

    private final ObjectWriter writer;

    @Inject
    RejectionsResource(ObjectMapper json) {
        this.writer = ChunkedList.writer(json, RejectionView.class);
    }

    /**
     * Oldest first, {@code after} the last id seen; or, with {@code order=newest}, newest first,
     * {@code before} the last id seen (a dashboard's "latest", without walking every older page).
     * {@code status} OPEN or RESOLVED.
     */
    @GET
    @Operation(operationId = "listRejections", summary = "Rejected records with their reasons, oldest first (or newest first)")
    @APIResponse(responseCode = "200", description = "The rejections after (or before) the cursor",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(type = SchemaType.ARRAY, implementation = RejectionView.class)))
    @APIResponse(responseCode = "400", description = "A parameter is not valid", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "As many long lists as the replica writes at once are being written;"
            + " Retry-After says when to try again", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public StreamingOutput list(@QueryParam("status") String status, @QueryParam("after") String after,
            @QueryParam("limit") String limit,
            @Parameter(description = "oldest (default; page with after) or newest (page with before)",
                    schema = @Schema(enumeration = {"oldest", "newest"})) @QueryParam("order") String order,
            @Parameter(description = "with order=newest: the rejections below this id") @QueryParam("before") String before,
            @Parameter(description = "a reason code: only the rejections with it") @QueryParam("reason") String reason) {
        String code = reasonCode(reason);
        String s = Params.optional("status", status);
        if (s != null && !List.of(RejectionEntity.OPEN, RejectionEntity.RESOLVED).contains(s.toUpperCase(Locale.ROOT))) {
            throw ApiException.badRequest("invalid-parameter", "status must be OPEN or RESOLVED");
        }
        String o = Params.optional("order", order);
        boolean newest = o != null && o.equalsIgnoreCase("newest");
        if (o != null && !newest && !o.equalsIgnoreCase("oldest")) {
            throw ApiException.badRequest("invalid-parameter", "order must be oldest or newest");
        }
        if (newest ? given(after) : given(before)) {
            throw ApiException.badRequest("invalid-parameter", newest ? "order=newest pages with before, not after"
                    : "before pages order=newest; oldest first pages with after");
        }
        int max = Params.integer("limit", limit, 100, 1, 500);
        String st = s == null ? null : s.toUpperCase(Locale.ROOT);
        // read and written a chunk at a time: 500 rejections may be 25 MB of JSON (ChunkedList)
        return newest
                ? ChunkedList.of(writer, given(before) ? Params.cursor("before", before) : Long.MAX_VALUE, max,
                        (cursor, n) -> ShortRead.of(() -> rejections.newest(st, code, cursor, n, RejectionView.PREVIEW)), RejectionReads.Listed::id,
                        r -> RejectionView.of(r, null), config.api().clientStall(), VertxClient.of(vertxRequest))
                : ChunkedList.of(writer, Params.cursor("after", after), max,
                        (cursor, n) -> ShortRead.of(() -> rejections.list(st, code, cursor, n, RejectionView.PREVIEW)), RejectionReads.Listed::id,
                        r -> RejectionView.of(r, null), config.api().clientStall(), VertxClient.of(vertxRequest));
    }

    private static boolean given(String parameter) {
        return parameter != null && !parameter.isBlank();
    }

    /**
     * The open rejections, oldest first (a policy's announcement before its grants), optionally of
     * one reason: after an announcement came late, or a partition change applied a policy's records
     * out of order (docs/runbook.md), its grants wait as {@code unknown-policy}, one request for all.
     */
    @POST
    @Path("/retry")
    @RolesAllowed(CallerPermissions.ADMIN)
    @Operation(operationId = "retryOpenRejections", summary = "Re-runs the open rejections, oldest first, optionally of one reason")
    @APIResponse(responseCode = "200", description = "How many were tried and what became of them; next, when limit were"
            + " tried, is the after that goes on",
            content = @Content(schema = @Schema(implementation = RetriedOpen.class)))
    @APIResponse(responseCode = "400", description = "A parameter is not valid", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public RetriedOpen retryOpen(
            @Parameter(description = "a reason code: only the open rejections with it") @QueryParam("reason") String reason,
            @Parameter(description = "the rejections after this id") @QueryParam("after") String after,
            @Parameter(description = "at most this many, 1-500 (default 100)") @QueryParam("limit") String limit) {
        String code = reasonCode(reason);
        RejectionRetry.RetriedOpen r = retry.retryOpen(code, Params.cursor("after", after),
                Params.integer("limit", limit, 100, 1, 500));
        return new RetriedOpen(r.tried(), r.applied(), r.duplicate(), r.rejected(), r.next());
    }

    /** A reason code of the contract, or null when none is given; anything else is a 400. */
    private static String reasonCode(String reason) {
        String code = Params.optional("reason", reason);
        if (code != null && Arrays.stream(RejectionReason.values()).noneMatch(r -> r.code().equals(code))) {
            throw ApiException.badRequest("invalid-parameter", "reason must be a reason code: " + Arrays
                    .stream(RejectionReason.values()).map(RejectionReason::code).collect(Collectors.joining(", ")));
        }
        return code;
    }

    @Schema(name = "RetriedOpenRejections")
    public record RetriedOpen(int tried, int applied, int duplicate,
            @Schema(description = "rejected again (the reason brought up to date); they stay open") int rejected,
            @Schema(nullable = true, description = "the last id tried when limit were tried (pass it as after); null"
                    + " when none is left") Long next) {
    }

    /** Admin only; CallerPermissionCheck already requires it for every write, this says so where the write is. */
    @POST
    @Path("/{id}/retry")
    @RolesAllowed(CallerPermissions.ADMIN)
    @Operation(operationId = "retryRejection", summary = "Re-runs a rejected record, e.g. once its policy exists")
    @APIResponse(responseCode = "200", description = "The rejection after the retry, with its outcome")
    @APIResponse(responseCode = "400", description = "The id is not a number", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", description = "No such rejection is kept", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public RejectionView retry(@PathParam("id") String id) {
        long rejectionId = Params.cursor("id", id);
        RejectionRetry.Retried retried = retry.retry(rejectionId).orElseThrow(() -> ApiException.notFound(
                "unknown-rejection", "no rejection " + rejectionId + " is kept"));
        return RejectionView.of(retried.rejection(), retried.outcome());
    }
}
