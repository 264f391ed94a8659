package dev.moratorium.readmodel;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import dev.moratorium.testing.Sql;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Clients reading notifications from further back than the feed keeps in memory read the
 * database, each a connection and a page of up to a megabyte: at most {@link NotificationFeed#READ_PLACES}
 * of them at once per replica. Sixteen clients paging from the start over notifications of 768 KiB
 * once held every connection of the pool for 12-36 s, and the writers, the relay and the index all
 * waited. Here every place is taken, as by busy clients: a list from far back waits, then answers
 * 503 busy; a list from memory and a stream's live part are served; a stream from far back waits
 * for a place, and catches up once there is one. A page holds about a megabyte, at least one
 * notification, whether read from memory or from the database. And at most
 * {@link NotificationFeed#CATCHING_UP} streams catch up at once, each holding a page until its
 * client takes it.
 */
@QuarkusTest
class NotificationReadPlacesTest {

    /** A notification of about 300 kB: the feed keeps a dozen of them, a page from the database three or four. */
    private static final int PAD = 300_000;
    private static final int ROWS = 30;

    @Inject
    NotificationFeed feed;

    @Inject
    DataSource dataSource;

    @TestHTTPResource("/notifications/stream")
    URI stream;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void readsFromFurtherBackThanMemoryShareFourPlacesAndAMegabyteEach() throws Exception {
        long first = insertRows("places-");
        long last = first + ROWS - 1;

        // a page from the database stops at the first row that starts past a megabyte
        given().get("/notifications?after=" + (first - 1) + "&limit=10").then().statusCode(200)
                .body("n", equalTo(List.of(1, 2, 3, 4)));

        feed.readPlaces().acquire(NotificationFeed.READ_PLACES);
        boolean holdingPlaces = true;
        HttpResponse<InputStream> catchingUp = null;
        try {
            given().get("/notifications?after=" + (first - 1) + "&limit=10").then().statusCode(503)
                    .header("Retry-After", "2").body("error", equalTo("busy"));
            given().get("/notifications?after=" + (last - 2)).then().statusCode(200).body("n", equalTo(List.of(ROWS - 1, ROWS)));
            // a page from memory stops after a megabyte too
            given().get("/notifications?after=" + (last - 6) + "&limit=500").then().statusCode(200)
                    .body("n", equalTo(List.of(ROWS - 5, ROWS - 4, ROWS - 3, ROWS - 2)));

            HttpResponse<InputStream> opened = http.send(HttpRequest.newBuilder(stream).header("Accept", "text/event-stream")
                    .header("Last-Event-ID", String.valueOf(first - 1)).build(), HttpResponse.BodyHandlers.ofInputStream());
            catchingUp = opened;
            assertThat(opened.statusCode()).isEqualTo(200);
            CompletableFuture<String> firstEvent = CompletableFuture.supplyAsync(() -> readUntil(opened.body(), "\n\n"));
            Thread.sleep(1_500); // six ticks of the stream, each without a place
            assertThat(firstEvent).as("a stream from far back waits for a place").isNotDone();
            feed.readPlaces().release(NotificationFeed.READ_PLACES);
            holdingPlaces = false;
            assertThat(firstEvent.get(20, TimeUnit.SECONDS)).contains("id:" + first + "\n").contains("\"n\" : 1,");
        } finally {
            if (holdingPlaces) {
                feed.readPlaces().release(NotificationFeed.READ_PLACES);
            }
            if (catchingUp != null) {
                catchingUp.body().close();
            }
        }
        assertThat(feed.readPlaces().availablePermits()).isEqualTo(NotificationFeed.READ_PLACES);
        given().get("/notifications?after=" + (first + 3) + "&limit=500").then().statusCode(200).body("$", hasSize(4));

        // every turn to catch up taken, as by slow streams each holding a page: a far-back stream waits
        // for one, while a list from as far back is served; the stream's turn is given back at its end
        await().atMost(Duration.ofSeconds(10)).until(() -> feed.turns().free() == NotificationFeed.CATCHING_UP);
        List<Object> slowStreams = holdTurns(NotificationFeed.CATCHING_UP);
        boolean holdingTurns = true;
        HttpResponse<InputStream> waiting = null;
        try {
            HttpResponse<InputStream> opened = http.send(HttpRequest.newBuilder(stream).header("Accept", "text/event-stream")
                    .header("Last-Event-ID", String.valueOf(first + 5)).build(), HttpResponse.BodyHandlers.ofInputStream());
            waiting = opened;
            CompletableFuture<String> firstEvent = CompletableFuture.supplyAsync(() -> readUntil(opened.body(), "\n\n"));
            Thread.sleep(1_500);
            assertThat(firstEvent).as("a stream waits for its turn to catch up").isNotDone();
            given().get("/notifications?after=" + (first + 5) + "&limit=1").then().statusCode(200).body("n", equalTo(List.of(7)));
            slowStreams.forEach(feed.turns()::leave);
            holdingTurns = false;
            assertThat(firstEvent.get(20, TimeUnit.SECONDS)).contains("id:" + (first + 6) + "\n");
        } finally {
            if (holdingTurns) {
                slowStreams.forEach(feed.turns()::leave);
            }
            if (waiting != null) {
                waiting.body().close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(feed.turns().free())
                .as("the closed stream's turn given back").isEqualTo(NotificationFeed.CATCHING_UP));
        Sql.execute(dataSource, "DELETE FROM notification WHERE notification_id LIKE 'places-%'");
    }

    /**
     * The turns pass round a page at a time: with one turn left (the others held by streams writing
     * to slow clients), a second stream from far back is sent its first page while the first is
     * still catching up, not only once the first has caught up with memory. Before, sixteen slow
     * dashboards held every turn for as long as they stayed behind.
     */
    @Test
    void streamsCatchingUpTakeTheLastTurnAPageAtATime() throws Exception {
        long first = insertRows("turns-");
        long onlyInDatabase = ROWS - NotificationFeed.KEPT_CHARS / PAD;
        await().atMost(Duration.ofSeconds(10)).until(() -> feed.turns().free() == NotificationFeed.CATCHING_UP);
        List<Object> slowStreams = holdTurns(NotificationFeed.CATCHING_UP - 1);
        try (EventReader one = new EventReader(first - 1, null); EventReader two = new EventReader(first - 1, one)) {
            one.open();
            await().atMost(Duration.ofSeconds(20)).until(() -> one.ids.size() >= 1);
            two.open(); // waits in line while the first reads its next pages
            await().atMost(Duration.ofSeconds(20)).until(() -> two.ids.size() >= 1);
            assertThat(two.otherHadWhenFirstCame).as("events the first stream had when the second's first came")
                    .isLessThan((int) onlyInDatabase);
            await().atMost(Duration.ofSeconds(30)).until(() -> one.ids.size() >= ROWS && two.ids.size() >= ROWS);
            assertThat(one.ids).as("each stream, every row once, in order").isEqualTo(two.ids)
                    .startsWith(first, first + 1).endsWith(first + ROWS - 1).doesNotHaveDuplicates().isSorted();
        } finally {
            slowStreams.forEach(feed.turns()::leave);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(feed.turns().free())
                .as("both streams' turns given back").isEqualTo(NotificationFeed.CATCHING_UP));
        assertThat(feed.turns().waiting()).isZero();
        Sql.execute(dataSource, "DELETE FROM notification WHERE notification_id LIKE 'turns-%'");
    }

    /**
     * A client that stops reading (a frozen process) while its stream catches up holds a page and a
     * turn only until it has taken nothing for {@code moratorium.api.client-stall} (5 s in tests):
     * then its stream ends. Before, the stream ended only when Mutiny's buffer of 256 ticks
     * overflowed, and a client still reading slowly was cut as often as a frozen one.
     */
    @Test
    void aFrozenClientsStreamEndsAndGivesItsTurnBack() throws Exception {
        long first = insertRows("stall-");
        await().atMost(Duration.ofSeconds(10)).until(() -> feed.turns().free() == NotificationFeed.CATCHING_UP);
        try (Socket frozen = new Socket()) {
            frozen.setReceiveBufferSize(4096); // the kernel holds little of what it is sent
            frozen.connect(new InetSocketAddress(stream.getHost(), stream.getPort()));
            long opened = System.nanoTime();
            frozen.getOutputStream().write(("GET " + stream.getPath() + " HTTP/1.1\r\nHost: " + stream.getAuthority()
                    + "\r\nAccept: text/event-stream\r\nLast-Event-ID: " + (first - 1) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            await().atMost(Duration.ofSeconds(10)).until(() -> feed.turns().free() == NotificationFeed.CATCHING_UP - 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> feed.turns().free() == NotificationFeed.CATCHING_UP);
            assertThat(Duration.ofNanos(System.nanoTime() - opened)).as("the turn held until the client stalled")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(5));
            // what it was sent before its end (the answer's last chunk): the first rows, not all of them
            frozen.setSoTimeout(30_000);
            String sent = readUntil(frozen.getInputStream(), "\r\n0\r\n\r\n");
            assertThat(sent).endsWith("\r\n0\r\n\r\n");
            assertThat(sent).contains("id:" + first + "\n").doesNotContain("id:" + (first + ROWS - 1) + "\n");
        }
        Sql.execute(dataSource, "DELETE FROM notification WHERE notification_id LIKE 'stall-%'");
    }

    /**
     * {@link #ROWS} notifications of about 300 kB, their ids starting with {@code prefix}, once the
     * feed has read them: the first are only in the database. The first one's sequence.
     */
    private long insertRows(String prefix) throws SQLException {
        Sql.execute(dataSource, "SELECT setval('notification_seq', greatest((SELECT coalesce(max(seq), 1) FROM"
                + " notification), (SELECT last_value FROM notification_seq)))");
        Sql.execute(dataSource, "INSERT INTO notification (seq, notification_id, type, policy_id, occurred_at,"
                + " created_at, payload) SELECT nextval('notification_seq'), '" + prefix + "' || g, 'access.suspended',"
                + " '" + prefix + "1', now(), now(), json_build_object('n', g, 'pad', repeat('x', " + PAD + "))"
                + " FROM generate_series(1, " + ROWS + ") g");
        long first = Sql.count(dataSource, "SELECT min(seq) FROM notification WHERE notification_id LIKE '" + prefix + "%'");
        await().atMost(Duration.ofSeconds(20)).until(() -> feed.latest() >= first + ROWS - 1);
        assertThat(NotificationFeed.KEPT_CHARS / PAD).as("the first rows are only in the database").isLessThan(ROWS - 1);
        return first;
    }

    /** Turns taken as by streams stuck writing to slow clients: they hold them until they leave. */
    private List<Object> holdTurns(int count) {
        List<Object> holders = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Object holder = new Object();
            assertThat(feed.turns().take(holder)).isTrue();
            holders.add(holder);
        }
        return holders;
    }

    /**
     * A live stream from {@code after}, whose events' ids are noted as they come; and how many
     * {@code other} had noted when this one's first came.
     */
    private final class EventReader implements AutoCloseable {
        private final long after;
        private final EventReader other;
        final List<Long> ids = new CopyOnWriteArrayList<>();
        volatile int otherHadWhenFirstCame = -1;
        private HttpResponse<InputStream> response;

        EventReader(long after, EventReader other) {
            this.after = after;
            this.other = other;
        }

        void open() throws Exception {
            response = http.send(HttpRequest.newBuilder(stream).header("Accept", "text/event-stream")
                    .header("Last-Event-ID", String.valueOf(after)).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            Thread reader = new Thread(this::read, "event-reader");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.startsWith("id:")) {
                        if (ids.isEmpty() && other != null) {
                            otherHadWhenFirstCame = other.ids.size();
                        }
                        ids.add(Long.parseLong(line.substring(3).trim()));
                    }
                }
            } catch (IOException e) {
                // closed by the test
            }
        }

        @Override
        public void close() throws IOException {
            if (response != null) {
                response.body().close();
            }
        }
    }

    /** What the stream sent until {@code marker} first appeared (or its end). */
    private static String readUntil(InputStream in, String marker) {
        StringBuilder seen = new StringBuilder();
        byte[] buffer = new byte[8192];
        try {
            // only what was just read, and the marker's length before it, can complete the marker
            for (int from = 0; seen.indexOf(marker, from) < 0; ) {
                from = Math.max(0, seen.length() - marker.length());
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                seen.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return seen.toString();
    }
}
