package dev.moratorium.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moratorium.policy.Names;
import dev.moratorium.testing.Sql;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.zip.GZIPInputStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Answers that may be megabytes (a page of policies that keep many exemptions, one such policy, a
 * page of history) are written among the replica's long answers: in a place, their policies read a
 * megabyte at a time, each read giving its connection back. Before, 40 clients asking at once for a
 * page of 21 such policies (6.8 MB) ended the packaged service on OutOfMemoryError, and once answers
 * waited for places, the connections of their first reads stayed held, so 200 of them took all 16.
 * Small answers are built whole as before and need no place.
 */
@QuarkusTest
class LongAnswersTest {

    private static final String VENDOR = "Long Answers Vendor";
    private static final int POLICIES = 5;
    /** Exemptions of each long policy: 60 of 4,000 characters, 240 kB a policy, 1.2 MB in all. */
    private static final int EXEMPTIONS = 60;
    private static final String SHORT = "long-answers-short";
    private static final String LONG_HISTORY = "long-answers-p0";
    private static final long FIRST_EVENT_ROW = 8_000_000;

    @Inject
    DataSource dataSource;

    @Inject
    AnswersInFlight answersInFlight;

    @TestHTTPResource("/")
    URI base;

    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void insertPolicies() throws Exception {
        try (Connection c = dataSource.getConnection()) {
            for (int p = 0; p < POLICIES; p++) {
                insertPolicy(c, "long-answers-p" + p, EXEMPTIONS);
            }
            insertPolicy(c, SHORT, 1);
            try (PreparedStatement s = c.prepareStatement("INSERT INTO policy_event (id, event_id, policy_id, type,"
                    + " event_time, data, received_at, data_bytes) VALUES (?, ?, ?, 'policy.updated', now(), ?::json, now(),"
                    + " octet_length(?))")) {
                for (int i = 0; i < 40; i++) { // 40 events of 20 kB: a page of 800 kB
                    s.setLong(1, FIRST_EVENT_ROW + i);
                    s.setString(2, "long-answers-event-" + i);
                    s.setString(3, LONG_HISTORY);
                    String data = "{\"note\": \"" + "h".repeat(20_000) + "\"}";
                    s.setString(4, data);
                    s.setString(5, data);
                    s.addBatch();
                }
                s.executeBatch();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ChunkedList.PLACES.free() == 8);
    }

    @AfterEach
    void deletePolicies() throws Exception {
        Sql.execute(dataSource, "DELETE FROM policy_event WHERE policy_id LIKE 'long-answers-%'");
        Sql.execute(dataSource, "DELETE FROM exemption WHERE policy_id LIKE 'long-answers-%'");
        Sql.execute(dataSource, "DELETE FROM policy WHERE policy_id LIKE 'long-answers-%'");
    }

    @Test
    void aLongPageIsThePageWrittenAChunkAtATime() throws Exception {
        Response first = given().get("/moratoria?vendor=" + VENDOR + "&size=4");
        first.then().statusCode(200).header("Content-Type", "application/json;charset=UTF-8"); // as when built whole
        JsonNode page = json.readTree(first.asByteArray());
        List<String> fields = new ArrayList<>();
        page.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).as("PolicyPage's fields, in its order").containsExactly("items", "page", "size", "next",
                "totalExact", "total");
        List<String> ids = new ArrayList<>();
        for (JsonNode item : page.get("items")) {
            ids.add(item.get("policyId").asText());
            assertThat(item.get("exemptions")).hasSize(EXEMPTIONS);
            assertThat(item.get("exemptions").get(EXEMPTIONS - 1).get("purpose").asText()).hasSize(4_000);
        }
        assertThat(ids).containsExactly("long-answers-p0", "long-answers-p1", "long-answers-p2", "long-answers-p3");
        assertThat(page.get("page").asInt()).isZero();
        assertThat(page.get("size").asInt()).isEqualTo(4);
        assertThat(page.get("next").asText()).isEqualTo("long-answers-p3");
        assertThat(page.get("totalExact").asBoolean()).isTrue();
        assertThat(page.get("total").asLong()).isEqualTo(POLICIES + 1);

        // the last page: the long policy and the short one, next null
        given().get("/moratoria?vendor=" + VENDOR + "&size=4&after=long-answers-p3").then().statusCode(200)
                .body("items.policyId", equalTo(List.of("long-answers-p4", SHORT))).body("next", equalTo(null))
                .body("total", equalTo(POLICIES + 1));
        // by offset, the same policies as by cursor
        given().get("/moratoria?vendor=" + VENDOR + "&size=2&page=1").then().statusCode(200)
                .body("items.policyId", equalTo(List.of("long-answers-p2", "long-answers-p3")));
        assertThat(ChunkedList.PLACES.free()).as("every place given back").isEqualTo(8);
    }

    @Test
    void longAnswersWaitForAPlaceWithoutHoldingAConnectionAndShortOnesDoNot() throws Exception {
        for (int i = 0; i < 8; i++) {
            ChunkedList.PLACES.take();
        }
        List<CompletableFuture<Response>> waiting = new ArrayList<>();
        try {
            // more long answers waiting for a place than the pool has connections (16 in tests)
            for (int i = 0; i < 24; i++) {
                String path = switch (i % 3) {
                    case 0 -> "/moratoria?vendor=" + VENDOR;
                    case 1 -> "/moratoria/long-answers-p" + (i % POLICIES);
                    default -> "/moratoria/" + LONG_HISTORY + "/history";
                };
                waiting.add(CompletableFuture.supplyAsync(() -> given().get(path)));
            }
            Thread.sleep(1_000);
            long asked = System.nanoTime();
            given().get("/moratoria/" + SHORT).then().statusCode(200).body("exemptions", hasSize(1));
            given().get("/moratoria?vendor=" + VENDOR + "&status=LIFTED").then().statusCode(200).body("items", hasSize(0));
            given().get("/moratoria/" + LONG_HISTORY + "/history?limit=2").then().statusCode(200).body("$", hasSize(2))
                    .header("Link", "</moratoria/" + LONG_HISTORY + "/history?after=" + (FIRST_EVENT_ROW + 1)
                            + "&limit=2>; rel=\"next\"");
            // had they waited for a place, or for a connection held by a waiting answer, they would have
            // waited at least the place wait (5 s), and a connection, 5 s too: the bound is that, not a speed
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).as("short answers wait for no place and no connection")
                    .isLessThan(Duration.ofSeconds(5));
            for (Iterator<CompletableFuture<Response>> it = waiting.iterator(); it.hasNext();) {
                Response busy = it.next().get(30, TimeUnit.SECONDS);
                busy.then().statusCode(503).header("Retry-After", "2").body("error", equalTo("busy"));
            }
        } finally {
            for (int i = 0; i < 8; i++) {
                ChunkedList.PLACES.giveBack();
            }
        }
        given().get("/moratoria/long-answers-p1").then().statusCode(200).body("exemptions", hasSize(EXEMPTIONS));
        given().get("/moratoria/" + LONG_HISTORY + "/history").then().statusCode(200).body("$", hasSize(40))
                .body("[39].data.note", equalTo("h".repeat(20_000)));
        assertThat(ChunkedList.PLACES.free()).isEqualTo(8);
    }

    /**
     * A client that asks for gzip gets a long page compressed as it is written, chunk by chunk, and
     * inflated it is the page a client that does not ask gets; the answer says it varies by
     * Accept-Encoding. Access decisions (100 bytes, on every gateway call), the live stream (a
     * compressor would hold its events back) and the metrics are never compressed, whoever asks.
     */
    @Test
    void aLongAnswerIsCompressedForAClientThatAsksAndIsTheSameAnswer() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("moratoria?vendor=" + VENDOR.replace(' ', '+') + "&size=6",
                "moratoria/" + LONG_HISTORY + "/history")) {
            URI uri = base.resolve(path);
            HttpResponse<byte[]> plain = http.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofByteArray());
            HttpResponse<byte[]> gzip = http.send(HttpRequest.newBuilder(uri).header("Accept-Encoding", "gzip").build(),
                    BodyHandlers.ofByteArray());
            assertThat(plain.statusCode()).isEqualTo(200);
            assertThat(plain.body().length).as(path).isGreaterThan((int) ChunkedList.LIGHT_BYTES);
            assertThat(plain.headers().firstValue("Content-Encoding")).as(path).isEmpty();
            assertThat(gzip.headers().firstValue("Content-Encoding")).as(path).hasValue("gzip");
            assertThat(gzip.headers().firstValue("Vary")).as(path).hasValueSatisfying(v ->
                    assertThat(v).containsIgnoringCase("accept-encoding"));
            try (GZIPInputStream inflated = new GZIPInputStream(new ByteArrayInputStream(gzip.body()))) {
                assertThat(inflated.readAllBytes()).as(path).isEqualTo(plain.body());
            }
            assertThat(gzip.body().length).as(path).isLessThan(plain.body().length / 10);
        }

        HttpRequest decision = HttpRequest.newBuilder(base.resolve("access?vendor=Amazon&product=Rekognition&segment=police"))
                .header("Accept-Encoding", "gzip").build();
        HttpResponse<String> access = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(decision, BodyHandlers.ofString());
        assertThat(access.statusCode()).isEqualTo(200);
        assertThat(access.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(json.readTree(access.body()).has("allowed")).isTrue();
        // over HTTP/2 (this client's default, by h2c upgrade) the answer keeps Quarkus's mark, which means none
        HttpResponse<String> accessOverHttp2 = http.send(decision, BodyHandlers.ofString());
        assertThat(accessOverHttp2.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(accessOverHttp2.headers().firstValue("Content-Encoding").orElse("identity")).isEqualTo("identity");
        assertThat(json.readTree(accessOverHttp2.body()).has("allowed")).isTrue();

        // the Prometheus endpoint compressed left some requests on its connections unanswered (docs/api.md)
        HttpResponse<String> metrics = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                HttpRequest.newBuilder(base.resolve("q/metrics")).header("Accept-Encoding", "gzip").build(),
                BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(metrics.body()).contains("moratorium_");

        HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(base.resolve("notifications/stream"))
                .header("Accept-Encoding", "gzip").build(), BodyHandlers.ofInputStream());
        stream.body().close();
        assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(t ->
                assertThat(t).startsWith("text/event-stream"));
        assertThat(stream.headers().firstValue("Content-Encoding").orElse("identity")).isEqualTo("identity");

        // each answer's place among those in flight given back once written (HTTP/1.1) or its stream closed (HTTP/2)
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(answersInFlight.free()).isEqualTo(128));
        assertThat(answersInFlight.heldByConnections()).isZero();
    }

    /**
     * An HTTP/2 client that opens no window and reads nothing (a few frames): its connection holds no
     * more than its share of the places, the writers of its answers (40 kB each, written by Jackson)
     * wait, others are answered; after the stall time (5 s here) it is cut, every place comes back,
     * and its failed writers are no ERRORs in the log (one each before: a hundred for one connection).
     */
    @Test
    void aFrozenHttp2ClientHoldsItsShareUntilCutAndLogsNoErrors() throws Exception {
        try (Connection c = dataSource.getConnection()) {
            insertPolicy(c, "long-answers-h2", 10);
        }
        List<LogRecord> errors = new CopyOnWriteArrayList<>();
        Handler errorsOnly = new Handler() {
            @Override
            public void publish(LogRecord log) {
                if (log.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    errors.add(log);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger.getLogger("").addHandler(errorsOnly);
        try (Socket frozen = Http2Frames.connect(base.getPort(), 0)) {
            for (int stream = 1; stream < 40; stream += 2) {
                frozen.getOutputStream().write(Http2Frames.get(stream, "/moratoria/long-answers-h2"));
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(answersInFlight.heldByConnections()).isEqualTo(16));
            given().get("/moratoria/" + SHORT).then().statusCode(200);

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(answersInFlight.free()).isEqualTo(128));
            assertThat(answersInFlight.heldByConnections()).isZero();
        } finally {
            Logger.getLogger("").removeHandler(errorsOnly);
        }
        assertThat(errors).extracting(LogRecord::getMessage).as("errors logged").isEmpty();
    }

    /**
     * The edge: a policy of exactly ChunkedList.LIGHT_BYTES of stored text is short (answered with
     * every place held), one byte more is long (it waits for a place, and is told busy).
     */
    @Test
    void sixtyFourKibibytesOfTextAreShortAndOneByteMoreIsLong() throws Exception {
        try (Connection c = dataSource.getConnection()) {
            insertPolicy(c, "long-answers-edge-short", 0);
            insertPolicy(c, "long-answers-edge-long", 0);
            try (PreparedStatement s = c.prepareStatement("INSERT INTO exemption (policy_id, position, organization,"
                    + " organization_key, purpose, granted_at) VALUES (?, 0, 'o', 'o', ?, now())")) {
                s.setString(1, "long-answers-edge-short");
                s.setString(2, "p".repeat((int) ChunkedList.LIGHT_BYTES - 1)); // and 1 byte of organization
                s.addBatch();
                s.setString(1, "long-answers-edge-long");
                s.setString(2, "p".repeat((int) ChunkedList.LIGHT_BYTES));
                s.addBatch();
                s.executeBatch();
            }
        }
        for (int i = 0; i < 8; i++) {
            ChunkedList.PLACES.take();
        }
        try {
            given().get("/moratoria/long-answers-edge-short").then().statusCode(200)
                    .body("exemptions[0].purpose.length()", equalTo((int) ChunkedList.LIGHT_BYTES - 1));
            given().get("/moratoria/long-answers-edge-long").then().statusCode(503).body("error", equalTo("busy"));
        } finally {
            for (int i = 0; i < 8; i++) {
                ChunkedList.PLACES.giveBack();
            }
        }
        given().get("/moratoria/long-answers-edge-long").then().statusCode(200)
                .body("exemptions[0].purpose.length()", equalTo((int) ChunkedList.LIGHT_BYTES));
    }

    private static void insertPolicy(Connection c, String policyId, int exemptions) throws Exception {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO policy (policy_id, kind, vendor, product, vendor_key,"
                + " product_key, segments, segment_keys, status, effective_from, evaluated_at, created_at, updated_at)"
                + " VALUES (?, 'MORATORIUM', ?, 'Product', ?, 'product', '[\"police\"]'::jsonb, ARRAY['police'], 'ACTIVE',"
                + " now(), now(), now(), now())")) {
            s.setString(1, policyId);
            s.setString(2, VENDOR);
            s.setString(3, Names.key(VENDOR));
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO exemption (policy_id, position, organization,"
                + " organization_key, purpose, granted_at) VALUES (?, ?, ?, ?, ?, now())")) {
            for (int i = 0; i < exemptions; i++) {
                s.setString(1, policyId);
                s.setInt(2, i);
                s.setString(3, "Org " + i);
                s.setString(4, "org " + i);
                s.setString(5, String.valueOf((char) ('a' + i % 26)).repeat(4_000));
                s.addBatch();
            }
            s.executeBatch();
        }
    }
}
