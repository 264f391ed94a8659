package dev.moratorium.api;

import dev.moratorium.config.MoratoriumConfig;
import io.netty.buffer.Unpooled;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds the answers of the API's lists and policies that are being made or are waiting to leave
 * for their clients: {@code moratorium.api.answers-in-flight} per replica; a request past them is
 * told 503 {@code busy} with {@code Retry-After} at once, before it costs anything.
 *
 * <p>An answer whose response has ended is not gone: its bytes, and with them the whole request
 * (the policy read, its view), wait in the connection's queue until its event loop has written
 * them to the socket. Nothing bounded those, and a burst of requests outran the event loops: 5,000
 * clients asking at once for a policy of 58 kB (reading their answers, or not) held 96 MB of them,
 * 1,400 answers' views alive, and the pod's 160 MB heap ended the service on OutOfMemoryError, at
 * 2,000 clients in one run of three. So an answer keeps its place until an empty write queued behind
 * it on its HTTP/1.1 connection has been written (HTTP/2 has no such write: there the place is kept
 * until the response ends), and a client that has not taken it within
 * {@code moratorium.api.client-stall} loses its connection, and the answer its place.
 *
 * <p>{@code /access} (a hundred bytes, the gateways' path), the live stream (it holds a place of its
 * own, {@code max-streams}), the health and metrics endpoints and the dashboard's files are not counted.
 */
@ApplicationScoped
public class AnswersInFlight {

    static final String BUSY = "As many answers as this replica makes at once are being made or sent; try again shortly";

    @Inject
    MoratoriumConfig config;

    private Semaphore free;
    private long stallMillis;

    void install(@Observes Router router) {
        install(router, config.api().answersInFlight(), config.api().clientStall());
    }

    void install(Router router, int places, Duration stall) {
        this.free = new Semaphore(places);
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
        if (!free.tryAcquire()) {
            context.response().setStatusCode(503).putHeader("Retry-After", "2")
                    .putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("error", "busy").put("message", BUSY).encode());
            return;
        }
        AtomicBoolean given = new AtomicBoolean();
        Runnable giveBack = () -> {
            if (given.compareAndSet(false, true)) {
                free.release();
            }
        };
        context.addEndHandler(ended -> {
            if (ended.succeeded() && context.request().version() != HttpVersion.HTTP_2
                    && context.request().connection() instanceof ConnectionBase connection) {
                long stalled = context.vertx().setTimer(stallMillis, id -> {
                    if (!given.get()) {
                        // the client took nothing: closed from the pipeline's head, at once (closed through the
                        // handlers, the close waited until the client read: 8.8 s in AnswersInFlightTest), so what
                        // was queued for it is let go and the empty write fails
                        connection.channel().pipeline().firstContext().close();
                    }
                });
                // queued behind the answer's bytes, it is written once they are; Vert.x offers no public way to
                // learn when an ended response has been written, hence its connection's own write queue
                connection.writeToChannel(Unpooled.EMPTY_BUFFER, written -> {
                    context.vertx().cancelTimer(stalled);
                    giveBack.run();
                });
            } else {
                giveBack.run();
            }
        });
        context.next();
    }

    /** Places free now (for tests). */
    int free() {
        return free.availablePermits();
    }
}
