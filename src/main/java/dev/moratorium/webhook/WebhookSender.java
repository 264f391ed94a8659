package dev.moratorium.webhook;

import dev.moratorium.clock.Wall;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * POSTs one notification to one receiver, Standard Webhooks style. Redirects are never followed
 * (a 3xx is a failed attempt): following one would send the signed payload, and our requests,
 * wherever the receiver points, past the address check. The answer's body is discarded, and the
 * whole attempt — the host's resolution, then the exchange, body included — ends within the
 * connect and request timeouts together (see {@link #send} and {@link #answer}), which the lease
 * outlasts ({@link AttemptBudget}).
 */
class WebhookSender {

    private static final int MAX_ERROR = 300;

    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Duration answerDeadline;
    private final TargetGuard guard;
    private final Clock wall;
    /**
     * Built by the first delivery, not at start: building a JDK HTTP client (its TLS context, its
     * selector thread) took 80 ms of the start's main thread, and a replica with no subscriber
     * never needs one.
     */
    private volatile HttpClient client;

    WebhookSender(AttemptBudget budget, TargetGuard guard, Clock wall) {
        this.connectTimeout = budget.connectTimeout();
        this.requestTimeout = budget.requestTimeout();
        this.answerDeadline = budget.answerDeadline();
        this.guard = guard;
        this.wall = wall;
    }

    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    c = HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .followRedirects(HttpClient.Redirect.NEVER)
                            .connectTimeout(connectTimeout)
                            .build();
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
        Optional<String> refused = guard.problem(claim.url());
        Duration resolving = Duration.ofNanos(System.nanoTime() - started);
        if (refused.isPresent()) {
            return new Attempt(at, Optional.empty(), Optional.empty(), resolving.toMillis(), "refused: " + refused.get());
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
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(claim.url()))
                    .timeout(requestTimeout)
                    .header("content-type", "application/json")
                    .header("user-agent", "moratorium-service-webhooks/1")
                    .header("webhook-id", webhookId)
                    .header("webhook-timestamp", String.valueOf(timestamp))
                    .header("webhook-signature", WebhookSecrets.signatureHeader(claim.secret(),
                            claim.previousSecretAt(at), webhookId, timestamp, body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            HttpResponse<Void> response = answer(request, answerDeadline.minus(resolving));
            long ms = elapsedMs(started);
            Optional<Duration> retryAfter = Backoff.parseRetryAfter(
                    response.headers().firstValue("retry-after").orElse(null), wall.instant());
            return new Attempt(at, Optional.of(response.statusCode()), retryAfter, ms, null);
        } catch (AnswerNotEnded e) {
            return failed(at, started, "timeout: the answer did not end within " + answerDeadline.toMillis() + " ms");
        } catch (HttpConnectTimeoutException e) {
            return failed(at, started, "connect timeout");
        } catch (HttpTimeoutException e) {
            return failed(at, started, "timeout: no answer within " + requestTimeout.toMillis() + " ms");
        } catch (IOException e) {
            return failed(at, started, "connection error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (IllegalArgumentException e) {
            // A request the HTTP client will not build or send (a URL it refuses) is this subscription's
            // failed attempt, retried with backoff and parked like any other: thrown, it failed the
            // worker's whole round, and the same subscription, due first, took every round again while
            // every other subscriber waited.
            return failed(at, started, "invalid request: " + e.getMessage());
        }
    }

    /**
     * The answer, its body read to the end. The request timeout ends only the wait for the answer's
     * headers: a receiver that then sends its body a byte at a time, or never ends it (a streaming
     * endpoint given as the URL), held the delivery worker for ever, and since the subscription's
     * lease ran out meanwhile, every other worker in turn. Cancelling the exchange closes its
     * connection. {@code deadline} is what the resolution left of the attempt's budget.
     */
    private HttpResponse<Void> answer(HttpRequest request, Duration deadline) throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<Void>> pending = client().sendAsync(request, HttpResponse.BodyHandlers.discarding());
        try {
            return pending.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AnswerNotEnded();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException unchecked) {
                throw unchecked;
            }
            throw new IOException(e.getCause());
        } finally {
            pending.cancel(true); // nothing once it is done; otherwise it closes the connection
        }
    }

    /** The answer's headers came, but not the end of its body, within the deadline. */
    private static final class AnswerNotEnded extends HttpTimeoutException {

        AnswerNotEnded() {
            super("the answer did not end in time");
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
