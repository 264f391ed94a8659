package dev.moratorium.api;

import dev.moratorium.config.MoratoriumConfig;
import io.netty.buffer.Unpooled;
import io.vertx.core.AsyncResult;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds the answers of the API's lists and policies that are being made or are waiting to leave
 * for their clients: {@code moratorium.api.answers-in-flight} per replica, and of them
 * {@code answers-in-flight-per-connection} per connection; a request past them is told 503
 * {@code busy} with {@code Retry-After} at once, before it costs anything.
 *
 * <p>An answer whose response has ended is not gone: its bytes, and with them the whole request
 * (the policy read, its view), wait in the connection's queue until its event loop has written
 * them to the socket. Nothing bounded those, and a burst of requests outran the event loops: 5,000
 * clients asking at once for a policy of 58 kB (reading their answers, or not) held 96 MB of them,
 * 1,400 answers' views alive, and the pod's 160 MB heap ended the service on OutOfMemoryError, at
 * 2,000 clients in one run of three. So an answer keeps its place until its bytes have left: on an
 * HTTP/1.1 connection until an empty write queued behind them has been written; on HTTP/2 until its
 * stream has closed, which it does once its last frame has been written (an ended answer waits
 * there for the client's flow-control window, and 60 connections of 100 streams each, from a client
 * that read nothing, ended the service the same way while their places had been given back at the
 * response's end). An answer not gone within {@code moratorium.api.client-stall} of its end loses
 * its connection, and with it its place.
 *
 * <p>An answer can also wait before its end: its writer blocks while its client takes nothing (an
 * HTTP/2 client that opened no window; an answer larger than the socket's buffers). One that has
 * written nothing more for a stall time while its connection would take nothing loses its
 * connection too (looked at every quarter of a stall time); without that, one HTTP/2
 * connection of 100 streams with a window of zero held 100 places, and every list and policy was
 * answered {@code busy}, for as long as it stayed open. A connection holds at most
 * {@code answers-in-flight-per-connection} places (HTTP/1.1 asks one thing at a time; HTTP/2
 * multiplexes), so one client cannot take them all.
 *
 * <p>{@code /access} (a hundred bytes, the gateways' path), the live stream (it holds a place of its
 * own, {@code max-streams}), the health and metrics endpoints and the dashboard's files are not counted.
 */
@ApplicationScoped
public class AnswersInFlight {

    static final String BUSY = "As many answers as this replica makes at once are being made or sent; try again shortly";
    /** The first look at an HTTP/2 answer's stream after its end, doubled up to {@link #LAST_LOOK_MILLIS}. */
    private static final long FIRST_LOOK_MILLIS = 1;
    private static final long LAST_LOOK_MILLIS = 200;

    @Inject
    MoratoriumConfig config;

    private Semaphore free;
    private int perConnection;
    private long stallMillis;
    private final Map<HttpConnection, Integer> held = new ConcurrentHashMap<>();

    void install(@Observes Router router) {
        install(router, config.api().answersInFlight(), config.api().answersInFlightPerConnection(),
                config.api().clientStall());
    }

    void install(Router router, int places, int placesPerConnection, Duration stall) {
        this.free = new Semaphore(places);
        this.perConnection = placesPerConnection;
        this.stallMillis = Math.max(1, stall.toMillis());
        // after the failure handler, the repeated-header check and the Vary hook; before Quarkus's own
        router.route().order(Integer.MIN_VALUE + 4).handler(this::admit);
    }

    /** Whether a request to {@code path} is counted: the reads whose answers may be tens of kilobytes. */
    static boolean counts(String method, String path) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return false;
        }
        return path.startsWith("/moratoria") || path.startsWith("/rejections") || path.startsWith("/outbox/parked")
                || path.startsWith("/subscriptions")
                || (path.startsWith("/notifications") && !path.startsWith("/notifications/stream"));
    }

    void admit(RoutingContext context) {
        HttpMethod method = context.request().method();
        if (!counts(method.name(), context.normalizedPath())) {
            context.next();
            return;
        }
        HttpConnection connection = context.request().connection();
        if (!free.tryAcquire()) {
            busy(context);
            return;
        }
        if (!takeOnConnection(connection)) {
            free.release();
            busy(context);
            return;
        }
        Place place = new Place(context, connection);
        context.addEndHandler(place::ended);
        place.watchWhileMade();
        context.next();
    }

    private static void busy(RoutingContext context) {
        context.response().setStatusCode(503).putHeader("Retry-After", "2")
                .putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", "busy").put("message", BUSY).encode());
    }

    private boolean takeOnConnection(HttpConnection connection) {
        boolean[] taken = {false};
        held.compute(connection, (c, n) -> {
            int now = n == null ? 0 : n;
            if (now >= perConnection) {
                return n;
            }
            taken[0] = true;
            return now + 1;
        });
        return taken[0];
    }

    private void giveBackOnConnection(HttpConnection connection) {
        held.computeIfPresent(connection, (c, n) -> n <= 1 ? null : n - 1);
    }

    /** One answer's place, from its request until its bytes have left or its connection is cut. */
    private final class Place {

        private final RoutingContext context;
        private final HttpConnection connection;
        private final AtomicBoolean given = new AtomicBoolean();
        private long writtenAtLastLook = -1;
        private long progressAt = System.nanoTime();
        /** The watch before the end, cancelled with the place: a timer per answer for a stall time (a minute) adds up. */
        private volatile long watch = -1;

        Place(RoutingContext context, HttpConnection connection) {
            this.context = context;
            this.connection = connection;
        }

        void giveBack() {
            if (given.compareAndSet(false, true)) {
                giveBackOnConnection(connection);
                free.release();
                context.vertx().cancelTimer(watch);
            }
        }

        /**
         * Before the end: cut an answer whose writer has waited a stall time for a client that took
         * nothing (looked at every quarter of it, so cut within 1.25 stall times).
         */
        void watchWhileMade() {
            watch = context.vertx().setTimer(Math.max(1, stallMillis / 4), id -> {
                HttpServerResponse response = context.response();
                if (given.get() || response.ended() || response.closed()) {
                    return;
                }
                long written = response.bytesWritten();
                long now = System.nanoTime();
                if (!response.writeQueueFull() || written != writtenAtLastLook) {
                    writtenAtLastLook = written;
                    progressAt = now;
                } else if (now - progressAt >= stallMillis * 1_000_000) {
                    cut();
                    return;
                }
                watchWhileMade();
            });
        }

        void ended(AsyncResult<Void> ended) {
            if (!ended.succeeded()) {
                giveBack();
            } else if (context.request().version() == HttpVersion.HTTP_2) {
                lookAtStream(FIRST_LOOK_MILLIS, System.nanoTime() + stallMillis * 1_000_000);
            } else if (connection instanceof ConnectionBase base) {
                long stalled = context.vertx().setTimer(stallMillis, id -> {
                    if (!given.get()) {
                        cut();
                    }
                });
                // queued behind the answer's bytes, it is written once they are; Vert.x offers no public way to
                // learn when an ended response has been written, hence its connection's own write queue
                base.writeToChannel(Unpooled.EMPTY_BUFFER, written -> {
                    context.vertx().cancelTimer(stalled);
                    giveBack();
                });
            } else {
                giveBack();
            }
        }

        /**
         * An HTTP/2 stream closes once its last frame has been written (flow control lets it go when the
         * client's window allows); nothing tells an ended response when, so it is looked at, soon first.
         */
        private void lookAtStream(long afterMillis, long deadline) {
            context.vertx().setTimer(afterMillis, id -> {
                if (given.get()) {
                    return;
                }
                if (context.response().closed()) {
                    giveBack();
                } else if (System.nanoTime() - deadline >= 0) {
                    cut();
                } else {
                    lookAtStream(Math.min(afterMillis * 2, LAST_LOOK_MILLIS), deadline);
                }
            });
        }

        /**
         * Closes the connection from its pipeline's head, at once (closed through the handlers, the close
         * waited until the client read: 8.8 s in AnswersInFlightTest), so what was queued for it is let go
         * and a writer waiting for it fails; the place is given back.
         */
        private void cut() {
            if (connection instanceof ConnectionBase base) {
                base.channel().pipeline().firstContext().close();
            } else {
                connection.close();
            }
            giveBack();
        }
    }

    /** Places free now (for tests). */
    int free() {
        return free.availablePermits();
    }

    /** Places held by connections now (for tests). */
    int heldByConnections() {
        return held.values().stream().mapToInt(Integer::intValue).sum();
    }
}
