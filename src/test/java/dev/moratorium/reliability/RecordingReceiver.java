package dev.moratorium.reliability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.moratorium.testing.WebhookReceiver;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Webhook receivers on one loopback port, one path per subscriber, that answer 200 after {@code delay}
 * (a receiver that does some work, so that deliveries are in flight when the service is killed). Each
 * request is recorded as it arrives, and marked answered only once its 200 went out: a request whose
 * sender died first stays unanswered. {@link #hold} keeps one chosen request waiting, so a test can
 * kill the service while that delivery is certainly in flight.
 */
final class RecordingReceiver implements AutoCloseable {

    /** One request in arrival order; {@code answered} is 0 until the 200 was written. */
    static final class Request {
        final String path;
        final long nanos = System.nanoTime();
        final Instant at = Instant.now();
        final Map<String, String> headers;
        final String body;
        volatile int answered;

        Request(String path, Map<String, String> headers, String body) {
            this.path = path;
            this.headers = headers;
            this.body = body;
        }

        String webhookId() {
            return headers.get("webhook-id");
        }

        /** In the form the shared signature verifier takes. */
        WebhookReceiver.Received received() {
            return new WebhookReceiver.Received(nanos, at, headers, body, answered);
        }
    }

    /** The {@code n}-th request (0-based) to one path, held unanswered until released. */
    static final class Hold {
        final String path;
        final int n;
        final CountDownLatch arrived = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
        volatile Request request;

        private Hold(String path, int n) {
            this.path = path;
            this.n = n;
        }

        /** The held request, once it has arrived; fails after {@code timeout}. */
        Request awaitArrived(Duration timeout) throws InterruptedException {
            if (!arrived.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("request " + n + " to " + path + " did not arrive within " + timeout);
            }
            return request;
        }

        void release() {
            released.countDown();
        }
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recording-receiver");
        t.setDaemon(true);
        return t;
    });
    private final Duration delay;
    private final Map<String, List<Request>> byPath = new ConcurrentHashMap<>();
    private volatile Hold hold;

    RecordingReceiver(Duration delay) throws IOException {
        this.delay = delay;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    Hold hold(String path, int n) {
        Hold h = new Hold(path, n);
        hold = h;
        return h;
    }

    /** Every request to {@code path}, in arrival order. */
    List<Request> requests(String path) {
        List<Request> list = byPath.getOrDefault(path, List.of());
        synchronized (list) {
            return List.copyOf(list);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
        String path = exchange.getRequestURI().getPath();
        Request request = new Request(path, Map.copyOf(headers), new String(body, StandardCharsets.UTF_8));
        List<Request> list = byPath.computeIfAbsent(path, p -> new ArrayList<>());
        int index;
        synchronized (list) {
            index = list.size();
            list.add(request);
        }
        try {
            Hold h = hold;
            if (h != null && h.path.equals(path) && h.n == index) {
                h.request = request;
                h.arrived.countDown();
                h.released.await(2, TimeUnit.MINUTES);
            }
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            exchange.sendResponseHeaders(200, -1);
            request.answered = 200;
        } catch (IOException e) {
            // the sender is gone (killed, or gave up waiting): this request stays unanswered
        }
        exchange.close();
    }

    @Override
    public void close() {
        Hold h = hold;
        if (h != null) {
            h.release();
        }
        server.stop(0);
        threads.shutdownNow();
    }
}
