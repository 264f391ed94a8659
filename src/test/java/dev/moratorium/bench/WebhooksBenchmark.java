package dev.moratorium.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.moratorium.security.CallerPermissions;
import dev.moratorium.testing.TestTokens;
import io.smallrye.jwt.build.Jwt;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Webhook delivery from the packaged service to a receiver on loopback (in this JVM, answering 200
 * at once). Latency: events produced at {@code rate} (200/s) for {@code seconds} (30) after a
 * {@code warmup} (120 s: on the shared 2-core machine a cold service fell behind during a 60 s one,
 * and the window then measured a backlog draining) at that rate, one subscriber; for each measured
 * event, from just before {@code send()} to the webhook's arrival (event → webhook), to the
 * notification's arrival on {@code moratorium-notifications} in this JVM (event → Kafka
 * notification, the path webhooks add to), and what webhooks add: from the notification's row
 * (stamped when the event's transaction wrote it) to the webhook's arrival, both wall clocks of this
 * machine. Throughput: {@code deliveries} (5,000) notifications replayed to one subscriber (one
 * request in flight at a time), then to four at once (the default number of delivery workers).
 */
public final class WebhooksBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private WebhooksBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rate = Integer.getInteger("rate", 200);
        int seconds = Integer.getInteger("seconds", 30);
        int warmup = Integer.getInteger("warmup", 120);
        int deliveries = Integer.getInteger("deliveries", 5_000);
        Json machine = BenchEnv.machine();
        System.out.println("== webhooks: " + rate + " events/s for " + seconds + " s after " + warmup
                + " s warm-up at that rate; then " + deliveries + " deliveries replayed to 1 and to 4 subscribers;"
                + " machine " + machine);
        Json out = new Json().put("benchmark", "webhooks").put("rate", rate).put("seconds", seconds)
                .put("warmup_s", warmup).put("service_java_opts", BenchService.javaOpts());
        List<BenchWorkload.Rec> records = BenchWorkload.ingest(rate * (warmup + seconds),
                Math.max(1, rate * (warmup + seconds) / 10), 11);
        KeyPair keys = TestTokens.generateKeyPair();
        Map<String, String> env = Map.of("MP_JWT_VERIFY_PUBLICKEY", TestTokens.publicKeySetting(keys),
                "MORATORIUM_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true"); // the receiver is on loopback
        String token = Jwt.issuer(TestTokens.ISSUER).upn("bench").groups(Set.of(CallerPermissions.ADMIN))
                .expiresIn(3600).sign(keys.getPrivate());
        try (BenchEnv benchEnv = BenchEnv.start(); BenchService service = benchEnv.service("webhooks", env);
                Receiver receiver = new Receiver()) {
            service.start();
            service.awaitReady(Duration.ofMinutes(3));
            post(service, token, "/subscriptions", "{\"url\":\"" + receiver.url("/latency") + "\"}");

            Map<String, Long> sentAt = new ConcurrentHashMap<>();
            Map<String, Long> kafkaAt = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            KafkaConsumer<byte[], byte[]> consumer = benchEnv.notificationsFromNow();
            Thread reader = new Thread(() -> {
                while (!stop.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        long now = System.nanoTime();
                        kafkaAt.putIfAbsent(causedBy(r.value()), now);
                    }
                }
                consumer.close();
            }, "notification-reader");
            reader.start();

            double load1Before = BenchEnv.load1();
            long periodNanos = 1_000_000_000L / rate;
            List<String> measured = new ArrayList<>();
            try (KafkaProducer<byte[], byte[]> producer = benchEnv.eagerProducer()) {
                long t0 = System.nanoTime();
                for (int i = 0; i < records.size(); i++) {
                    long wait = t0 + i * periodNanos - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    if (i == rate * warmup) {
                        // a backlog left by the warm-up (a cold service delivers slower) shows in the figures
                        BenchEnv.figure("webhooks behind when measuring began", (i - receiver.count("/latency"))
                                + " of " + i + " events sent");
                    }
                    BenchWorkload.Rec r = records.get(i);
                    sentAt.put(r.eventId(), System.nanoTime());
                    producer.send(BenchEnv.record(r));
                    if (i >= rate * warmup) {
                        measured.add(r.eventId());
                    }
                }
                out.put("achieved_send_rate", Json.round(records.size() / ((System.nanoTime() - t0) / 1e9), 1));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (measured.stream().anyMatch(id -> receiver.firstNanos(id) == null) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            stop.set(true);
            reader.join(5_000);

            Map<String, Instant> rowAt = notificationRows(benchEnv);
            double[] webhook = sorted(measured.stream().map(id -> since(sentAt.get(id), receiver.firstNanos(id))));
            double[] kafka = sorted(measured.stream().map(id -> since(sentAt.get(id), kafkaAt.get(id))));
            double[] added = sorted(measured.stream().map(id -> {
                Instant arrived = receiver.firstInstant(id);
                Instant row = rowAt.get(id);
                return arrived == null || row == null ? null : Duration.between(row, arrived).toNanos() / 1e6;
            }));
            if (webhook.length < measured.size()) {
                throw new IllegalStateException((measured.size() - webhook.length) + " of " + measured.size()
                        + " webhooks not received");
            }
            BenchEnv.figure("event -> webhook (" + webhook.length + " events)", describe(webhook));
            BenchEnv.figure("event -> Kafka notification (same events)", describe(kafka));
            BenchEnv.figure("added: notification row -> webhook", describe(added));
            // the measured window in thirds: a backlog draining shows as a first third far worse than the last
            int third = measured.size() / 3;
            for (int t = 0; t < 3; t++) {
                BenchEnv.figure("event -> webhook, third " + (t + 1) + " of the window", describe(sorted(measured
                        .subList(t * third, (t + 1) * third).stream()
                        .map(id -> since(sentAt.get(id), receiver.firstNanos(id))))));
            }
            out.put("events_measured", webhook.length);
            out.put("event_to_webhook", percentiles(webhook));
            out.put("event_to_kafka_notification", percentiles(kafka));
            out.put("row_to_webhook_added", percentiles(added));
            out.put("load1_before", load1Before);
            out.put("load1_after_latency", BenchEnv.load1());

            // throughput: the last `deliveries` notifications replayed, to 1 subscriber, then to 4 at once
            long head;
            try (Connection c = benchEnv.jdbc()) {
                head = benchEnv.count(c, "SELECT max(seq) FROM notification");
            }
            int n = (int) Math.min(deliveries, head);
            for (int subscribers : new int[] {1, 4}) {
                List<String> ids = new ArrayList<>();
                for (int s = 0; s < subscribers; s++) {
                    ids.add(post(service, token, "/subscriptions", "{\"url\":\"" + receiver.url("/t" + subscribers
                            + "-" + s) + "\"}").get("id").asText());
                }
                double load1 = BenchEnv.load1();
                long start = System.nanoTime();
                for (String id : ids) {
                    post(service, token, "/subscriptions/" + id + "/replay?after=" + (head - n), "");
                }
                long until = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                while (receiver.countPrefix("/t" + subscribers + "-") < (long) n * subscribers
                        && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                long got = receiver.countPrefix("/t" + subscribers + "-");
                double s = (System.nanoTime() - start) / 1e9;
                double perSecond = got / s;
                BenchEnv.figure("deliveries/s, " + subscribers + " subscriber(s)", String.format(
                        "%.0f (%d deliveries in %.1f s, load1 at start %.2f)", perSecond, got, s, load1));
                out.put("deliveries_per_s_" + subscribers + "_subscribers", Json.round(perSecond, 1));
                if (got < (long) n * subscribers) {
                    throw new IllegalStateException("only " + got + " of " + (long) n * subscribers + " delivered in 5 min");
                }
            }
        }
        out.put("load_at_end", BenchEnv.load());
        out.put("machine", machine);
        System.out.println(out);
        System.exit(0);
    }

    private static Double since(Long from, Long to) {
        return from == null || to == null ? null : (to - from) / 1e6;
    }

    private static double[] sorted(java.util.stream.Stream<Double> ms) {
        return ms.filter(Objects::nonNull).mapToDouble(Double::doubleValue).sorted().toArray();
    }

    private static String describe(double[] ms) {
        if (ms.length == 0) {
            return "no values";
        }
        return String.format("p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", LatencyBenchmark.percentile(ms, 50),
                LatencyBenchmark.percentile(ms, 90), LatencyBenchmark.percentile(ms, 99), ms[ms.length - 1]);
    }

    private static Json percentiles(double[] ms) {
        return new Json().put("p50_ms", Json.round(LatencyBenchmark.percentile(ms, 50), 1))
                .put("p90_ms", Json.round(LatencyBenchmark.percentile(ms, 90), 1))
                .put("p99_ms", Json.round(LatencyBenchmark.percentile(ms, 99), 1))
                .put("max_ms", Json.round(ms.length == 0 ? 0 : ms[ms.length - 1], 1));
    }

    /** causedBy → when the service wrote the notification's row (its clock is the system clock here). */
    private static Map<String, Instant> notificationRows(BenchEnv env) throws Exception {
        Map<String, Instant> rows = new HashMap<>();
        try (Connection c = env.jdbc(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT payload->>'causedBy', created_at FROM notification")) {
            while (rs.next()) {
                rows.putIfAbsent(rs.getString(1), rs.getTimestamp(2).toInstant());
            }
        }
        return rows;
    }

    private static String causedBy(byte[] body) {
        try {
            return JSON.readTree(body).get("causedBy").asText();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode post(BenchService service, String token, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(service.baseUrl() + path))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (!body.isEmpty()) {
            request.header("content-type", "application/json");
        }
        HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** Answers 200 at once; keeps each causedBy's first arrival (nanoTime and wall clock) and counts per path. */
    private static final class Receiver implements AutoCloseable {
        private final HttpServer server;
        private final Map<String, Long> firstNanos = new ConcurrentHashMap<>();
        private final Map<String, Instant> firstInstant = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

        Receiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
            server.setExecutor(Executors.newFixedThreadPool(8, r -> {
                Thread t = new Thread(r, "webhook-receiver");
                t.setDaemon(true);
                return t;
            }));
            server.createContext("/", exchange -> {
                long nanos = System.nanoTime();
                Instant now = Instant.now();
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                String path = exchange.getRequestURI().getPath();
                if (path.equals("/latency")) {
                    String id = causedBy(body);
                    firstNanos.putIfAbsent(id, nanos);
                    firstInstant.putIfAbsent(id, now);
                }
                counts.computeIfAbsent(path, p -> new AtomicLong()).incrementAndGet();
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        Long firstNanos(String causedBy) {
            return firstNanos.get(causedBy);
        }

        Instant firstInstant(String causedBy) {
            return firstInstant.get(causedBy);
        }

        long count(String path) {
            AtomicLong n = counts.get(path);
            return n == null ? 0 : n.get();
        }

        long countPrefix(String prefix) {
            return counts.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .mapToLong(e -> e.getValue().get()).sum();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

}
