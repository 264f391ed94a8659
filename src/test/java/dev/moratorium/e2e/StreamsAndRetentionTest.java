package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moratorium.store.Retention;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.LogCapture;
import dev.moratorium.testing.Sql;
import dev.moratorium.testing.TestKafka;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Live streams read one shared feed and are capped per replica (503 with Retry-After past the cap,
 * a place again once a client leaves); retention prunes old published notifications and long
 * resolved rejections in chunks, and never an open rejection or the history.
 */
@QuarkusTest
@TestProfile(StreamsAndRetentionTest.Profile.class)
class StreamsAndRetentionTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("moratorium.api.max-streams", "2", "moratorium.retention.interval", "1h",
                    "moratorium.api.stream-heartbeat", "1s");
        }
    }

    @TestHTTPResource("/notifications/stream")
    URI stream;

    @Inject
    Retention retention;

    @Inject
    DataSource dataSource;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void streamsShareOneFeedAndAreCappedPerReplica() throws Exception {
        List<HttpResponse<InputStream>> open = new ArrayList<>();
        open.add(openStream());
        open.add(openStream());
        assertThat(open).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(stream).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).contains("5");
        assertThat(refused.body()).contains("\"error\":\"too-many-streams\"");

        TestKafka.sendStructured("stream-1", Events.announce("stream-1-announced", "stream-1", "2030-01-01", null));
        for (HttpResponse<InputStream> r : open) {
            String sent = readUntil(r.body(), "stream-1-announced");
            assertThat(sent).contains("\"policyId\":\"stream-1\"").contains("\"sequence\":");
            // only fields EventSource reads, and comments (heartbeats): each event also carried a
            // "content-type:" field, which the event-stream format does not have
            assertThat(sent.lines().filter(line -> !line.isEmpty()))
                    .allSatisfy(line -> assertThat(line).matches("(id|event|data):.*|:.*"));
        }
        given().get("/notifications?after=0").then().statusCode(200)
                .body("policyId", org.hamcrest.Matchers.hasItem("stream-1"));

        open.get(0).body().close(); // a client leaves: its place is free again
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            HttpResponse<InputStream> r = openStream();
            boolean ok = r.statusCode() == 200;
            r.body().close();
            return ok;
        });
        open.get(1).body().close();
    }

    /**
     * A cursor past the last sequence the database has numbered is refused, in the list and the stream
     * alike: it comes from another database, or from this one before it was made anew, and its client,
     * answered with nothing until the sequence reached it, would have skipped every notification up to
     * there (a dashboard left open over {@code rm -rf target/embedded}). A cursor numbered but not yet
     * read, as another replica's newest may be, is taken.
     */
    @Test
    void aCursorPastTheLastNumberedNotificationIsRefusedNotWaitedOn() throws Exception {
        long last = count("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM notification_seq");
        given().get("/notifications?after=" + last).then().statusCode(200);
        given().get("/notifications?after=" + (last + 1)).then().statusCode(400)
                .body("error", org.hamcrest.Matchers.equalTo("invalid-parameter"))
                .body("message", org.hamcrest.Matchers.startsWith("after " + (last + 1) + " is past the newest notification"));
        for (HttpRequest.Builder ahead : List.of(
                HttpRequest.newBuilder(stream).header("Last-Event-ID", String.valueOf(last + 1)),
                HttpRequest.newBuilder(URI.create(stream + "?after=" + (last + 1))),
                // the header wins over the query, in this check as in where the stream starts
                HttpRequest.newBuilder(URI.create(stream + "?after=0")).header("Last-Event-ID", String.valueOf(last + 1)))) {
            HttpResponse<String> refused = http.send(ahead.header("Accept", "text/event-stream").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.body()).contains("\"error\":\"invalid-parameter\"", "is past the newest notification");
        }

        // numbered by a transaction that has not committed (or never will): no row, no feed item, taken
        execute("SELECT nextval('notification_seq')");
        given().get("/notifications?after=" + (last + 1)).then().statusCode(200).body("$", org.hamcrest.Matchers.empty());
        HttpResponse<InputStream> taken = await().atMost(Duration.ofSeconds(10)).until(() -> http.send(
                HttpRequest.newBuilder(stream).header("Accept", "text/event-stream")
                        .header("Last-Event-ID", String.valueOf(last + 1)).build(), HttpResponse.BodyHandlers.ofInputStream()),
                r -> r.statusCode() == 200 || closed(r));
        taken.body().close();
        assertThat(taken.statusCode()).isEqualTo(200);
    }

    /**
     * A quiet stream sends a comment line every heartbeat (1 s here, 15 s by default): nginx's 60 s
     * read timeout and the HTTP server's idle timeout would otherwise cut a dashboard's stream on a
     * quiet day, and a client gone without closing its connection would keep its place until the
     * next notification. Each heartbeat is exactly a comment, which EventSource clients ignore.
     */
    @Test
    void aQuietStreamSendsAKeepAliveCommentEveryHeartbeat() throws Exception {
        HttpResponse<InputStream> response = await().atMost(Duration.ofSeconds(10)).until(this::openStream,
                r -> r.statusCode() == 200 || closed(r));
        long opened = System.nanoTime();
        try {
            // read on another thread: without heartbeats a quiet stream sends nothing and the read never returns
            String seen = CompletableFuture.supplyAsync(() -> readUntil(response.body(), ":keep-alive\n", 2))
                    .get(10, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - opened) / 1e9;
            assertThat(seen.lines().filter(l -> l.startsWith(":"))).containsExactly(":keep-alive", ":keep-alive");
            // one notification (another test's) can come first and put the next heartbeat off by one
            assertThat(seconds).as("two heartbeats of 1 s").isBetween(1.5, 6.0);
        } finally {
            response.body().close();
        }
    }

    /**
     * A client that resets its connection while its stream still has data on the way (a laptop
     * closed, a tab killed) frees its place, and is not an ERROR in the service's log: RESTEasy
     * Reactive logged every such client at ERROR with an 18-line stack trace (seen in dev mode with
     * 20 clients reading from far back).
     */
    @Test
    void aClientThatResetsItsStreamFreesItsPlaceWithoutAnErrorInTheLog() throws Exception {
        insertNotifications("reset", 4000, "json_build_object('message', repeat('x', 8000))");
        long first = count("SELECT min(seq) FROM notification WHERE policy_id = 'reset'");
        try (LogCapture log = new LogCapture()) {
            Socket client = await().atMost(Duration.ofSeconds(10)).until(() -> rawStream(first - 1), c -> c != null);
            // It reads nothing. 100 notifications of 8 kB a tick (3.2 MB/s) fill the kernel's send buffer
            // (4 MB at most here) within 2 s; then the service's writes wait, and the reset meets one.
            Thread.sleep(4_000);
            client.setSoLinger(true, 0);
            client.close(); // a reset, not a goodbye
            awaitEveryPlaceFree(); // its place comes free
            Thread.sleep(500);
            assertThat(log.errors()).as("errors logged").isEmpty();
        } finally {
            execute("DELETE FROM notification WHERE policy_id = 'reset'");
        }
    }

    /**
     * The stream's own failure (here the database, for a client reading from further back than the
     * feed keeps in memory) is one WARN line, not an ERROR, and the stream ends, so the client
     * reconnects with Last-Event-ID rather than waiting on a stream that sends nothing.
     */
    @Test
    void aStreamThatCannotReadEndsWithOneWarning() throws Exception {
        insertNotifications("far", 1000, "json_build_object('n', g)");
        long first = count("SELECT min(seq) FROM notification WHERE policy_id = 'far'");
        long last = count("SELECT max(seq) FROM notification WHERE policy_id = 'far'");
        // the feed has read them: the first ones are now only in the database
        await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/notifications?after=" + (last - 1))
                .then().extract().asString().contains("\"sequence\":" + last));
        try (LogCapture log = new LogCapture()) {
            execute("ALTER TABLE notification RENAME TO notification_away");
            HttpResponse<InputStream> response;
            try {
                response = await().atMost(Duration.ofSeconds(10)).until(
                        () -> http.send(HttpRequest.newBuilder(URI.create(stream + "?after=" + (first - 1)))
                                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream()),
                        r -> r.statusCode() == 200 || closed(r));
                // read on another thread: a stream that did not end would never return
                String body = CompletableFuture.supplyAsync(() -> {
                    try (InputStream in = response.body()) {
                        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).get(10, TimeUnit.SECONDS);
                assertThat(body).doesNotContain("data:");
            } finally {
                execute("ALTER TABLE notification_away RENAME TO notification");
            }
            assertThat(log.warnings("dev.moratorium.api.NotificationsResource"))
                    .anyMatch(m -> m.startsWith("A live stream ended at sequence " + (first - 1) + "; the client reconnects"));
            assertThat(log.errors()).as("errors logged").isEmpty();
        } finally {
            execute("DELETE FROM notification WHERE policy_id = 'far'");
        }
    }

    /**
     * Clients that ask for a stream and leave at once, before, while or just after it starts, never
     * keep a place: were one place leaked per such client, a few hundred of them would leave every
     * dashboard refused for good.
     */
    @Test
    void clientsThatLeaveAtOnceLeaveNoPlaceTakenAndNoError() throws Exception {
        byte[] request = ("GET " + stream.getPath() + " HTTP/1.1\r\nHost: " + stream.getHost()
                + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        LogCapture log = new LogCapture();
        for (int i = 0; i < 300; i++) {
            try (Socket socket = new Socket(stream.getHost(), stream.getPort())) {
                socket.getOutputStream().write(request);
                if (i % 3 == 1) {
                    socket.setSoLinger(true, 0); // a reset rather than a goodbye
                }
                if (i % 3 == 2) {
                    Thread.sleep(1); // a moment later: the stream may have begun
                }
            }
        }
        awaitEveryPlaceFree();
        log.close();
        // each was logged at ERROR with a stack trace, as if the service had failed
        assertThat(log.errors()).as("errors logged").isEmpty();
    }

    /** Waits until the cap (2) admits two streams at once again: no place is still taken. */
    private void awaitEveryPlaceFree() {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            HttpResponse<InputStream> a = openStream();
            HttpResponse<InputStream> b = openStream();
            boolean both = a.statusCode() == 200 && b.statusCode() == 200;
            a.body().close();
            b.body().close();
            return both;
        });
    }

    /** A stream from after {@code cursor} on a socket with a small receive buffer; null if refused (the cap). */
    private Socket rawStream(long cursor) throws Exception {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress(stream.getHost(), stream.getPort()));
        socket.getOutputStream().write(("GET " + stream.getPath() + "?after=" + cursor + " HTTP/1.1\r\nHost: "
                + stream.getHost() + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] status = socket.getInputStream().readNBytes(12);
        if (new String(status, StandardCharsets.US_ASCII).equals("HTTP/1.1 200")) {
            return socket;
        }
        socket.close();
        return null;
    }

    @Test
    void retentionPrunesOldPublishedNotificationsAndResolvedRejectionsOnly() throws Exception {
        execute("INSERT INTO notification (seq, notification_id, type, policy_id, occurred_at, created_at, payload)"
                + " SELECT 1000000 + g, 'old-' || g, 'access.suspended', 'old', now(), now() - interval '40 days', '{}'"
                + " FROM generate_series(1, 12000) g");
        execute("INSERT INTO notification (seq, notification_id, type, policy_id, occurred_at, created_at, payload)"
                + " VALUES (2000000, 'recent-1', 'access.suspended', 'recent', now(), now() - interval '1 day', '{}')");
        keepSequenceAheadOfTheRows();
        execute("INSERT INTO rejection (id, topic, kafka_partition, kafka_offset, headers, reason_code, reason_message,"
                + " received_at, status, retry_count, last_retried_at) VALUES"
                + " (900001, 'policy-changes', 90, 1, '[]', 'unknown-policy', 'x', now(), 'RESOLVED', 1, now() - interval '100 days'),"
                + " (900002, 'policy-changes', 90, 2, '[]', 'unknown-policy', 'x', now(), 'OPEN', 1, now() - interval '100 days'),"
                + " (900003, 'policy-changes', 90, 3, '[]', 'unknown-policy', 'x', now(), 'RESOLVED', 1, now() - interval '1 day')");
        long[] deleted = retention.pruneNow();
        assertThat(deleted[0]).isEqualTo(12_000); // three chunks of at most 5,000
        assertThat(deleted[1]).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM notification WHERE notification_id = 'recent-1'")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM rejection WHERE id IN (900002, 900003)")).isEqualTo(2);
        assertThat(retention.pruneNow()).containsExactly(0, 0, 0);
    }

    @Test
    void retentionPrunesOldWebhookAttemptsButKeepsThoseAtWhatASubscriberHasNotReceived() throws Exception {
        String id = "00000000-0000-0000-0000-00000000aaaa";
        // DISABLED: the delivery workers leave it alone, and the notifications' retention ignores its cursor
        execute("INSERT INTO webhook_subscription (id, url, secret, types, vendors, status, delivered_up_to,"
                + " next_attempt_at, created_at, updated_at) VALUES ('" + id + "', 'https://hooks.example.com/r',"
                + " 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '[]', '[]', 'DISABLED', 100, now(), now(), now())");
        String attempts = "INSERT INTO webhook_delivery (id, subscription_id, notification_seq, webhook_id, attempt,"
                + " status_code, duration_ms, attempted_at) ";
        // delivered (seq <= the cursor) and older than the notifications' 30 days: pruned
        execute(attempts + "SELECT 5000000 + g, '" + id + "', 1 + g % 100, 'old-' || g, 1, 200, 5,"
                + " now() - interval '40 days' FROM generate_series(1, 12000) g");
        // delivered recently: kept
        execute(attempts + "VALUES (6000001, '" + id + "', 100, 'recent', 1, 200, 5, now() - interval '1 day')");
        // old, but at a notification the subscriber has not received (after its cursor): kept, it says why
        execute(attempts + "VALUES (6000002, '" + id + "', 101, 'behind', 7, 503, 5, now() - interval '40 days')");

        long[] deleted = retention.pruneNow();
        assertThat(deleted[2]).isEqualTo(12_000); // three chunks of at most 5,000
        given().get("/subscriptions/" + id + "/deliveries?limit=500").then().statusCode(200)
                .body("webhookId", org.hamcrest.Matchers.containsInAnyOrder("recent", "behind"));
        assertThat(retention.pruneNow()[2]).isZero();
        execute("DELETE FROM webhook_subscription WHERE id = '" + id + "'");
    }

    private HttpResponse<InputStream> openStream() throws Exception {
        return http.send(HttpRequest.newBuilder(stream).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    private static String readUntil(InputStream in, String marker) throws Exception {
        return readUntil(in, marker, 1);
    }

    /** What the stream sent until {@code marker} appeared {@code times} times (or 20 s, or its end). */
    private static String readUntil(InputStream in, String marker, int times) {
        StringBuilder seen = new StringBuilder();
        byte[] buffer = new byte[4096];
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        try {
            while (occurrences(seen.toString(), marker) < times && System.nanoTime() < deadline) {
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return seen.toString();
    }

    private static int occurrences(String text, String marker) {
        int count = 0;
        for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + marker.length())) {
            count++;
        }
        return count;
    }

    /** A refused stream's body is closed, so retrying does not hold a connection. */
    private static boolean closed(HttpResponse<InputStream> refused) {
        try {
            refused.body().close();
        } catch (java.io.IOException e) {
            // nothing held
        }
        return false;
    }

    /**
     * {@code n} notifications of {@code policyId} ({@code payload}: SQL over {@code g}, 1..n) with
     * sequence numbers after every row's, as the writers number them: the live feed reads what
     * lies past the highest sequence it has seen.
     */
    private void insertNotifications(String policyId, int n, String payload) throws Exception {
        keepSequenceAheadOfTheRows();
        execute("INSERT INTO notification (seq, notification_id, type, policy_id, occurred_at, created_at, payload)"
                + " SELECT nextval('notification_seq'), '" + policyId + "-' || g, 'access.suspended', '" + policyId
                + "', now(), now(), " + payload + " FROM generate_series(1, " + n + ") g");
    }

    /** Rows written here with numbers of their own must not leave the writers' sequence behind them. */
    private void keepSequenceAheadOfTheRows() throws Exception {
        execute("SELECT setval('notification_seq', greatest((SELECT coalesce(max(seq), 1) FROM notification),"
                + " (SELECT last_value FROM notification_seq)))");
    }

    private void execute(String sql) throws Exception {
        Sql.execute(dataSource, sql);
    }

    private long count(String sql) throws Exception {
        return Sql.count(dataSource, sql);
    }
}
