package dev.moratorium.api;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.readmodel.NotificationFeed;
import dev.moratorium.wire.ApiError;
import dev.moratorium.wire.Sanitize;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.ext.web.RoutingContext;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Notifications, newest last, with {@code sequence} as the cursor; and the same as a live
 * server-sent event stream whose event ids are the sequence numbers (so {@code Last-Event-ID}
 * resumes where a dashboard left off). Both read the replica's one {@link NotificationFeed}, not
 * the database per client; live streams are capped per replica ({@code moratorium.api.max-streams}).
 */
@Path("/notifications")
public class NotificationsResource {

    private static final Logger LOG = Logger.getLogger(NotificationsResource.class);
    private static final Duration STREAM_TICK = Duration.ofMillis(250);
    /** The comment a quiet stream sends (":keep-alive" and a blank line); EventSource clients ignore comments. */
    static final String HEARTBEAT = "keep-alive";

    @Inject
    NotificationFeed feed;

    @Inject
    MoratoriumConfig config;

    @Inject
    CurrentVertxRequest vertxRequest;

    private final AtomicInteger openStreams = new AtomicInteger();

    /** A JSON array of the notifications' data, each with its {@code sequence}. */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "listNotifications", summary = "Notifications after a sequence, oldest first")
    @APIResponse(responseCode = "200", description = "The notifications after the cursor",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(type = SchemaType.ARRAY, implementation = NotificationView.class)))
    @APIResponse(responseCode = "400", description = "A parameter is not valid, or after is past the newest notification", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "As many long lists as the replica writes at once are being"
            + " written, or every place to read notifications from the database is taken; see Retry-After", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public StreamingOutput list(@QueryParam("after") String after, @QueryParam("limit") String limit) {
        long cursor = issued("after", Params.cursor("after", after));
        int max = Params.integer("limit", limit, 100, 1, 500);
        // Written a notification at a time, among the replica's long lists (ChunkedList.PLACES): the
        // items are the feed's, shared, but a page joined into one string was a copy of up to 4 M
        // characters and its bytes another 12 MB, and 16 clients reading the feed's dozen newest
        // notifications of 768 KiB at once ended the packaged service on OutOfMemoryError.
        return ChunkedList.written(ChunkedList.PLACES, config.api().clientStall(), VertxClient.of(vertxRequest), output -> writeArray(output,
                feed.after(cursor, max, READ_WAIT).orElseThrow(() -> ApiException.unavailable("busy", "as many clients as"
                        + " this replica serves at once are reading notifications from further back than it keeps in"
                        + " memory; try again shortly", BUSY_RETRY_AFTER_SECONDS))));
    }

    /** The items' JSON as one array, encoded a few kilobytes at a time rather than an item at once. */
    private static void writeArray(OutputStream output, List<NotificationFeed.Item> items) throws IOException {
        Writer json = new OutputStreamWriter(output, StandardCharsets.UTF_8);
        json.write('[');
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                json.write(',');
            }
            json.write(items.get(i).json());
        }
        json.write(']');
        json.flush();
    }

    /**
     * Starts after {@code Last-Event-ID} (a reconnecting EventSource sends it, with the original
     * URL), else after {@code after}, else with what comes next; a cursor this store never gave is
     * refused (400). Past the cap on open streams it
     * answers 503 with {@code Retry-After}: one replica's threads and memory stay bounded.
     */
    @GET
    @Path("/stream")
    // on a worker thread: a cursor past what this replica holds is checked in the database (issued)
    @Blocking
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(operationId = "streamNotifications",
            summary = "Notifications as server-sent events, live; event id = sequence, event name = type")
    @APIResponse(responseCode = "200", description = "A stream of events whose data is a Notification",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS,
                    schema = @Schema(implementation = NotificationView.class)))
    @APIResponse(responseCode = "400", description = "A cursor is not valid, or past the newest notification", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "This replica serves its cap of live streams; see Retry-After",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Multi<OutboundSseEvent> stream(@QueryParam("after") String after,
            @HeaderParam("Last-Event-ID") String lastEventId, @Context Sse sse, @Context RoutingContext http) {
        long start;
        if (lastEventId != null && !lastEventId.isBlank()) {
            start = issued("Last-Event-ID", Params.cursor("Last-Event-ID", lastEventId));
        } else if (after != null && !after.isBlank()) {
            start = issued("after", Params.cursor("after", after));
        } else {
            start = feed.latest();
        }
        if (openStreams.incrementAndGet() > config.api().maxStreams()) {
            openStreams.decrementAndGet();
            throw ApiException.unavailable("too-many-streams", "this replica serves " + config.api().maxStreams()
                    + " live streams at most; try again shortly", RETRY_AFTER_SECONDS);
        }
        // The place is given back once, whichever comes first: the stream's end, or the connection's.
        // A client gone before the stream began (a reset while the answer's head was being written)
        // ends no stream, and each such client kept a place for good: 300 of them left every
        // dashboard refused with 503 (StreamsAndRetentionTest).
        NotificationFeed.Follower follower = feed.follow();
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                openStreams.decrementAndGet();
            }
            follower.close();
        };
        http.addEndHandler(ended -> release.run());
        if (http.response().closed()) {
            release.run();
        }
        AtomicLong cursor = new AtomicLong(start);
        AtomicLong lastSent = new AtomicLong(System.nanoTime());
        AtomicLong lastTaken = new AtomicLong(System.nanoTime());
        long heartbeat = config.api().streamHeartbeat().toNanos();
        long stall = config.api().clientStall().toNanos();
        // A tick comes only once the client has taken what the last one sent; ticks meanwhile are
        // dropped, not queued: Mutiny's queue of 256 ended a stream with BackPressureFailure after
        // anything from one to 256 ticks of a client still busy reading (16 of 20 clients reading
        // notifications of up to 777 kB at a steady 100 kB/s were cut within 65-107 s). A client that has taken
        // nothing for the stall time ends its stream (ClientStalled).
        return Multi.createFrom().ticks().startingAfter(Duration.ofMillis(1)).every(STREAM_TICK)
                .onOverflow().invoke(tick -> {
                    if (System.nanoTime() - lastTaken.get() > stall) {
                        throw new ClientStalled(config.api().clientStall());
                    }
                }).drop()
                .emitOn(Infrastructure.getDefaultWorkerPool(), 1)
                .onItem().transformToIterable(tick -> {
                    long now = System.nanoTime();
                    lastTaken.set(now); // a tick came through: nothing waits to be written
                    // none while it waits for its turn to catch up, or for a place to read: the next tick tries again
                    List<NotificationFeed.Item> items = follower.next(cursor.get(), 100);
                    if (!items.isEmpty()) {
                        cursor.set(items.get(items.size() - 1).sequence());
                        lastSent.set(now);
                        return items.stream().map(item -> event(sse, item)).toList();
                    }
                    if (now - lastSent.get() >= heartbeat) {
                        lastSent.set(now);
                        return List.of(sse.newEventBuilder().comment(HEARTBEAT).build());
                    }
                    return List.<OutboundSseEvent>of();
                })
                // and within a page, the HTTP layer asks for the next event once the last is written
                .onRequest().invoke(() -> lastTaken.set(System.nanoTime()))
                // Our own failure (the database, for a client reading from far back) ends the stream
                // normally after one warning, and the client reconnects with Last-Event-ID. What the
                // HTTP layer then logs for a stream is only a client gone mid-write (see the
                // PublisherResponseHandler category in application.properties). A stalled client's
                // stream ends the same way, its client's doing: no warning.
                .onFailure().invoke(e -> {
                    if (e instanceof ClientStalled) {
                        LOG.debugf("A live stream ended at sequence %d: %s", cursor.get(), e.getMessage());
                    } else {
                        LOG.warnf("A live stream ended at sequence %d; the client reconnects: %s",
                                cursor.get(), Sanitize.forLog(String.valueOf(e.getMessage())));
                    }
                })
                .onFailure().recoverWithCompletion()
                .onTermination().invoke(release);
    }

    /**
     * The cursor, if this store may have given it (see {@link NotificationFeed#numbered}); a 400 for
     * one past the last sequence it numbered, rather than an empty answer until the sequence reaches it.
     */
    private long issued(String name, long cursor) {
        if (!feed.numbered(cursor)) {
            long latest = feed.latest();
            throw ApiException.badRequest("invalid-parameter", name + " " + cursor + " is past the newest notification,"
                    + " " + latest + ": it comes from another database, or from this one before it was restored or"
                    + " made anew; read from 0 for every notification kept, or from " + latest + " for what comes next");
        }
        return cursor;
    }

    /** A live stream's client took nothing for the stall time while there was more to send. */
    static final class ClientStalled extends RuntimeException {
        ClientStalled(Duration stall) {
            super("its client took nothing for " + stall.toSeconds() + " s", null, false, false);
        }
    }

    private static OutboundSseEvent event(Sse sse, NotificationFeed.Item item) {
        return sse.newEventBuilder().id(String.valueOf(item.sequence())).name(item.type())
                .data(item.json()).build();
    }

    private static final int RETRY_AFTER_SECONDS = 5;
    /** How long a list waits for a place to read from the database before it answers 503 busy. */
    static final Duration READ_WAIT = Duration.ofSeconds(5);
    private static final int BUSY_RETRY_AFTER_SECONDS = 2;
}
