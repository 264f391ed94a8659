package dev.moratorium.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.ingest.RejectionRetry;
import dev.moratorium.outbox.ChangeSignal;
import dev.moratorium.security.AccessRule;
import dev.moratorium.store.RejectionEntity;
import dev.moratorium.store.RejectionReads;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.WireJson;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/** Rejected records with their reasons, and retrying one. */
@Path("/rejections")
@Produces(MediaType.APPLICATION_JSON)
public class RejectionsResource {

    private static final int PREVIEW = 2048;

    @Inject
    RejectionRetry retry;

    @Inject
    ChangeSignal signal;

    @Inject
    RejectionReads rejections;

    /** Oldest first; {@code after} is the last id seen; {@code status} OPEN or RESOLVED. */
    @GET
    @Transactional(Transactional.TxType.SUPPORTS)
    public ArrayNode list(@QueryParam("status") String status, @QueryParam("after") String after,
            @QueryParam("limit") String limit) {
        String s = Params.optional("status", status);
        if (s != null && !List.of(RejectionEntity.OPEN, RejectionEntity.RESOLVED).contains(s.toUpperCase(Locale.ROOT))) {
            throw ApiException.badRequest("invalid-parameter", "status must be OPEN or RESOLVED");
        }
        long cursor = Params.cursor("after", after);
        int max = Params.integer("limit", limit, 100, 1, 500);
        List<RejectionReads.Listed> rows = rejections.list(s == null ? null : s.toUpperCase(Locale.ROOT), cursor, max,
                PREVIEW);
        ArrayNode body = WireJson.MAPPER.createArrayNode();
        rows.forEach(r -> body.add(view(r)));
        return body;
    }

    /** Admin only; AccessPolicy already requires it for every write, this says so where the write is. */
    @POST
    @Path("/{id}/retry")
    @RolesAllowed(AccessRule.ADMIN)
    public ObjectNode retry(@PathParam("id") String id) {
        long rejectionId = Params.cursor("id", id);
        RejectionRetry.Retried retried = retry.retry(rejectionId).orElseThrow(() -> ApiException.notFound(
                "unknown-rejection", "no rejection " + rejectionId + " is kept"));
        signal.changed();
        ObjectNode body = view(retried.rejection());
        body.put("outcome", retried.outcome());
        return body;
    }

    static ObjectNode view(RejectionEntity r) {
        byte[] v = r.recordValue;
        return view(new RejectionReads.Listed(r.id, r.status, r.reasonCode, r.reasonMessage, r.eventId, r.topic,
                r.kafkaPartition, r.kafkaOffset, r.recordKey, v == null || v.length <= PREVIEW ? v : Arrays.copyOf(v, PREVIEW),
                v == null ? 0 : v.length, r.headers, r.receivedAt, r.retryCount, r.lastRetriedAt, r.resolution));
    }

    static ObjectNode view(RejectionReads.Listed r) {
        ObjectNode node = WireJson.MAPPER.createObjectNode();
        node.put("id", r.id());
        node.put("status", r.status());
        node.put("reason", r.reasonCode());
        node.put("message", r.reasonMessage());
        node.put("deadLetterReason", r.reasonCode() + ": " + r.reasonMessage());
        node.put("eventId", r.eventId());
        node.put("topic", r.topic());
        node.put("partition", r.partition());
        node.put("offset", r.offset());
        node.put("key", r.key() == null ? null : text(r.key()));
        node.put("valueSize", r.valueSize());
        node.put("value", r.valueHead() == null ? null : preview(r.valueHead(), r.valueSize()));
        ObjectNode headers = node.putObject("headers");
        HeaderCodec.decode(r.headers()).forEach(h -> headers.put(h.key(), h.value() == null ? null : text(h.value())));
        node.put("receivedAt", WireJson.text(r.receivedAt()));
        node.put("retryCount", r.retryCount());
        node.put("lastRetriedAt", WireJson.text(r.lastRetriedAt()));
        node.put("resolution", r.resolution());
        return node;
    }

    /** UTF-8 text as is; anything else in base64 with a "base64:" prefix. */
    private static String text(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return "base64:" + Base64.getEncoder().encodeToString(bytes);
        }
    }

    /** The value's first bytes as text, with "…" when the value is longer. */
    private static String preview(byte[] head, long size) {
        return size <= head.length ? text(head) : text(head) + "…";
    }
}
