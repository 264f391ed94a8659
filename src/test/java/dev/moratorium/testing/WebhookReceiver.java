package dev.moratorium.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A webhook receiver on a free loopback port, as a subscriber would run one: it records every
 * request (time, headers, exact body) and answers as its current {@link Behaviour} says, which a
 * test can change while it runs (fail, hang, recover).
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One request as it arrived, and what it was answered (0: it was left hanging). */
    public record Received(long nanos, Instant at, Map<String, String> headers, String body, int answered) {

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String webhookId() {
            return header("webhook-id");
        }
    }

    /**
     * The answer to give: a status and headers, after {@code hang} (a receiver that does not answer in
     * time); with {@code endlessBody}, a body that never ends.
     */
    public record Reply(int status, Map<String, String> headers, Duration hang, boolean endlessBody) {

        public Reply(int status, Map<String, String> headers, Duration hang) {
            this(status, headers, hang, false);
        }

        public static Reply of(int status) {
            return new Reply(status, Map.of(), Duration.ZERO);
        }

        /** Answers at once, then sends its body a byte at a time and never ends it: a stream, a slow loris. */
        public static Reply endless(int status) {
            return new Reply(status, Map.of(), Duration.ZERO, true);
        }
    }

    /** Decides the answer from the number of requests before this one. */
    public interface Behaviour extends Function<Integer, Reply> {
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "webhook-receiver");
        t.setDaemon(true);
        return t;
    });
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicInteger abandoned = new AtomicInteger();
    private volatile Behaviour behaviour;

    private WebhookReceiver(Behaviour behaviour) throws IOException {
        this.behaviour = behaviour;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    public static WebhookReceiver start(Behaviour behaviour) {
        try {
            return new WebhookReceiver(behaviour);
        } catch (IOException e) {
            throw new IllegalStateException("could not start a webhook receiver", e);
        }
    }

    public static WebhookReceiver answering(int status) {
        return start(n -> Reply.of(status));
    }

    public void behave(Behaviour next) {
        behaviour = next;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/moratoria";
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** Endless answers whose sender closed the connection while the body was still coming. */
    public int abandonedAnswers() {
        return abandoned.get();
    }

    /** Requests answered 2xx. */
    public List<Received> delivered() {
        return received.stream().filter(r -> r.answered() >= 200 && r.answered() < 300).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        long nanos = System.nanoTime();
        Instant at = Instant.now();
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
        Reply reply;
        synchronized (this) {
            reply = behaviour.apply(received.size());
            received.add(new Received(nanos, at, Map.copyOf(headers), new String(body, StandardCharsets.UTF_8),
                    reply.hang().isZero() && !reply.endlessBody() ? reply.status() : 0));
        }
        if (reply.endlessBody()) {
            endless(exchange, reply.status());
            return;
        }
        if (!reply.hang().isZero()) {
            try {
                closed.await(reply.hang().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
        try {
            exchange.sendResponseHeaders(reply.status(), -1);
        } catch (IOException e) {
            // the sender gave up waiting (its request timeout) and closed the connection
        }
        exchange.close();
    }

    private void endless(HttpExchange exchange, int status) {
        try {
            exchange.sendResponseHeaders(status, 0); // chunked: the length is never said
            while (!closed.await(200, TimeUnit.MILLISECONDS)) {
                exchange.getResponseBody().write('.');
                exchange.getResponseBody().flush();
            }
        } catch (IOException e) {
            abandoned.incrementAndGet(); // the sender closed the connection mid-body
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            exchange.close();
        }
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
        threads.shutdownNow();
    }
}
