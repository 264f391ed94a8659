package dev.moratorium.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.store.NotificationEntity;
import dev.moratorium.wire.WireJson;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Notifications, newest last, with {@code sequence} as the cursor; and the same as a live
 * server-sent event stream whose event ids are the sequence numbers (so {@code Last-Event-ID}
 * resumes where a dashboard left off).
 */
@Path("/notifications")
public class NotificationsResource {

    private static final Duration STREAM_POLL = Duration.ofMillis(250);

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public ArrayNode list(@QueryParam("after") String after, @QueryParam("limit") String limit) {
        long cursor = Params.cursor("after", after);
        int max = Params.integer("limit", limit, 100, 1, 500);
        ArrayNode body = WireJson.MAPPER.createArrayNode();
        for (NotificationEntity row : after(cursor, max)) {
            body.add(withSequence(row));
        }
        return body;
    }

    /**
     * Starts after {@code Last-Event-ID} (a reconnecting EventSource sends it, with the original
     * URL), else after {@code after}, else with what comes next.
     * Blocking: finding "what comes next" reads the database, which the I/O thread may not do.
     */
    @GET
    @Path("/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    public Multi<OutboundSseEvent> stream(@QueryParam("after") String after,
            @HeaderParam("Last-Event-ID") String lastEventId, @Context Sse sse) {
        long start;
        if (lastEventId != null && !lastEventId.isBlank()) {
            start = Params.cursor("Last-Event-ID", lastEventId);
        } else if (after != null && !after.isBlank()) {
            start = Params.cursor("after", after);
        } else {
            start = latestSequence();
        }
        AtomicLong cursor = new AtomicLong(start);
        return Multi.createFrom().ticks().startingAfter(Duration.ofMillis(1)).every(STREAM_POLL)
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .onItem().transformToIterable(tick -> {
                    List<NotificationEntity> rows = after(cursor.get(), 100);
                    if (!rows.isEmpty()) {
                        cursor.set(rows.get(rows.size() - 1).seq);
                    }
                    return rows;
                })
                .map(row -> sse.newEventBuilder().id(String.valueOf(row.seq)).name(row.type)
                        .mediaType(MediaType.APPLICATION_JSON_TYPE).data(WireJson.string(withSequence(row))).build());
    }

    private static List<NotificationEntity> after(long cursor, int limit) {
        return QuarkusTransaction.requiringNew().call(() -> NotificationEntity
                .<NotificationEntity>find("seq > ?1", Sort.ascending("seq"), cursor).page(Page.ofSize(limit)).list());
    }

    private static long latestSequence() {
        Long max = QuarkusTransaction.requiringNew().call(() -> NotificationEntity.getEntityManager()
                .createQuery("select max(n.seq) from NotificationEntity n", Long.class).getSingleResult());
        return max == null ? 0 : max;
    }

    private static ObjectNode withSequence(NotificationEntity row) {
        ObjectNode node = (ObjectNode) WireJson.parse(row.payload);
        node.put("sequence", row.seq);
        return node;
    }
}
