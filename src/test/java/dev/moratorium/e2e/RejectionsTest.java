package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moratorium.api.RejectionView;
import dev.moratorium.store.RejectionReads;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.Sql;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.testing.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Every rejection rule through the real pipeline: each bad record lands unchanged on
 * policy-changes-dlq with its dead-letter-reason, is listed by /rejections, changes nothing, and
 * does not stop the consumer; a retry re-runs a kept record once its policy exists.
 */
@QuarkusTest
@TestProfile(RejectionsTest.Profile.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RejectionsTest {

    /** Its own profile: a fresh broker and database for this class. */
    public static class Profile implements QuarkusTestProfile {
    }

    private static final Map<String, String> STRUCTURED = Map.of("content-type", "application/cloudevents+json");

    /** Bad records in the order sent: key, value, headers, expected reason code. */
    private record Bad(String key, byte[] value, Map<String, String> headers, String reason) {
    }

    private final Map<String, Bad> bad = new LinkedHashMap<>();

    @Inject
    DataSource dataSource;

    @Inject
    ObjectMapper json;

    @BeforeAll
    void sendGoodAndBadRecords() {
        byte[] huge = ("{\"pad\":\"" + "x".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        bad("too-large", "big", huge, STRUCTURED);
        bad("malformed-json", "acme-1", "{\"specversion\":\"1.0\",\"id\":".getBytes(StandardCharsets.UTF_8), STRUCTURED);
        bad("not-a-cloudevent", "acme-1", "{\"hello\":\"world\"}".getBytes(StandardCharsets.UTF_8), STRUCTURED);
        bad("unknown-type", "acme-1", Events.event("bad-type", "moratorium.paused", "{\"policyId\":\"acme-1\"}"));
        bad("invalid-field", "acme-1", Events.event("bad-field", "moratorium.announced",
                "{\"policyId\":\"acme-1\",\"product\":\"Vision\",\"segments\":[\"police\"],\"effectiveFrom\":\"2026-01-01\"}"));
        bad("invalid-interval", "acme-1", Events.announce("bad-interval", "acme-1", "2026-01-01", "2025-01-01"));
        bad("key-mismatch", "other-key", Events.announce("bad-key", "acme-1", "2026-01-01", "2030-01-01"));
        bad("unknown-policy", "acme-x", Events.event("grant-x", "moratorium.exemption-granted",
                "{\"policyId\":\"acme-x\",\"organization\":\"Thorn\"}"));
        bad("malformed-json", "acme-1", "{oops".getBytes(StandardCharsets.UTF_8), Map.of("ce_specversion", "1.0",
                "ce_id", "binary-bad", "ce_type", "moratorium.lifted", "ce_source", "urn:test",
                "content-type", "application/json"));
        // the good ones in between must still be applied
        TestKafka.sendStructured("acme-1", Events.announce("acme-1-announced", "acme-1", "2026-01-01", "2030-01-01"));
        TestKafka.sendStructured("acme-old", Events.announce("acme-old-announced", "acme-old", "2020-01-01", "2021-01-01"));
        bad("duplicate-policy", "acme-1", Events.announce("acme-1-again", "acme-1", "2026-01-01", "2031-01-01"));
        bad("not-an-extension", "acme-1", Events.event("acme-1-shorter", "moratorium.extended",
                "{\"policyId\":\"acme-1\",\"effectiveUntil\":\"2029-01-01\"}"));
        bad("policy-closed", "acme-old", Events.event("acme-old-lifted", "moratorium.lifted",
                "{\"policyId\":\"acme-old\"}"));
        // binary mode, valid: an extension
        TestKafka.send("policy-changes", "acme-1", "{\"policyId\":\"acme-1\",\"effectiveUntil\":null}"
                .getBytes(StandardCharsets.UTF_8), Map.of("ce_specversion", "1.0", "ce_id", "acme-1-extended",
                "ce_type", "moratorium.extended", "ce_source", "urn:test", "content-type", "application/json",
                "traceparent", TRACEPARENT));
    }

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private void bad(String reason, String key, String structuredEvent) {
        bad(reason, key, structuredEvent.getBytes(StandardCharsets.UTF_8), STRUCTURED);
    }

    private void bad(String reason, String key, byte[] value, Map<String, String> headers) {
        TestKafka.send("policy-changes", key, value, headers);
        bad.put(reason + "#" + bad.size(), new Bad(key, value, headers, reason));
    }

    @Test
    @Order(1)
    void everyBadRecordIsDeadLetteredUnchangedWithItsReason() {
        List<ConsumerRecord<byte[], byte[]>> dlq = TestKafka.readUntil("policy-changes-dlq", Duration.ofSeconds(30),
                r -> r.size() >= bad.size());
        assertThat(dlq).hasSize(bad.size());
        List<Bad> expected = List.copyOf(bad.values());
        for (Bad b : expected) {
            ConsumerRecord<byte[], byte[]> match = dlq.stream()
                    .filter(r -> Arrays.equals(r.value(), b.value()) && b.key().equals(TestKafka.text(r.key())))
                    .findFirst().orElseThrow(() -> new AssertionError("not dead-lettered: " + b.reason()));
            String reason = TestKafka.header(match, "dead-letter-reason");
            assertThat(reason).startsWith(b.reason() + ": ");
            assertThat(reason.length()).isGreaterThan(b.reason().length() + 10);
            b.headers().forEach((k, v) -> assertThat(TestKafka.header(match, k)).isEqualTo(v));
        }
        assertThat(dlq.stream().map(r -> TestKafka.header(r, "dead-letter-reason")))
                .contains("unknown-policy: no policy \"acme-x\" has been announced");
    }

    @Test
    @Order(2)
    void rejectionsAreListedWithReasonsAndChangedNothing() {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                given().get("/rejections").then().body("", hasSize(bad.size())));
        JsonPath list = given().get("/rejections").then().statusCode(200).extract().jsonPath();
        assertThat(list.getList("reason", String.class))
                .containsExactlyInAnyOrderElementsOf(bad.values().stream().map(Bad::reason).toList());
        assertThat(list.getList("status", String.class)).containsOnly("OPEN");
        given().get("/moratoria/acme-x").then().statusCode(404);
        given().get("/moratoria/acme-1").then().statusCode(200)
                .body("effectiveUntil", equalTo(null)).body("status", equalTo("ACTIVE"));
        given().get("/moratoria/acme-1/history").then()
                .body("id", equalTo(List.of("acme-1-announced", "acme-1-extended")));
        given().get("/moratoria/acme-old").then().body("status", equalTo("EXPIRED"));
        given().get("/rejections?status=BOGUS").then().statusCode(400).body("error", equalTo("invalid-parameter"));
    }

    @Test
    @Order(2)
    void theNewestComeFirstWithOrderNewestPagedByBefore() {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                given().get("/rejections").then().body("", hasSize(bad.size())));
        List<Long> oldestFirst = given().get("/rejections?status=OPEN").then().extract().jsonPath().getList("id", Long.class);
        List<Long> newestFirst = new java.util.ArrayList<>(oldestFirst);
        java.util.Collections.reverse(newestFirst);
        assertThat(given().get("/rejections?status=OPEN&order=newest").then().statusCode(200).extract().jsonPath()
                .getList("id", Long.class)).containsExactlyElementsOf(newestFirst);
        assertThat(given().get("/rejections?order=NEWEST&limit=2").then().extract().jsonPath().getList("id", Long.class))
                .containsExactlyElementsOf(newestFirst.subList(0, 2));
        assertThat(given().get("/rejections?order=newest&limit=3&before=" + newestFirst.get(1)).then().extract()
                .jsonPath().getList("id", Long.class)).containsExactlyElementsOf(newestFirst.subList(2, 5));
        given().get("/rejections?order=newest&before=").then().statusCode(200).body("", hasSize(newestFirst.size()));
        given().get("/rejections?order=newest&after=1").then().statusCode(400)
                .body("message", equalTo("order=newest pages with before, not after"));
        given().get("/rejections?before=5").then().statusCode(400).body("error", equalTo("invalid-parameter"));
        given().get("/rejections?order=sideways").then().statusCode(400)
                .body("message", equalTo("order must be oldest or newest"));
        // how many are open, for the dashboard, counted every few seconds
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/ops/status").then()
                .body("openRejections", equalTo(newestFirst.size())).body("openRejectionsExact", equalTo(true)));
    }

    @Test
    @Order(2)
    void rejectionsAreListedByReasonInEitherOrder() {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                given().get("/rejections").then().body("", hasSize(bad.size())));
        JsonPath all = given().get("/rejections?limit=500").then().extract().jsonPath();
        List<Long> malformed = new java.util.ArrayList<>();
        for (int i = 0; i < all.getList("id").size(); i++) {
            if ("malformed-json".equals(all.getString("[" + i + "].reason"))) {
                malformed.add(all.getLong("[" + i + "].id"));
            }
        }
        assertThat(malformed).hasSize(2);
        assertThat(ids(given().queryParam("reason", "malformed-json").get("/rejections"))).isEqualTo(malformed);
        assertThat(ids(given().queryParam("reason", "malformed-json").queryParam("order", "newest").get("/rejections")))
                .isEqualTo(List.of(malformed.get(1), malformed.get(0)));
        assertThat(ids(given().queryParam("reason", "malformed-json").queryParam("status", "OPEN")
                .queryParam("limit", 1).get("/rejections"))).isEqualTo(malformed.subList(0, 1));
        assertThat(ids(given().queryParam("reason", "malformed-json").queryParam("status", "open")
                .queryParam("after", malformed.get(0)).get("/rejections"))).isEqualTo(malformed.subList(1, 2));
        assertThat(ids(given().queryParam("reason", "malformed-json").queryParam("status", "RESOLVED")
                .get("/rejections"))).isEmpty();
        given().queryParam("reason", "policy-closed").get("/rejections").then().statusCode(200)
                .body("reason", equalTo(List.of("policy-closed")));
        // a reason code exactly as the contract spells it, nothing that folds or hides into one
        for (String notACode : List.of("MALFORMED-JSON", "malformed-json\u0000", "malformed\u200b-json",
                "\uff4dalformed-json", "malformed-json ".repeat(20), "unknown-policy,malformed-json", "none")) {
            given().queryParam("reason", notACode).get("/rejections").then().statusCode(400)
                    .body("error", equalTo("invalid-parameter"));
        }
    }

    private static List<Long> ids(io.restassured.response.Response response) {
        return response.then().statusCode(200).extract().jsonPath().getList("id", Long.class);
    }

    @Test
    @Order(3)
    void theBinaryModeExtensionWasNotified() {
        var notifications = TestKafka.readUntil("moratorium-notifications", Duration.ofSeconds(20),
                r -> r.stream().anyMatch(x -> "access.suspension-extended".equals(TestKafka.header(x, "ce_type"))));
        assertThat(notifications.stream().filter(r -> "access.suspension-extended".equals(TestKafka.header(r, "ce_type")))
                .map(r -> TestKafka.header(r, "traceparent"))).as("trace context carried").containsExactly(TRACEPARENT);
        assertThat(notifications.stream().filter(r -> "access.suspension-extended".equals(TestKafka.header(r, "ce_type")))
                .map(r -> TestKafka.text(r.value())))
                .singleElement().asString()
                .contains("\"message\":\"Police access to Acme Vision suspended until further notice"
                        + " (previously until 2030-01-01).\"");
    }

    private static RequestSpecification admin() {
        return given().auth().oauth2(TestTokens.admin());
    }

    @Test
    @Order(4)
    void aRetryAppliesTheRecordOnceItsPolicyExists() {
        JsonPath list = given().get("/rejections?status=OPEN").then().extract().jsonPath();
        int unknownPolicy = list.getInt("find { it.reason == 'unknown-policy' }.id");
        int malformed = list.getInt("find { it.reason == 'malformed-json' }.id");

        admin().post("/rejections/" + unknownPolicy + "/retry").then().statusCode(200)
                .body("outcome", equalTo("rejected")).body("status", equalTo("OPEN")).body("retryCount", equalTo(1));

        TestKafka.sendStructured("acme-x", Events.announce("acme-x-announced", "acme-x", "2026-01-01", "2030-01-01"));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                given().get("/moratoria/acme-x").then().statusCode(200));

        admin().post("/rejections/" + unknownPolicy + "/retry").then().statusCode(200)
                .body("outcome", equalTo("applied")).body("status", equalTo("RESOLVED"));
        given().get("/moratoria/acme-x").then().body("exemptions[0].organization", equalTo("Thorn"));
        given().get("/moratoria/acme-x/history").then().body("id", equalTo(List.of("acme-x-announced", "grant-x")));
        admin().post("/rejections/" + unknownPolicy + "/retry").then().statusCode(200)
                .body("outcome", equalTo("already-resolved"));
        admin().post("/rejections/" + malformed + "/retry").then().statusCode(200)
                .body("outcome", equalTo("rejected")).body("reason", equalTo("malformed-json"));
        admin().post("/rejections/999999/retry").then().statusCode(404).body("error", equalTo("unknown-rejection"));
        admin().post("/rejections/abc/retry").then().statusCode(400).body("error", equalTo("invalid-parameter"));

        var notifications = TestKafka.readUntil("moratorium-notifications", Duration.ofSeconds(20),
                r -> r.stream().anyMatch(x -> "exemption.granted".equals(TestKafka.header(x, "ce_type"))));
        assertThat(notifications.stream().filter(r -> "exemption.granted".equals(TestKafka.header(r, "ce_type")))
                .map(r -> TestKafka.text(r.value()))).singleElement().asString()
                .contains("\"message\":\"Thorn exempt from the police moratorium on Acme Vision.\"");
        // the retry did not dead-letter the record a second time
        assertThat(TestKafka.readAll("policy-changes-dlq")).hasSize(bad.size());
    }

    @Test
    @Order(5)
    void aBinaryEventThatSaysItsTypeTwiceIsRejectedAndDeadLetteredWithBothHeaders() throws Exception {
        // Kafka keeps repeated header names. Read as its last ce_type, this record withdrew a product.
        ProducerRecord<byte[], byte[]> twice = new ProducerRecord<>("policy-changes", "acme-twice".getBytes(StandardCharsets.UTF_8),
                ("{\"policyId\":\"acme-twice\",\"vendor\":\"Acme\",\"product\":\"Twice\",\"segments\":[\"police\"],"
                        + "\"effectiveFrom\":\"2026-01-01\"}").getBytes(StandardCharsets.UTF_8));
        for (String[] h : new String[][] {{"ce_specversion", "1.0"}, {"ce_id", "acme-twice-1"},
                {"ce_type", "moratorium.announced"}, {"ce_type", "product.withdrawn"}, {"ce_source", "urn:test"},
                {"content-type", "application/json"}}) {
            twice.headers().add(h[0], h[1].getBytes(StandardCharsets.UTF_8));
        }
        try (var producer = TestKafka.producer()) {
            producer.send(twice).get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        List<ConsumerRecord<byte[], byte[]>> dlq = TestKafka.readUntil("policy-changes-dlq", Duration.ofSeconds(30),
                r -> r.size() > bad.size());
        ConsumerRecord<byte[], byte[]> dead = dlq.get(dlq.size() - 1);
        assertThat(TestKafka.text(dead.key())).isEqualTo("acme-twice");
        assertThat(dead.headers().headers("ce_type")).extracting(h -> TestKafka.text(h.value()))
                .containsExactly("moratorium.announced", "product.withdrawn");
        assertThat(TestKafka.header(dead, "dead-letter-reason")).isEqualTo("not-a-cloudevent: the record carries the"
                + " header ce_type 2 times (\"moratorium.announced\", \"product.withdrawn\"); a CloudEvent attribute is"
                + " one header, so which one holds cannot be told");
        given().get("/moratoria/acme-twice").then().statusCode(404);
        JsonPath list = given().get("/rejections?status=OPEN").then().extract().jsonPath();
        int id = list.getInt("find { it.eventId == null && it.key == 'acme-twice' }.id");
        admin().post("/rejections/" + id + "/retry").then().statusCode(200)
                .body("outcome", equalTo("rejected")).body("reason", equalTo("not-a-cloudevent"));
        given().get("/moratoria/acme-twice").then().statusCode(404);
    }

    @Test
    @Order(6)
    void rejectionsOfRecordsThatAreNearlyAllKeyAndHeadersAreListedAsPreviews() throws Exception {
        // policy-changes takes 2 MiB: a malformed record with a 300 kB key, a 1 MiB header, a name of
        // 100,000 characters and 200 small headers, five times. Listed whole, a page was megabytes each.
        try (var producer = TestKafka.producer(TestKafka.bootstrapServers(), Map.of("max.request.size", 4 * 1024 * 1024))) {
            for (int n = 0; n < 5; n++) {
                ProducerRecord<byte[], byte[]> heavy = new ProducerRecord<>("policy-changes",
                        ("heavy-" + n + "-" + "k".repeat(300_000)).getBytes(StandardCharsets.UTF_8),
                        "{oops".getBytes(StandardCharsets.UTF_8));
                heavy.headers().add("content-type", "application/cloudevents+json".getBytes(StandardCharsets.UTF_8));
                heavy.headers().add("x-junk", "j".repeat(1024 * 1024).getBytes(StandardCharsets.UTF_8));
                heavy.headers().add("n".repeat(100_000), null);
                for (int i = 0; i < 200; i++) {
                    heavy.headers().add("t", new byte[] {(byte) 0xff, (byte) i}); // not UTF-8: base64
                }
                producer.send(heavy).get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(given().get("/rejections?limit=500")
                .then().extract().jsonPath().getList("findAll { it.headerCount == 203 }")).hasSize(5));
        String body = given().get("/rejections?limit=500").then().statusCode(200).extract().asString();
        assertThat(body.length()).as("five previews, not five times 1.4 MB").isLessThan(200_000);
        JsonPath heavy = JsonPath.from(body);
        String first = "find { it.headerCount == 203 }";
        assertThat(heavy.getString(first + ".key")).hasSize(2049).startsWith("heavy-0-kkk").endsWith("k…");
        assertThat(heavy.getString(first + ".value")).isEqualTo("{oops");
        Map<String, String> shown = heavy.getMap(first + ".headers");
        assertThat(shown).hasSize(4).containsEntry("content-type", "application/cloudevents+json")
                .containsEntry("x-junk", "j".repeat(512) + "…").containsEntry("n".repeat(256) + "…", null);
        assertThat(shown.get("t").split(", ")).hasSize(61).startsWith("base64:/wA=", "base64:/wE=");
        // a retry answers with the same previews, from the row it loaded whole
        int id = heavy.getInt(first + ".id");
        String retried = admin().post("/rejections/" + id + "/retry").then().statusCode(200)
                .body("outcome", equalTo("rejected")).body("reason", equalTo("malformed-json")).extract().asString();
        assertThat(retried.length()).isLessThan(40_000);
        assertThat(JsonPath.from(retried).getMap("headers")).isEqualTo(shown);
        assertThat(JsonPath.from(retried).getString("key")).isEqualTo(heavy.getString(first + ".key"));
        // The previews were cut when the rows were kept (V14), and a list reads them, not the 1.4 MB
        // headers. A row kept before V14 has none and is cut as it is listed: the same answer.
        assertThat(Sql.count(dataSource, "SELECT count(*) FROM rejection WHERE header_count = 203"
                + " AND octet_length(header_preview::text) < 30000")).isEqualTo(5);
        String listed = given().get("/rejections?limit=500").then().statusCode(200).extract().asString();
        String newest = given().get("/rejections?order=newest&limit=5").then().statusCode(200).extract().asString();
        Sql.execute(dataSource, "UPDATE rejection SET header_preview = NULL, header_count = NULL");
        assertThat(given().get("/rejections?limit=500").then().statusCode(200).extract().asString()).isEqualTo(listed);
        assertThat(given().get("/rejections?order=newest&limit=5").then().extract().asString()).isEqualTo(newest);
    }

    /**
     * A list is read and written 25 rows at a time (api.ChunkedList), each chunk by the list's own
     * cursor: the answer is the array the one statement of before built whole, byte for byte, and
     * pages of any size, across chunk boundaries, in both orders and with a status, add up to it.
     */
    @Test
    @Order(7)
    void aListWrittenChunkByChunkIsTheListBuiltWhole() throws Exception {
        for (int n = 0; n < 40; n++) {
            TestKafka.send("policy-changes", "chunk-" + n, ("{oops " + n).getBytes(StandardCharsets.UTF_8), STRUCTURED);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(given().get("/rejections?limit=500")
                .then().extract().jsonPath().getList("findAll { it.key.startsWith('chunk-') }")).hasSize(40));
        String whole = given().get("/rejections?limit=500").then().statusCode(200).extract().asString();
        List<Map<String, Object>> rows = JsonPath.from(whole).getList("$");
        assertThat(rows.size()).isGreaterThan(2 * 25);

        try (var c = dataSource.getConnection()) {
            List<RejectionView> builtWhole = RejectionReads.list(c, null, false, 0, 500, 2048).stream()
                    .map(r -> RejectionView.of(r, null)).toList();
            assertThat(whole).isEqualTo(json.writeValueAsString(builtWhole));
            List<RejectionView> openNewest = RejectionReads.list(c, "OPEN", true, Long.MAX_VALUE, 30, 2048).stream()
                    .map(r -> RejectionView.of(r, null)).toList();
            assertThat(given().get("/rejections?status=open&order=newest&limit=30").then().statusCode(200).extract()
                    .asString()).isEqualTo(json.writeValueAsString(openNewest));
        }

        List<Object> ids = rows.stream().map(r -> r.get("id")).toList();
        List<Object> reversed = new java.util.ArrayList<>(ids);
        java.util.Collections.reverse(reversed);
        for (int size : new int[] {7, 25, 26, 50}) {
            assertThat(paged("/rejections?limit=" + size + "&after=", 0)).as("oldest first, pages of " + size)
                    .isEqualTo(ids);
            List<Object> newestFirst = paged("/rejections?order=newest&limit=" + size + "&before=", Long.MAX_VALUE);
            assertThat(newestFirst).as("newest first, pages of " + size).isEqualTo(reversed);
        }
    }

    /** The ids of every page, following the cursor from {@code start} until a page is empty. */
    private static List<Object> paged(String query, long start) {
        List<Object> ids = new java.util.ArrayList<>();
        long cursor = start;
        while (true) {
            List<Number> page = given().get(query + cursor).then().statusCode(200).extract().jsonPath().getList("id");
            if (page.isEmpty()) {
                return ids;
            }
            ids.addAll(page);
            cursor = page.get(page.size() - 1).longValue();
        }
    }

    /**
     * Grants that came before their policies' announcements wait as unknown-policy: one request
     * retries the open ones of that reason, oldest first, a page at a time, and leaves the others.
     */
    @Test
    @Order(8)
    void theOpenRejectionsOfOneReasonAreRetriedOldestFirstInOneRequest() {
        long before = given().get("/rejections?order=newest&limit=1").then().extract().jsonPath().getLong("[0].id");
        int deadLettered = TestKafka.readAll("policy-changes-dlq").size();
        // one after another: three keys are three partitions, read in any order, and the test needs
        // the rejections' ids in this order
        for (int i = 1; i <= 3; i++) {
            bad("unknown-policy", "bulk-r-" + i, Events.event("grant-bulk-r-" + i, "moratorium.exemption-granted",
                    "{\"policyId\":\"bulk-r-" + i + "\",\"organization\":\"Thorn\"}"));
            int rejected = i;
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(given().get("/rejections?status=OPEN"
                    + "&limit=500&after=" + before).then().extract().jsonPath().getList("key")).hasSize(rejected));
        }
        assertThat(given().get("/rejections?status=OPEN&limit=500&after=" + before).then().extract().jsonPath()
                .getList("key")).containsExactly("bulk-r-1", "bulk-r-2", "bulk-r-3");
        Map<Object, Object> othersBefore = retryCounts(given().get("/rejections?status=OPEN&limit=500&before="
                + (before + 1) + "&order=newest").then().extract().jsonPath());

        given().post("/rejections/retry").then().statusCode(401);
        given().auth().oauth2(TestTokens.viewer()).post("/rejections/retry").then().statusCode(403);
        admin().queryParam("reason", "unknown").post("/rejections/retry").then().statusCode(400)
                .body("error", equalTo("invalid-parameter"));
        admin().queryParam("limit", "501").post("/rejections/retry").then().statusCode(400);
        admin().queryParam("after", "-1").post("/rejections/retry").then().statusCode(400);

        // none can be applied yet: each is rejected again and stays open
        admin().queryParam("reason", "unknown-policy").queryParam("after", before).post("/rejections/retry").then()
                .statusCode(200).body("tried", equalTo(3)).body("rejected", equalTo(3)).body("applied", equalTo(0))
                .body("next", equalTo(null));

        for (int i = 1; i <= 2; i++) {
            TestKafka.sendStructured("bulk-r-" + i, Events.announce("bulk-r-" + i + "-announced", "bulk-r-" + i,
                    "2026-01-01", "2030-01-01"));
        }
        for (String announced : List.of("bulk-r-1", "bulk-r-2")) { // two partitions: either may come first
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/moratoria/" + announced).then()
                    .statusCode(200));
        }
        JsonPath firstPage = admin().queryParam("reason", "unknown-policy").queryParam("after", before)
                .queryParam("limit", "2").post("/rejections/retry").then().statusCode(200).extract().jsonPath();
        assertThat(firstPage.getInt("tried")).isEqualTo(2);
        assertThat(firstPage.getInt("applied")).isEqualTo(2);
        long next = firstPage.getLong("next");
        admin().queryParam("reason", "unknown-policy").queryParam("after", next).queryParam("limit", "2")
                .post("/rejections/retry").then().statusCode(200).body("tried", equalTo(1)).body("rejected", equalTo(1))
                .body("next", equalTo(null));
        given().get("/moratoria/bulk-r-1").then().body("exemptions[0].organization", equalTo("Thorn"));
        given().get("/moratoria/bulk-r-2/history").then().body("id",
                equalTo(List.of("bulk-r-2-announced", "grant-bulk-r-2")));
        JsonPath after = given().get("/rejections?limit=500&after=" + before).then().extract().jsonPath();
        assertThat(after.getList("status")).containsExactly("RESOLVED", "RESOLVED", "OPEN");
        assertThat(after.getList("retryCount")).containsExactly(2, 2, 2);
        // the open rejections of other reasons were not touched
        assertThat(retryCounts(given().get("/rejections?status=OPEN&limit=500&before=" + (before + 1)
                + "&order=newest").then().extract().jsonPath())).isEqualTo(othersBefore);
        // each dead-lettered once, when first rejected: retries rejected again add nothing
        assertThat(TestKafka.readAll("policy-changes-dlq")).hasSize(deadLettered + 3);
    }

    private static Map<Object, Object> retryCounts(JsonPath list) {
        Map<Object, Object> counts = new LinkedHashMap<>();
        List<Object> ids = list.getList("id");
        List<Object> retries = list.getList("retryCount");
        for (int i = 0; i < ids.size(); i++) {
            counts.put(ids.get(i), retries.get(i));
        }
        return counts;
    }
}
