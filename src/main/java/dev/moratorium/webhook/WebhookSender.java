package dev.moratorium.webhook;

import dev.moratorium.clock.Wall;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * POSTs one notification to one receiver, Standard Webhooks style, over a connection to the
 * address {@link TargetGuard} checked for this attempt: the host name still names the request
 * (its {@code Host} header, TLS's server name and the certificate's check), but nothing resolves
 * it a second time, so a name that answers differently from one lookup to the next cannot send
 * the request to an address the check refused. Redirects are never followed (a 3xx is a failed
 * attempt): following one would send the signed payload, and our requests, wherever the receiver
 * points, past the address check. The answer's body is discarded, and the whole attempt — the
 * host's resolution, then the exchange, body included — ends within the connect and request
 * timeouts together, which the lease outlasts ({@link AttemptBudget}).
 */
class WebhookSender {

    private static final int MAX_ERROR = 300;

    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Duration answerDeadline;
    private final TargetGuard guard;
    private final Clock wall;
    private final Vertx vertx;
    private final HttpClientOptions options;
    /**
     * Made by the first delivery, not at start: a replica with no subscriber never needs one (the
     * JDK's client this replaced took 80 ms of the start's main thread to build).
     */
    private volatile HttpClient client;

    /**
     * @param options the client's options: in the service Vert.x's defaults (the JDK's trusted
     *     authorities, the host name checked against the certificate), a test's own authority in tests
     */
    WebhookSender(AttemptBudget budget, TargetGuard guard, Clock wall, Vertx vertx, HttpClientOptions options) {
        this.connectTimeout = budget.connectTimeout();
        this.requestTimeout = budget.requestTimeout();
        this.answerDeadline = budget.answerDeadline();
        this.guard = guard;
        this.wall = wall;
        this.vertx = vertx;
        this.options = options;
    }

    /** The options a delivery worker pool of {@code workers} threads needs: a connection each per receiver. */
    static HttpClientOptions options(int workers) {
        return new HttpClientOptions()
                .setMaxPoolSize(Math.max(1, workers))
                .setVerifyHost(true)
                .setTrustAll(false);
    }

    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    c = vertx.createHttpClient(options);
                    client = c;
                }
            }
        }
        return c;
    }

    Attempt send(Claim claim, String webhookId, byte[] body) throws InterruptedException {
        Instant at = wall.instant();
        long started = System.nanoTime();
        // Resolved again now: the name may point elsewhere than when the subscription was written.
        TargetGuard.Target target = guard.check(claim.url());
        Duration resolving = Duration.ofNanos(System.nanoTime() - started);
        if (target.isRefused()) {
            return new Attempt(at, Optional.empty(), Optional.empty(), resolving.toMillis(), "refused: " + target.problem());
        }
        if (resolving.compareTo(connectTimeout) >= 0) {
            // The lookup cannot be interrupted, and nothing extends the lease while it lasts: a resolver
            // that answers after its own timeouts and a pod's search domains (ndots:5 tries each one)
            // can take minutes. Sending then could outlive the lease and let another worker send the
            // same notification, so the attempt fails here, before a byte is sent.
            return failed(at, started, "dns: resolving the host took " + resolving.toMillis()
                    + " ms, not within the connect timeout of " + connectTimeout.toMillis() + " ms; nothing was sent");
        }
        long timestamp = at.getEpochSecond();
        RequestOptions request;
        try {
            request = new RequestOptions()
                    .setMethod(HttpMethod.POST)
                    .setServer(checkedAddress(target))
                    .setHost(target.host())
                    .setPort(target.port())
                    .setSsl(target.isHttps())
                    .setURI(target.pathAndQuery())
                    .setConnectTimeout(connectTimeout.toMillis())
                    .setFollowRedirects(false)
                    // Vert.x would write an IPv6 host without its brackets (and with ":port" glued on)
                    .putHeader("host", target.authority())
                    .putHeader("content-type", "application/json")
                    .putHeader("user-agent", "moratorium-service-webhooks/1")
                    .putHeader("webhook-id", webhookId)
                    .putHeader("webhook-timestamp", String.valueOf(timestamp))
                    .putHeader("webhook-signature", WebhookSecrets.signatureHeader(claim.secret(),
                            claim.previousSecretAt(at), webhookId, timestamp, body));
        } catch (IllegalArgumentException e) {
            // A request the HTTP client will not build (a header it refuses) is this subscription's
            // failed attempt, retried with backoff and parked like any other: thrown, it failed the
            // worker's whole round, and the same subscription, due first, took every round again while
            // every other subscriber waited.
            return failed(at, started, "invalid request: " + e.getMessage());
        }
        Exchange exchange = new Exchange();
        try {
            exchange.start(client(), request, body);
            return answered(at, started, exchange, System.nanoTime() + answerDeadline.minus(resolving).toNanos());
        } catch (IllegalArgumentException e) {
            return failed(at, started, "invalid request: " + e.getMessage());
        } finally {
            exchange.abandonUnlessEnded(); // closes the connection of an answer not read to its end
        }
    }

    /**
     * The address checked, without its host name: given the name too, the socket address could be
     * resolved again by it.
     */
    private static SocketAddress checkedAddress(TargetGuard.Target target) {
        try {
            InetAddress bare = InetAddress.getByAddress(target.address().getAddress());
            return SocketAddress.inetSocketAddress(new InetSocketAddress(bare, target.port()));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("the checked address is not an IP address", e);
        }
    }

    /**
     * Waits for the connection (within the connect timeout, which the client enforces), the answer's
     * headers (within the request timeout) and the end of its body, all by {@code deadline}: the
     * request timeout alone ended only the wait for the headers, and a receiver that then sends its
     * body a byte at a time, or never ends it (a streaming endpoint given as the URL), held the
     * delivery worker for ever, and since the subscription's lease ran out meanwhile, every other
     * worker in turn.
     */
    private Attempt answered(Instant at, long started, Exchange exchange, long deadline) throws InterruptedException {
        try {
            try {
                exchange.connected.get(remaining(deadline), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return failed(at, started, "connect timeout");
            }
            long headersBy = Math.min(deadline, System.nanoTime() + requestTimeout.toNanos());
            HttpClientResponse response;
            try {
                response = exchange.answered.get(remaining(headersBy), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return failed(at, started, headersBy == deadline ? notEnded()
                        : "timeout: no answer within " + requestTimeout.toMillis() + " ms");
            }
            try {
                exchange.ended.get(remaining(deadline), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return failed(at, started, notEnded());
            }
            Optional<Duration> retryAfter = Backoff.parseRetryAfter(response.getHeader("retry-after"), wall.instant());
            return new Attempt(at, Optional.of(response.statusCode()), retryAfter, elapsedMs(started), null);
        } catch (ExecutionException e) {
            boolean connected = exchange.connected.isDone() && !exchange.connected.isCompletedExceptionally();
            return failed(at, started, failure(e.getCause(), connected));
        }
    }

    private String notEnded() {
        return "timeout: the answer did not end within " + answerDeadline.toMillis() + " ms";
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    /** {@code connected}: the connection was made, so what the HTTP layer refuses is the receiver's answer. */
    private static String failure(Throwable cause, boolean connected) {
        if (cause instanceof ConnectTimeoutException) {
            return "connect timeout";
        }
        if (cause instanceof IllegalArgumentException) {
            // Netty's decoder refuses an answer that is not HTTP ("invalid version format: SSH-2.0-…")
            return (connected ? "invalid answer: " : "invalid request: ") + cause.getMessage();
        }
        // Netty's AnnotatedConnectException is a ConnectException with the address in its message
        String kind = cause instanceof ConnectException ? "ConnectException" : cause.getClass().getSimpleName();
        return "connection error: " + kind + (cause.getMessage() == null ? "" : " " + cause.getMessage());
    }

    /**
     * One request's three stages, completed on the connection's event loop; the sending thread
     * waits on them. The answer's body is discarded as it comes.
     */
    private static final class Exchange {

        final CompletableFuture<HttpClientRequest> connected = new CompletableFuture<>();
        final CompletableFuture<HttpClientResponse> answered = new CompletableFuture<>();
        final CompletableFuture<Void> ended = new CompletableFuture<>();

        void start(HttpClient client, RequestOptions options, byte[] body) {
            client.request(options).onComplete(connecting -> {
                if (connecting.failed()) {
                    fail(connecting.cause());
                    return;
                }
                HttpClientRequest request = connecting.result();
                connected.complete(request);
                request.send(Buffer.buffer(body)).onComplete(sending -> {
                    if (sending.failed()) {
                        fail(sending.cause());
                        return;
                    }
                    HttpClientResponse response = sending.result();
                    response.handler(chunk -> { });
                    answered.complete(response);
                    response.end().onComplete(ending -> {
                        if (ending.failed()) {
                            ended.completeExceptionally(ending.cause());
                        } else {
                            ended.complete(null);
                        }
                    });
                });
            });
        }

        private void fail(Throwable cause) {
            connected.completeExceptionally(cause);
            answered.completeExceptionally(cause);
            ended.completeExceptionally(cause);
        }

        /**
         * Resets the request (for HTTP/1.1, closes its connection) unless its answer was read to the
         * end; a connection that comes after the sender gave up is reset as it comes.
         */
        void abandonUnlessEnded() {
            if (!ended.isDone() || ended.isCompletedExceptionally()) {
                connected.thenAccept(HttpClientRequest::reset);
            }
        }
    }

    private static Attempt failed(Instant at, long started, String error) {
        String oneLine = error.replaceAll("[\\p{Cntrl}]", " ");
        return new Attempt(at, Optional.empty(), Optional.empty(), elapsedMs(started),
                oneLine.length() > MAX_ERROR ? oneLine.substring(0, MAX_ERROR) : oneLine);
    }

    private static long elapsedMs(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
