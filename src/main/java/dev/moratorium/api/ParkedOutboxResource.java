package dev.moratorium.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.outbox.ChangeSignal;
import dev.moratorium.outbox.ParkedRowsGauge;
import dev.moratorium.security.AccessRule;
import dev.moratorium.store.ParkedOutbox;
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

/**
 * Outbox rows the broker refused and the relay set aside, for an operator: listed with their
 * reason and a preview (never the whole payload), and re-driven once they can be published — for
 * example after the topic's {@code max.message.bytes} was raised.
 */
@Path("/outbox/parked")
@Produces(MediaType.APPLICATION_JSON)
public class ParkedOutboxResource {

    private static final int PREVIEW = 256;

    @Inject
    ParkedOutbox parked;

    @Inject
    ChangeSignal signal;

    @Inject
    ParkedRowsGauge gauge;

    /** Oldest first; {@code after} is the last id seen. */
    @GET
    @Transactional(Transactional.TxType.SUPPORTS)
    public ArrayNode list(@QueryParam("after") String after, @QueryParam("limit") String limit) {
        long cursor = Params.cursor("after", after);
        int max = Params.integer("limit", limit, 100, 1, 500);
        ArrayNode body = WireJson.MAPPER.createArrayNode();
        parked.list(cursor, max, PREVIEW).forEach(p -> body.add(view(p)));
        return body;
    }

    /**
     * Admin only; AccessPolicy already requires it for every write, this says so where the write is.
     * The row goes back to the outbox under a new id, so it is published after every row queued
     * before now — also after newer records of its policy.
     */
    @POST
    @Path("/{id}/redrive")
    @RolesAllowed(AccessRule.ADMIN)
    public ObjectNode redrive(@PathParam("id") String id) {
        long parkedId = Params.cursor("id", id);
        long outboxId = parked.redrive(parkedId).orElseThrow(() -> ApiException.notFound("unknown-parked-row",
                "no outbox row " + parkedId + " is parked"));
        signal.changed();
        gauge.refresh();
        ObjectNode body = WireJson.MAPPER.createObjectNode();
        body.put("id", parkedId);
        body.put("outboxId", outboxId);
        body.put("outcome", "queued");
        return body;
    }

    private static ObjectNode view(ParkedOutbox.Parked p) {
        ObjectNode node = WireJson.MAPPER.createObjectNode();
        node.put("id", p.id());
        node.put("topic", p.topic());
        node.put("key", BytesText.text(p.key()));
        node.put("reason", p.reason());
        node.put("createdAt", WireJson.text(p.createdAt()));
        node.put("parkedAt", WireJson.text(p.parkedAt()));
        ObjectNode headers = node.putObject("headers");
        HeaderCodec.decode(p.headers()).forEach(h -> headers.put(h.key(),
                h.value() == null ? null : BytesText.preview(h.value(), h.value().length, PREVIEW)));
        node.put("payloadSize", p.payloadSize());
        node.put("payloadPreview", BytesText.preview(p.payloadHead(), p.payloadSize(), PREVIEW));
        return node;
    }
}
