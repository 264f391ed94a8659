package dev.moratorium.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.outbox.ChangeSignal;
import dev.moratorium.outbox.ParkedRowsGauge;
import dev.moratorium.security.CallerPermissions;
import dev.moratorium.store.ParkedOutbox;
import dev.moratorium.write.CurrentStates;
import dev.moratorium.wire.ApiError;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.wire.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.jboss.logging.Logger;
import jakarta.annotation.security.RolesAllowed;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;

/**
 * Outbox rows the broker refused and the relay set aside, for an operator: listed with their
 * reason and a preview (never the whole payload), and re-driven once they can be published — for
 * example after the topic's {@code max.message.bytes} was raised.
 */
@Path("/outbox/parked")
@Produces(MediaType.APPLICATION_JSON)
public class ParkedOutboxResource {

    private static final Logger LOG = Logger.getLogger(ParkedOutboxResource.class);

    private static final int PREVIEW = 256;

    /** The topics the relay publishes to, and so parks rows of. */
    private static final List<String> OUTPUT_TOPICS = List.of(Topics.NOTIFICATIONS, Topics.STATE, Topics.DEAD_LETTER);

    @Inject
    ParkedOutbox parked;

    @Inject
    CurrentStates states;

    @Inject
    MeterRegistry registry;

    @Inject
    ChangeSignal signal;

    @Inject
    ParkedRowsGauge gauge;

    @Inject
    MoratoriumConfig config;

    @Inject
    CurrentVertxRequest vertxRequest;

    private final ObjectWriter writer;

    @Inject
    ParkedOutboxResource(ObjectMapper json) {
        this.writer = ChunkedList.writer(json, ParkedRow.class);
    }

    /** Oldest first; {@code after} is the last id seen. */
    @GET
    @Operation(operationId = "listParkedOutboxRows", summary = "Outbox rows the broker refused, oldest first")
    @APIResponse(responseCode = "200", description = "The parked rows after the cursor",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(type = SchemaType.ARRAY, implementation = ParkedRow.class)))
    @APIResponse(responseCode = "400", description = "A parameter is not valid", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "As many long lists as the replica writes at once are being written;"
            + " Retry-After says when to try again", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public StreamingOutput list(@QueryParam("after") String after, @QueryParam("limit") String limit) {
        long cursor = Params.cursor("after", after);
        int max = Params.integer("limit", limit, 100, 1, 500);
        // a dead letter carries its input's headers: read and written a chunk at a time (ChunkedList)
        return ChunkedList.of(writer, cursor, max, (from, n) -> ShortRead.of(() -> parked.list(from, n, PREVIEW)), ParkedOutbox.Parked::id,
                ParkedOutboxResource::view, config.api().clientStall(), VertxClient.of(vertxRequest));
    }

    /**
     * Admin only; CallerPermissionCheck already requires it for every write, this says so where the write is.
     * The row goes back to the outbox under a new id, so it is published after every row queued
     * before now — also after newer records of its policy.
     */
    @POST
    @Path("/{id}/redrive")
    @RolesAllowed(CallerPermissions.ADMIN)
    @Operation(operationId = "redriveParkedOutboxRow", summary = "Queues a parked row for publishing again",
            description = "A moratorium-state row is queued as its policy's current state, not as it was parked:"
                    + " the topic is compacted, and a parked state published after later ones would be the last"
                    + " record a subscriber keeps")
    @APIResponse(responseCode = "200", description = "The row (or, for a state row, the current state) is back in the outbox")
    @APIResponse(responseCode = "400", description = "The id is not a number", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", description = "No such row is parked", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Redriven redrive(@PathParam("id") String id) {
        long parkedId = Params.cursor("id", id);
        CurrentStates.Redriven queued = states.redriveParked(parkedId).orElseThrow(() -> ApiException.notFound(
                "unknown-parked-row", "no outbox row " + parkedId + " is parked"));
        signal.changed();
        gauge.refresh();
        return new Redriven(parkedId, queued.outboxId(), queued.currentState() ? "current-state-queued" : "queued");
    }

    /**
     * Every parked row at once, a page at a time, once the cause is fixed (a topic's limit raised, an
     * ACL granted): without {@code upTo}, the rows parked now — a row refused again is parked under a
     * new id past it, so following {@code next} with the same {@code upTo} ends.
     */
    @POST
    @Path("/redrive")
    @RolesAllowed(CallerPermissions.ADMIN)
    @Operation(operationId = "redriveParkedOutboxRows", summary = "Queues the parked rows for publishing again, oldest first",
            description = "Each as POST /outbox/parked/{id}/redrive does (a moratorium-state row as its policy's current"
                    + " state). Follow next, with the same upTo, until it is null")
    @APIResponse(responseCode = "200", description = "How many were queued; next, when limit rows were listed, is the"
            + " after that goes on", content = @Content(schema = @Schema(implementation = RedrivenPage.class)))
    @APIResponse(responseCode = "400", description = "A parameter is not valid", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public RedrivenPage redriveAll(
            @Parameter(description = "only the rows for this topic: moratorium-notifications, moratorium-state or"
                    + " policy-changes-dlq") @QueryParam("topic") String topic,
            @Parameter(description = "the rows after this id") @QueryParam("after") String after,
            @Parameter(description = "the rows up to this id; default: the last one parked now") @QueryParam("upTo") String upTo,
            @Parameter(description = "at most this many, 1-500 (default 100)") @QueryParam("limit") String limit) {
        String only = Params.optional("topic", topic);
        if (only != null && !OUTPUT_TOPICS.contains(only)) {
            throw ApiException.badRequest("invalid-parameter", "topic must be one of " + String.join(", ", OUTPUT_TOPICS));
        }
        long from = Params.cursor("after", after);
        int max = Params.integer("limit", limit, 100, 1, 500);
        long bound = upTo == null || upTo.isBlank() ? states.lastParkedId() : Params.cursor("upTo", upTo);
        CurrentStates.RedrivenPage page = states.redriveParked(from, bound, Optional.ofNullable(only), max);
        if (page.redriven() > 0) {
            signal.changed();
            gauge.refresh();
            LOG.infof("%d parked outbox rows%s redriven by an operator (%d as their policy's current state)",
                    page.redriven(), only == null ? "" : " for " + only, page.currentStates());
        }
        return new RedrivenPage(page.redriven(), page.currentStates(), bound, page.next());
    }

    @Schema(name = "RedrivenOutboxRows")
    public record RedrivenPage(int redriven,
            @Schema(description = "of them, moratorium-state rows queued as their policy's current state") int currentStates,
            @Schema(description = "the highest id this redrive takes: pass it with next") long upTo,
            @Schema(nullable = true, description = "the last id listed when limit were listed (pass it as after, with"
                    + " upTo); null when none is left") Long next) {
    }

    /**
     * What the runbook calls dropping a row knowingly, without database access: the reason is
     * required, and logged with the row's id and topic (WARN), so the decision is on record.
     */
    @DELETE
    @Path("/{id}")
    @RolesAllowed(CallerPermissions.ADMIN)
    @Operation(operationId = "dropParkedOutboxRow", summary = "Drops a parked row: it will never be published")
    @APIResponse(responseCode = "200", description = "The row is gone")
    @APIResponse(responseCode = "400", description = "The id is not a number, or no reason is given",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", description = "No such row is parked", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Dropped drop(@PathParam("id") String id,
            @Parameter(description = "why it must not be published (kept in the log), up to 200 characters")
            @QueryParam("reason") String reason) {
        long parkedId = Params.cursor("id", id);
        String why = Params.optional("reason", reason); // at most 200 characters, no control characters
        if (why == null) {
            throw ApiException.badRequest("missing-parameter", "reason is required: why the row must not be published");
        }
        String topic = parked.drop(parkedId).orElseThrow(() -> ApiException.notFound("unknown-parked-row",
                "no outbox row " + parkedId + " is parked"));
        LOG.warnf("Parked outbox row %d for %s dropped by an operator: %s", parkedId, topic, Sanitize.forLog(why));
        registry.counter("moratorium.outbox.parked.dropped", "topic", topic).increment();
        gauge.refresh();
        return new Dropped(parkedId, topic, "dropped");
    }

    @Schema(name = "DroppedOutboxRow")
    public record Dropped(long id, String topic, @Schema(enumeration = "dropped") String outcome) {
    }

    /** A parked row: where it was going, why the broker refused it, and a preview of what it holds. */
    @Schema(name = "ParkedOutboxRow")
    public record ParkedRow(long id, String topic,
            @Schema(nullable = true, description = "the key's first 256 bytes") String key, String reason,
            Instant createdAt, Instant parkedAt,
            @Schema(description = "the first 64 headers, each name's first 256 characters and value's first 512"
                    + " bytes (then …); the values of a name given more than once joined by \", \"")
            Map<String, String> headers,
            @Schema(description = "how many headers the row had") int headerCount, long payloadSize,
            @Schema(nullable = true, description = "the payload's first 256 bytes") String payloadPreview) {
    }

    @Schema(name = "RedrivenOutboxRow")
    public record Redriven(long id, long outboxId,
            @Schema(enumeration = {"queued", "current-state-queued"}, description = "queued: the row as it was"
                    + " parked; current-state-queued: a moratorium-state row, replaced by its policy's current state")
            String outcome) {
    }

    private static ParkedRow view(ParkedOutbox.Parked p) {
        return new ParkedRow(p.id(), p.topic(), BytesText.preview(p.keyHead(), p.keySize(), PREVIEW), p.reason(),
                p.createdAt(), p.parkedAt(), BytesText.headers(p.headers()), p.headers().count(), p.payloadSize(),
                BytesText.preview(p.payloadHead(), p.payloadSize(), PREVIEW));
    }
}
