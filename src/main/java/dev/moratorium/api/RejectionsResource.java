package dev.moratorium.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.ingest.RejectionRetry;
import dev.moratorium.security.AccessRule;
import dev.moratorium.store.RejectionEntity;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.WireJson;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
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
        Parameters params = Parameters.with("after", cursor);
        String query = "id > :after";
        if (s != null) {
            query += " and status = :status";
            params.and("status", s.toUpperCase(Locale.ROOT));
        }
        List<RejectionEntity> rows = RejectionEntity.<RejectionEntity>find(query, Sort.ascending("id"), params)
                .page(Page.ofSize(max)).list();
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
        ObjectNode body = view(retried.rejection());
        body.put("outcome", retried.outcome());
        return body;
    }

    static ObjectNode view(RejectionEntity r) {
        ObjectNode node = WireJson.MAPPER.createObjectNode();
        node.put("id", r.id);
        node.put("status", r.status);
        node.put("reason", r.reasonCode);
        node.put("message", r.reasonMessage);
        node.put("deadLetterReason", r.reasonCode + ": " + r.reasonMessage);
        node.put("eventId", r.eventId);
        node.put("topic", r.topic);
        node.put("partition", r.kafkaPartition);
        node.put("offset", r.kafkaOffset);
        node.put("key", r.recordKey == null ? null : text(r.recordKey));
        node.put("valueSize", r.recordValue == null ? 0 : r.recordValue.length);
        node.put("value", r.recordValue == null ? null : preview(r.recordValue));
        ObjectNode headers = node.putObject("headers");
        HeaderCodec.decode(r.headers).forEach(h -> headers.put(h.key(), h.value() == null ? null : text(h.value())));
        node.put("receivedAt", WireJson.text(r.receivedAt));
        node.put("retryCount", r.retryCount);
        node.put("lastRetriedAt", WireJson.text(r.lastRetriedAt));
        node.put("resolution", r.resolution);
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

    private static String preview(byte[] value) {
        if (value.length <= PREVIEW) {
            return text(value);
        }
        byte[] head = java.util.Arrays.copyOf(value, PREVIEW);
        return text(head) + "…";
    }
}
