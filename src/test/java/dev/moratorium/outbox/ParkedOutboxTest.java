package dev.moratorium.outbox;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.moratorium.wire.Topics;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.testing.OutboxRows;
import dev.moratorium.testing.ShortTimeoutsProfile;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.testing.TestTokens;
import dev.moratorium.store.HeaderPreviews;
import dev.moratorium.wire.HeaderCodec;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * An outbox row the broker refuses (3 MiB, over the producer's max.request.size) between good rows
 * of the same policy: the good rows are published in order, the bad one is set aside, listed,
 * counted, and can be re-driven. Before parking, the relay re-sent the same batch forever.
 */
@QuarkusTest
@TestProfile(ShortTimeoutsProfile.class)
class ParkedOutboxTest {

    private static final int THREE_MIB = 3 * 1024 * 1024;

    @Inject
    OutboxRows outbox;

    @Inject
    EntityManager em;

    @Test
    void aRefusedRowIsSetAsideAndTheRowsAfterItArePublished() {
        double parkedBefore = metric("moratorium_outbox_parked_total"); // another test of the class may have parked
        byte[] huge = new byte[THREE_MIB];
        Arrays.fill(huge, (byte) 'x');
        List<Long> ids = enqueue("parking-1", List.of("good-1".getBytes(StandardCharsets.UTF_8), huge,
                "good-2".getBytes(StandardCharsets.UTF_8), "good-3".getBytes(StandardCharsets.UTF_8)));
        long badId = ids.get(1);

        List<ConsumerRecord<byte[], byte[]>> published = TestKafka.readUntil(Topics.NOTIFICATIONS,
                Duration.ofSeconds(60), r -> values(r, "parking-1").size() >= 3);
        assertThat(values(published, "parking-1")).as("the good rows, in id order")
                .containsExactly("good-1", "good-2", "good-3");
        await().atMost(Duration.ofSeconds(20)).until(() -> outboxRows() == 0);

        JsonPath list = given().get("/outbox/parked").then().statusCode(200).extract().jsonPath();
        assertThat(list.getList("id", Long.class)).containsExactly(badId);
        assertThat(list.getLong("[0].payloadSize")).isEqualTo(THREE_MIB);
        assertThat(list.getString("[0].payloadPreview")).hasSizeLessThan(300).startsWith("xxxx");
        assertThat(list.getString("[0].reason")).startsWith("RecordTooLargeException");
        assertThat(list.getString("[0].topic")).isEqualTo(Topics.NOTIFICATIONS);
        assertThat(list.getString("[0].key")).isEqualTo("parking-1");
        assertThat(list.getString("[0].headers.ce_type")).isEqualTo("test.parking");
        given().get("/outbox/parked?after=" + badId).then().statusCode(200).body("size()", equalTo(0));
        given().get("/outbox/parked?limit=0").then().statusCode(400).body("error", equalTo("invalid-parameter"));
        assertThat(metric("moratorium_outbox_parked_total")).isEqualTo(parkedBefore + 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("moratorium_outbox_parked_rows") == 1.0);

        // a redrive needs the admin role, and puts the row back under a new id: still too large, parked again
        given().post("/outbox/parked/" + badId + "/redrive").then().statusCode(401);
        given().auth().oauth2(TestTokens.viewer()).post("/outbox/parked/" + badId + "/redrive").then()
                .statusCode(403);
        long requeued = given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/" + badId + "/redrive")
                .then().statusCode(200).body("outcome", equalTo("queued")).extract().jsonPath().getLong("outboxId");
        assertThat(requeued).isGreaterThan(ids.get(3));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                given().get("/outbox/parked").then().extract().jsonPath().getList("id", Long.class))
                .containsExactly(requeued));
        assertThat(metric("moratorium_outbox_parked_total")).isEqualTo(parkedBefore + 2);
    }

    @Test
    void aRedrivenRowThatCanBePublishedIsPublished() {
        // as if it had been refused earlier and the topic's limit has since been raised
        long id = 1_000_000_000_000L;
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("INSERT INTO outbox_parked"
                + " (id, topic, record_key, payload, headers, created_at, reason, parked_at)"
                + " VALUES (:id, :topic, :key, :payload, CAST(:headers AS json), now(), 'RecordTooLargeException: test',"
                + " now())").setParameter("id", id).setParameter("topic", Topics.NOTIFICATIONS)
                .setParameter("key", "parking-2".getBytes(StandardCharsets.UTF_8))
                .setParameter("payload", "redriven".getBytes(StandardCharsets.UTF_8))
                .setParameter("headers", HeaderCodec.encode(List.of(header("ce_type", "test.parking"))))
                .executeUpdate());
        given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/" + id + "/redrive").then().statusCode(200);
        List<ConsumerRecord<byte[], byte[]>> published = TestKafka.readUntil(Topics.NOTIFICATIONS,
                Duration.ofSeconds(30), r -> !values(r, "parking-2").isEmpty());
        assertThat(values(published, "parking-2")).containsExactly("redriven");
        assertThat(given().get("/outbox/parked").then().extract().jsonPath().getList("id", Long.class))
                .doesNotContain(id);
        given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/" + id + "/redrive").then().statusCode(404)
                .body("error", equalTo("unknown-parked-row"));
        given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/abc/redrive").then().statusCode(400)
                .body("error", equalTo("invalid-parameter"));
    }

    /** What the runbook calls dropping a row knowingly: an admin, a reason, and it is gone for good. */
    @Test
    void aParkedRowIsDroppedWithAReasonAndNeverPublished() {
        long id = 1_000_000_000_100L;
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("INSERT INTO outbox_parked"
                + " (id, topic, record_key, payload, headers, created_at, reason, parked_at)"
                + " VALUES (:id, :topic, :key, :payload, '[]'::json, now(), 'RecordTooLargeException: test', now())")
                .setParameter("id", id).setParameter("topic", Topics.NOTIFICATIONS)
                .setParameter("key", "parking-drop".getBytes(StandardCharsets.UTF_8))
                .setParameter("payload", "never".getBytes(StandardCharsets.UTF_8)).executeUpdate());
        double dropped = metric("moratorium_outbox_parked_dropped_total");
        given().queryParam("reason", "test").delete("/outbox/parked/" + id).then().statusCode(401);
        given().auth().oauth2(TestTokens.viewer()).queryParam("reason", "test").delete("/outbox/parked/" + id).then()
                .statusCode(403);
        given().auth().oauth2(TestTokens.admin()).delete("/outbox/parked/" + id).then().statusCode(400)
                .body("error", equalTo("missing-parameter"));
        given().auth().oauth2(TestTokens.admin()).queryParam("reason", "a\u0000b").delete("/outbox/parked/" + id)
                .then().statusCode(400).body("error", equalTo("invalid-parameter"));
        given().auth().oauth2(TestTokens.admin()).queryParam("reason", "r".repeat(201)).delete("/outbox/parked/" + id)
                .then().statusCode(400).body("error", equalTo("invalid-parameter"));
        given().auth().oauth2(TestTokens.admin()).queryParam("reason", "a test row, never to be published")
                .delete("/outbox/parked/" + id).then().statusCode(200).body("outcome", equalTo("dropped"))
                .body("topic", equalTo(Topics.NOTIFICATIONS));
        given().auth().oauth2(TestTokens.admin()).queryParam("reason", "again").delete("/outbox/parked/" + id).then()
                .statusCode(404).body("error", equalTo("unknown-parked-row"));
        given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/" + id + "/redrive").then().statusCode(404);
        // a redrive takes no reason: one given is refused, not ignored
        given().auth().oauth2(TestTokens.admin()).queryParam("reason", "again").post("/outbox/parked/" + id
                + "/redrive").then().statusCode(400)
                .body("message", equalTo("unknown parameter \"reason\"; this endpoint takes none"));
        assertThat(given().get("/outbox/parked?after=" + (id - 1)).then().extract().jsonPath().getList("id"))
                .isEmpty();
        assertThat(metric("moratorium_outbox_parked_dropped_total")).isEqualTo(dropped + 1);
    }

    @Test
    void aRefusedRowWhoseHeaderNameHoldsANulIsParkedAndPublicationGoesOn() {
        // a dead letter carries its input record's headers, NUL included; outbox_parked's headers were
        // jsonb, which refuses an escaped NUL: the park failed the relay's transaction, round after round
        byte[] huge = new byte[THREE_MIB];
        Arrays.fill(huge, (byte) 'y');
        List<RawHeader> headers = List.of(header("ce_type", "test.parking"), header("x-\u0000-nul", "v"));
        List<Long> ids = outbox.enqueue("parking-nul", headers, java.time.Instant.now(),
                List.of(huge, "after-nul".getBytes(StandardCharsets.UTF_8)));
        List<ConsumerRecord<byte[], byte[]>> published = TestKafka.readUntil(Topics.NOTIFICATIONS,
                Duration.ofSeconds(60), r -> !values(r, "parking-nul").isEmpty());
        assertThat(values(published, "parking-nul")).containsExactly("after-nul");
        try {
            JsonPath list = given().get("/outbox/parked?after=" + (ids.get(0) - 1) + "&limit=1").then().statusCode(200)
                    .extract().jsonPath();
            assertThat(list.getLong("[0].id")).isEqualTo(ids.get(0));
            assertThat(list.getMap("[0].headers")).containsEntry("ce_type", "test.parking")
                    .containsEntry("x-\u0000-nul", "v");
            // cut when parked (V15), so the list did not parse the row's headers
            Object[] kept = (Object[]) em.createNativeQuery("SELECT header_count, header_preview::text"
                    + " FROM outbox_parked WHERE id = :id").setParameter("id", ids.get(0)).getSingleResult();
            assertThat(((Number) kept[0]).intValue()).isEqualTo(2);
            assertThat((String) kept[1]).contains("\\\"x-\\\\u0000-nul\\\""); // the name's literal, escaped once more
        } finally {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("DELETE FROM outbox_parked WHERE id = :id")
                    .setParameter("id", ids.get(0)).executeUpdate());
        }
    }

    @Test
    void aParkedRowIsListedWithPreviewsOfItsKeyAndHeadersNeverWhole() {
        long id = 2_000_000_000_000L;
        List<RawHeader> headers = new ArrayList<>();
        headers.add(header("ce_type", "first"));
        headers.add(header("ce_type", "second"));
        headers.add(header("x-junk", "j".repeat(1024 * 1024)));
        headers.add(new RawHeader("n".repeat(300), null));
        for (int i = 0; i < 100; i++) {
            headers.add(header("t", "v"));
        }
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("INSERT INTO outbox_parked"
                + " (id, topic, record_key, payload, headers, created_at, reason, parked_at)"
                + " VALUES (:id, :topic, :key, :payload, CAST(:headers AS json), now(), 'RecordTooLargeException: test',"
                + " now())").setParameter("id", id).setParameter("topic", Topics.NOTIFICATIONS)
                .setParameter("key", "k".repeat(1024 * 1024).getBytes(StandardCharsets.UTF_8))
                .setParameter("payload", "p".getBytes(StandardCharsets.UTF_8))
                .setParameter("headers", HeaderCodec.encode(headers))
                .executeUpdate());
        try {
            String body = given().get("/outbox/parked?after=" + (id - 1)).then().statusCode(200).extract().asString();
            assertThat(body.length()).as("the answer, not the row's 2 MiB").isLessThan(8_000);
            JsonPath list = JsonPath.from(body);
            assertThat(list.getString("[0].key")).isEqualTo("k".repeat(256) + "…");
            assertThat(list.getInt("[0].headerCount")).isEqualTo(104);
            java.util.Map<String, String> shown = list.getMap("[0].headers");
            assertThat(shown).containsEntry("ce_type", "first, second")
                    .containsEntry("x-junk", "j".repeat(512) + "…")
                    .containsEntry("n".repeat(256) + "…", null)
                    .containsEntry("t", String.join(", ", java.util.Collections.nCopies(60, "v")));
            // a row inserted as above, without the cut parking makes (as before V15), was cut as listed;
            // with the cut kept, the list reads that instead, and answers the same
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("UPDATE outbox_parked SET header_preview = "
                    + "(SELECT header_preview FROM (SELECT " + HeaderPreviews.previewOf("headers") + "::json AS header_preview"
                    + " FROM outbox_parked WHERE id = :id) AS c), header_count = json_array_length(headers) WHERE id = :id")
                    .setParameter("id", id).executeUpdate());
            assertThat(given().get("/outbox/parked?after=" + (id - 1)).then().extract().asString()).isEqualTo(body);
        } finally {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("DELETE FROM outbox_parked WHERE id = :id")
                    .setParameter("id", id).executeUpdate());
        }
    }

    /** The list is read and written 25 rows at a time (api.ChunkedList): pages across the chunks add up. */
    @Test
    void pagesOfParkedRowsAcrossChunksAddUpToTheWholeList() {
        long first = 3_000_000_000_000L;
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("INSERT INTO outbox_parked"
                + " (id, topic, record_key, payload, headers, created_at, reason, parked_at)"
                + " SELECT :first + i, :topic, convert_to('k' || i, 'UTF8'), convert_to('p', 'UTF8'), '[]'::json, now(),"
                + " 'RecordTooLargeException: test', now() FROM generate_series(0, 59) AS i")
                .setParameter("first", first).setParameter("topic", Topics.NOTIFICATIONS).executeUpdate());
        try {
            List<Long> expected = java.util.stream.LongStream.range(first, first + 60).boxed().toList();
            assertThat(parkedIds(first - 1, 500)).isEqualTo(expected);
            assertThat(parkedIds(first - 1, 55)).isEqualTo(expected.subList(0, 55));
            for (int size : new int[] {25, 26}) {
                List<Long> paged = new ArrayList<>();
                long after = first - 1;
                for (List<Long> page = parkedIds(after, size); !page.isEmpty(); page = parkedIds(after, size)) {
                    paged.addAll(page);
                    after = page.get(page.size() - 1);
                }
                assertThat(paged).as("pages of " + size).isEqualTo(expected);
            }
        } finally {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("DELETE FROM outbox_parked WHERE id >= :first")
                    .setParameter("first", first).executeUpdate());
        }
    }

    @Test
    void parkedRowsAreRedrivenAPageAtATimeAndARowRefusedAgainIsNotTakenTwice() {
        byte[] huge = new byte[THREE_MIB];
        Arrays.fill(huge, (byte) 'y');
        List<Long> ids = enqueue("bulk-redrive", List.of(huge, huge, huge));
        long before = ids.get(0) - 1;
        await().atMost(Duration.ofSeconds(30)).until(() -> parkedIds(before, 3).equals(ids));
        try {
            given().post("/outbox/parked/redrive").then().statusCode(401);
            given().auth().oauth2(TestTokens.viewer()).post("/outbox/parked/redrive").then().statusCode(403);
            for (String bad : List.of("topic=no-such-topic", "topic=moratorium-notifications%00", "topic="
                    + "%E2%80%8Bmoratorium-notifications", "limit=0", "limit=501", "after=-1", "upTo=x", "after=1e3")) {
                given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/redrive?" + bad).then().statusCode(400)
                        .body("error", equalTo("invalid-parameter"));
            }
            assertThat(parkedIds(before, 3)).as("nothing redriven by a refused request").isEqualTo(ids);
            // none of them is a dead letter
            given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/redrive?topic=" + Topics.DEAD_LETTER
                    + "&after=" + before + "&upTo=" + ids.get(2)).then().statusCode(200).body("redriven", equalTo(0))
                    .body("next", equalTo(null));
            // without upTo: the rows parked now
            long lastParked = QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery(
                    "SELECT max(id) FROM outbox_parked").getSingleResult()).longValue());
            JsonPath none = given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/redrive?after=" + lastParked)
                    .then().statusCode(200).body("redriven", equalTo(0)).extract().jsonPath();
            assertThat(none.getLong("upTo")).isEqualTo(lastParked);

            // pages of two, up to the last of the three: the first two are queued and refused again
            long upTo = ids.get(2);
            JsonPath first = given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/redrive?topic="
                    + Topics.NOTIFICATIONS + "&after=" + before + "&upTo=" + upTo + "&limit=2").then().statusCode(200)
                    .extract().jsonPath();
            assertThat(first.getInt("redriven")).isEqualTo(2);
            assertThat(first.getInt("currentStates")).isZero();
            assertThat(first.getLong("next")).isEqualTo(ids.get(1));
            // parked again under the new ids they were queued with, past upTo
            await().atMost(Duration.ofSeconds(30)).until(() -> parkedIds(upTo, 10).size() == 2);
            JsonPath second = given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/redrive?topic="
                    + Topics.NOTIFICATIONS + "&after=" + first.getLong("next") + "&upTo=" + upTo + "&limit=2").then()
                    .statusCode(200).extract().jsonPath();
            assertThat(second.getInt("redriven")).as("the third only, not the two parked again").isEqualTo(1);
            assertThat(second.get("next") == null).isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> parkedIds(upTo, 10).size() == 3);
            assertThat(parkedIds(before, 500)).as("each parked once, under its new id")
                    .doesNotContainAnyElementsOf(ids).hasSize(3).allMatch(id -> id > upTo);
        } finally {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("DELETE FROM outbox_parked WHERE id > :before"
                    + " AND id < 1000000000000").setParameter("before", before).executeUpdate());
        }
    }

    private static List<Long> parkedIds(long after, int limit) {
        List<Number> ids = given().get("/outbox/parked?after=" + after + "&limit=" + limit).then().statusCode(200)
                .extract().jsonPath().getList("id");
        return ids.stream().map(Number::longValue).toList();
    }

    /** Outbox rows as a writer makes them: ids taken under the writers' lock, one transaction. */
    private List<Long> enqueue(String key, List<byte[]> payloads) {
        return outbox.enqueue(key, "test.parking", payloads);
    }

    private long outboxRows() {
        return outbox.count();
    }

    private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records, String key) {
        return records.stream().filter(r -> key.equals(TestKafka.text(r.key()))).map(r -> TestKafka.text(r.value()))
                .toList();
    }

    private static double metric(String name) {
        double sum = 0;
        for (String line : given().get("/q/metrics").then().statusCode(200).extract().asString().split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static RawHeader header(String key, String value) {
        return new RawHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
