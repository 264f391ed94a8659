package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moratorium.ingest.PolicyChangeIngestor;
import dev.moratorium.ingest.PolicyChangeReader;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import dev.moratorium.ingest.ReadResult;
import dev.moratorium.ingest.RecordResult;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.Sql;
import dev.moratorium.testing.RecordMutator;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.wire.WireJson;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What a careless or hostile producer sends, through the real broker and database: every kind of
 * record that once stopped ingest for good is rejected with a reason, and a valid record right
 * behind it on the same partition is applied within 10 s, with liveness UP throughout. A record
 * read again is never decided again, and every record the reader accepts can be stored.
 */
@QuarkusTest
@TestProfile(PoisonRecordsTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoisonRecordsTest {

    /** Its own profile: a fresh broker and database for this class. */
    public static class Profile implements QuarkusTestProfile {
    }

    private static final Map<String, String> STRUCTURED = Map.of("content-type", "application/cloudevents+json");
    private static final Duration CANARY = Duration.ofSeconds(10);
    private static final String EMOJI_ID = "a" + "\uD83D\uDE00".repeat(300);

    @Inject
    DataSource dataSource;

    @Inject
    PolicyChangeIngestor ingestor;

    @Inject
    PolicyChangeReader reader;

    /** A poison record: its key, value and headers, and the sentence its rejection must contain. */
    private record Poison(String name, String key, byte[] value, Map<String, String> headers, String sentence) {
    }

    private static Poison structured(String name, String key, String event, String sentence) {
        return new Poison(name, key, event.getBytes(StandardCharsets.UTF_8), STRUCTURED, sentence);
    }

    private static String announcement(String policyId, String vendor) {
        return "{\"policyId\":\"" + policyId + "\",\"vendor\":\"" + vendor + "\",\"product\":\"Vision\","
                + "\"segments\":[\"police\"],\"effectiveFrom\":\"2026-01-01\"}";
    }

    private static List<Poison> poisons() {
        List<Poison> list = new ArrayList<>();
        list.add(structured("id of 600 characters", "p-long-id", Events.event("x".repeat(600), "moratorium.announced",
                announcement("p-long-id", "Acme")), "id is 600 characters long; the limit is 512"));
        // an id the column holds, kept whole: before, cut at 511 UTF-16 units, through a surrogate pair
        list.add(structured("a grant to no policy, its id 301 characters", "p-emoji-id", Events.event(EMOJI_ID,
                "moratorium.exemption-granted", "{\"policyId\":\"p-emoji-id\",\"organization\":\"Thorn\"}"),
                "no policy \"p-emoji-id\" has been announced"));
        list.add(new Poison("NUL in ce_id", "p-nul-id", announcement("p-nul-id", "Acme").getBytes(StandardCharsets.UTF_8),
                Map.of("ce_specversion", "1.0", "ce_id", "nul\u0000id", "ce_type", "moratorium.announced",
                        "ce_source", "urn:test", "content-type", "application/json"), "id \"nul\\u0000id\" contains control"));
        list.add(new Poison("NUL in ce_source", "p-nul-source", announcement("p-nul-source", "Acme")
                .getBytes(StandardCharsets.UTF_8), Map.of("ce_specversion", "1.0", "ce_id", "nul-source",
                "ce_type", "moratorium.announced", "ce_source", "urn:\u0000test", "content-type", "application/json"),
                "source \"urn:\\u0000test\" contains control"));
        list.add(structured("vendor of 150 dotted capital I", "p-fold", Events.event("p-fold", "moratorium.announced",
                announcement("p-fold", "\u0130".repeat(150))), "longer than 200 characters once case-folded"));
        list.add(structured("time in year 300000", "p-time", Events.timedEvent("p-time", "moratorium.announced",
                "+300000-01-01T00:00:00Z", announcement("p-time", "Acme")), "outside the range the service keeps"));
        list.add(structured("effectiveFrom in year 10000", "p-from", Events.event("p-from", "moratorium.announced",
                announcement("p-from", "Acme").replace("2026-01-01", "+10000-01-01T00:00:00Z")),
                "outside the range the service keeps"));
        list.add(structured("JSON nested 40 levels deep", "p-deep", Events.event("p-deep", "moratorium.announced",
                announcement("p-deep", "Acme").replace("}", ",\"x\":" + "[".repeat(40) + "]".repeat(40) + "}")),
                "deeper than 32 levels"));
        list.add(structured("half a UTF-16 character", "p-surrogate", Events.event("p-surrogate", "moratorium.announced",
                announcement("p-surrogate", "Acme").replace("}", ",\"note\":\"\\ud800\"}")), "unpaired UTF-16 surrogate"));
        list.add(structured("vendor of zero-width characters only", "p-zw", Events.event("p-zw", "moratorium.announced",
                announcement("p-zw", "\u200b\u200b")), "has no visible characters"));
        list.add(new Poison("NUL in a header key of a rejected record", "p-header", "{oops".getBytes(StandardCharsets.UTF_8),
                Map.of("content-type", "application/cloudevents+json", "x-\u0000key", "v"), "not valid JSON"));
        return list;
    }

    @Test
    @Order(1)
    void noPoisonStopsIngestAndLivenessStaysUp() {
        List<Poison> poisons = poisons();
        try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer()) {
            int i = 0;
            for (Poison p : poisons) {
                send(producer, p.key(), p.value(), p.headers());
                String canary = "canary-" + i++;
                send(producer, canary, Events.event(canary, "moratorium.announced", announcement(canary, "Acme"))
                        .getBytes(StandardCharsets.UTF_8), STRUCTURED);
                long sent = System.nanoTime();
                await(p.name() + ": the valid record behind it").atMost(CANARY).pollInterval(Duration.ofMillis(100))
                        .untilAsserted(() -> given().get("/moratoria/" + canary).then().statusCode(200));
                System.out.printf("poison %-42s canary applied after %d ms%n", p.name(),
                        (System.nanoTime() - sent) / 1_000_000);
                given().get("/q/health/live").then().statusCode(200);
            }
        }
        JsonPath rejections = given().get("/rejections?limit=500").then().statusCode(200).extract().jsonPath();
        List<String> messages = rejections.getList("message", String.class);
        for (Poison p : poisons) {
            assertThat(messages).as(p.name()).anySatisfy(m -> assertThat(m).contains(p.sentence()));
            given().get("/moratoria/" + p.key()).then().statusCode(404);
        }
        assertThat(rejections.getList("reason", String.class)).hasSize(poisons.size());
        assertThat(rejections.getList("eventId", String.class)).contains(EMOJI_ID);
        List<String> reasons = TestKafka.readUntil("policy-changes-dlq", Duration.ofSeconds(20),
                r -> r.size() >= poisons.size()).stream().map(r -> TestKafka.header(r, "dead-letter-reason")).toList();
        assertThat(reasons).hasSize(poisons.size());
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    @Order(2)
    void aRecordTheStoreRefusesIsRejectedAndTheRestOfItsBatchApplies() throws Exception {
        // A record the reader accepts but the store refuses, as a new limit or a bug would make one:
        // a trigger raises a data exception (SQLState 22023) for one event id.
        execute("CREATE FUNCTION refuse_marked() RETURNS trigger AS $$ BEGIN"
                + " IF NEW.event_id LIKE 'store-refuses%' THEN"
                + " RAISE EXCEPTION 'refused for the test' USING ERRCODE = '22023'; END IF; RETURN NEW; END $$"
                + " LANGUAGE plpgsql");
        execute("CREATE TRIGGER refuse_marked BEFORE INSERT ON policy_event FOR EACH ROW EXECUTE FUNCTION refuse_marked()");
        try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer()) {
            for (String id : List.of("before-refused", "store-refuses-me", "after-refused")) {
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>("policy-changes", 1, bytes(id),
                        bytes(Events.event(id, "moratorium.announced", announcement(id, "Acme"))));
                r.headers().add("content-type", bytes("application/cloudevents+json"));
                producer.send(r); // one flush: very likely one polled batch
            }
            producer.flush();
        }
        await().atMost(CANARY).untilAsserted(() -> given().get("/moratoria/after-refused").then().statusCode(200));
        given().get("/moratoria/before-refused").then().statusCode(200);
        given().get("/moratoria/store-refuses-me").then().statusCode(404);
        await().atMost(CANARY).untilAsserted(() -> assertThat(given().get("/rejections?limit=500").then().extract()
                .jsonPath().getList("findAll { it.eventId == 'store-refuses-me' }.message", String.class))
                .singleElement().asString().contains("the store cannot hold a value of this record")
                .contains("SQLState 22023"));
        given().get("/q/health/live").then().statusCode(200);
        execute("DROP TRIGGER refuse_marked ON policy_event");
    }

    @Test
    @Order(3)
    void namesThatLookEqualMatch() {
        String data = "{\"policyId\":\"fold-1\",\"vendor\":\"\uff21\uff4d\uff41\uff5a\uff4f\uff4e\u200b\","
                + "\"product\":\"  Rekognition  \",\"segments\":[\"Police\"],\"effectiveFrom\":\"2020-06-10\","
                + "\"exemptions\":[{\"organization\":\"THORN\"}]}";
        TestKafka.send("policy-changes", "fold-1", bytes(Events.event("fold-1", "moratorium.announced", data)), STRUCTURED);
        await().atMost(CANARY).untilAsserted(() -> given().get("/moratoria/fold-1").then().statusCode(200));
        await().atMost(CANARY).untilAsserted(() -> given()
                .get("/access?vendor=amazon&product=rekognition&segment=police&at=2021-01-01").then()
                .body("allowed", equalTo(false)).body("policyId", equalTo("fold-1")));
        given().get("/access?vendor=AMAZON&product=Rekognition&segment=police&organization=thorn&at=2021-01-01")
                .then().body("allowed", equalTo(true));
        given().get("/moratoria?vendor=amazon").then().statusCode(200).body("items.policyId", equalTo(List.of("fold-1")));

        // the capital sharp s and a final sigma fold as Unicode folds them, and a variation selector
        // and a Hangul filler are no part of a name, in the index and in the keys the list filter
        // reads from the database
        String folding = "{\"policyId\":\"fold-2\",\"vendor\":\"STRA\u1e9eE\ufe0f\",\"product\":\"\u039f\u0394\u039f\u03a3\u3164\","
                + "\"segments\":[\"Police\"],\"effectiveFrom\":\"2020-06-10\"}";
        TestKafka.send("policy-changes", "fold-2", bytes(Events.event("fold-2", "moratorium.announced", folding)), STRUCTURED);
        await().atMost(CANARY).untilAsserted(() -> given().queryParam("vendor", "Stra\u00dfe")
                .queryParam("product", "\u03bf\u03b4\u03bf\u03c3").queryParam("segment", "police").get("/access").then()
                .body("allowed", equalTo(false)).body("policyId", equalTo("fold-2")));
        given().queryParam("vendor", "strasse").queryParam("product", "\u03bf\u03b4\u03bf\u03c2").get("/moratoria").then()
                .statusCode(200).body("items.policyId", equalTo(List.of("fold-2")));
    }

    /**
     * Names and ids at their limits in characters outside the BMP (two UTF-16 units each): the
     * columns hold them, and a gateway asks for them by the same names. Counted in UTF-16 units,
     * the reader refused a vendor of 101 emoji and /access a parameter of 101.
     */
    @Test
    @Order(3)
    void namesOfTwoHundredEmojiAreStoredAndAskedFor() {
        String emoji = "\uD83D\uDE00";
        String vendor = emoji.repeat(200);
        String organization = "\uD840\uDC00".repeat(200); // CJK Extension B, folds to itself
        String data = "{\"policyId\":\"astral-1\",\"vendor\":\"" + vendor + "\",\"product\":\"Vision\","
                + "\"segments\":[\"" + emoji.repeat(200) + "\"],\"effectiveFrom\":\"2020-06-10\","
                + "\"exemptions\":[{\"organization\":\"" + organization + "\"}]}";
        String id = emoji.repeat(512);
        TestKafka.send("policy-changes", "astral-1", bytes(Events.event(id, "moratorium.announced", data)), STRUCTURED);
        await().atMost(CANARY).untilAsserted(() -> given().get("/moratoria/astral-1").then().statusCode(200)
                .body("vendor", equalTo(vendor)).body("exemptions[0].organization", equalTo(organization)));
        given().get("/moratoria/astral-1/history").then().statusCode(200).body("[0].id", equalTo(id));
        await().atMost(CANARY).untilAsserted(() -> given().queryParam("vendor", vendor).queryParam("product", "vision")
                .queryParam("segment", emoji.repeat(200)).queryParam("at", "2021-01-01").get("/access").then()
                .statusCode(200).body("allowed", equalTo(false)).body("policyId", equalTo("astral-1")));
        given().queryParam("vendor", vendor).queryParam("product", "vision").queryParam("segment", emoji.repeat(200))
                .queryParam("organization", organization).queryParam("at", "2021-01-01").get("/access").then()
                .statusCode(200).body("allowed", equalTo(true));
        given().queryParam("vendor", vendor + emoji).queryParam("product", "vision").queryParam("segment", "police")
                .get("/access").then().statusCode(400).body("error", equalTo("invalid-parameter"));
    }

    @Test
    @Order(4)
    void theEdgesOfTheCalendarAreKeptExactly() {
        String data = "{\"policyId\":\"edges\",\"vendor\":\"Acme\",\"product\":\"Edge\",\"segments\":[\"police\"],"
                + "\"effectiveFrom\":\"0001-01-01\",\"effectiveUntil\":\"9999-12-31T23:59:59Z\"}";
        TestKafka.send("policy-changes", "edges", bytes(Events.event("edges", "moratorium.announced", data)), STRUCTURED);
        await().atMost(CANARY).untilAsserted(() -> given().get("/moratoria/edges").then().statusCode(200)
                .body("effectiveFrom", equalTo("0001-01-01T00:00:00Z"))
                .body("effectiveUntil", equalTo("9999-12-31T23:59:59Z")));
    }

    /**
     * Producers compress their batches as they choose: each of Kafka's codecs is read (zstd and
     * snappy through native libraries the client unpacks at run time, which the pod's read-only root
     * leaves /tmp for). A codec the consumer could not read would fail every poll of its partition.
     */
    @Test
    @Order(4)
    void batchesCompressedByEveryCodecApply() {
        for (String codec : List.of("gzip", "snappy", "lz4", "zstd")) {
            String id = "codec-" + codec;
            try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer(TestKafka.bootstrapServers(),
                    Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec))) {
                TestKafka.send(producer, "policy-changes", id, bytes(Events.announce(id + "-announced", id,
                        "2020-06-10", null)), STRUCTURED);
            }
        }
        await().atMost(CANARY).untilAsserted(() -> {
            for (String codec : List.of("gzip", "snappy", "lz4", "zstd")) {
                given().get("/moratoria/codec-" + codec).then().statusCode(200);
            }
        });
    }

    /**
     * A producer that writes policy changes in Kafka transactions: what it aborts is never applied,
     * what it commits is (the consumer's default, read_uncommitted, applied an aborted announcement
     * for good). A transaction still open holds back the records after it on its partition until
     * it ends. All on one partition, so the canary read after the abort proves it was passed over.
     */
    @Test
    @Order(4)
    void onlyWhatATransactionalProducerCommitsApplies() throws Exception {
        try (KafkaProducer<byte[], byte[]> transactional = TestKafka.producer(TestKafka.bootstrapServers(),
                Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "poison-records-tx"));
                KafkaProducer<byte[], byte[]> plain = TestKafka.producer()) {
            transactional.initTransactions();
            transactional.beginTransaction();
            transactional.send(onPartitionZero("tx-aborted")).get(30, TimeUnit.SECONDS);
            transactional.abortTransaction();
            transactional.beginTransaction();
            transactional.send(onPartitionZero("tx-committed")).get(30, TimeUnit.SECONDS);
            transactional.commitTransaction();
            plain.send(onPartitionZero("tx-canary")).get(30, TimeUnit.SECONDS);
            await().atMost(CANARY).untilAsserted(() -> given().get("/moratoria/tx-canary").then().statusCode(200));
            given().get("/moratoria/tx-committed").then().statusCode(200);
            given().get("/moratoria/tx-aborted").then().statusCode(404);

            transactional.beginTransaction();
            transactional.send(onPartitionZero("tx-open")).get(30, TimeUnit.SECONDS);
            plain.send(onPartitionZero("tx-behind")).get(30, TimeUnit.SECONDS);
            Thread.sleep(3_000); // a dozen polls
            given().get("/moratoria/tx-open").then().statusCode(404);
            given().get("/moratoria/tx-behind").then().statusCode(404);
            transactional.commitTransaction();
            await().atMost(CANARY).untilAsserted(() -> {
                given().get("/moratoria/tx-open").then().statusCode(200);
                given().get("/moratoria/tx-behind").then().statusCode(200);
            });
        }
    }

    private static ProducerRecord<byte[], byte[]> onPartitionZero(String id) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>("policy-changes", 0,
                id.getBytes(StandardCharsets.UTF_8), bytes(Events.announce(id + "-announced", id, "2020-06-10", null)));
        record.headers().add("content-type", "application/cloudevents+json".getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /**
     * A producer's own fields in data are kept as received, through the broker, the store and the
     * history's answer: read as doubles, 0.1000000000000000055511151231257827 came back as 0.1,
     * 1e-400 as 0.0 and 1e400 as the string "Infinity". A number no decimal holds is the record's
     * rejection with a sentence, and the record after it applies.
     */
    @Test
    @Order(4)
    void numbersInDataAreKeptExactly() throws Exception {
        String data = "{\"policyId\":\"numbers\",\"vendor\":\"Acme\",\"product\":\"Numbers\",\"segments\":[\"police\"],"
                + "\"effectiveFrom\":\"2020-06-10\",\"ticket\":{\"precise\":0.1000000000000000055511151231257827,"
                + "\"huge\":1e400,\"tiny\":-1e-400,\"wide\":123456789012345678901234567890,\"scaled\":1.50}}";
        String unheld = data.replace("\"numbers\"", "\"numbers-2\"").replace("1e400", "1e9999999999");
        TestKafka.send("policy-changes", "numbers-2", bytes(Events.event("numbers-2", "moratorium.announced", unheld)),
                STRUCTURED);
        TestKafka.send("policy-changes", "numbers", bytes(Events.event("numbers", "moratorium.announced", data)), STRUCTURED);

        await().atMost(CANARY).untilAsserted(() -> assertThat(given().get("/moratoria/numbers/history").then()
                .statusCode(200).extract().asString()).contains("\"ticket\":{\"precise\":0.1000000000000000055511151231257827,"
                        + "\"huge\":1E+400,\"tiny\":-1E-400,\"wide\":123456789012345678901234567890,\"scaled\":1.50}"));
        await().atMost(CANARY).untilAsserted(() -> assertThat(count("select count(*) from rejection where reason_message"
                + " = 'the record value holds a number whose exponent is out of range'")).isEqualTo(1));
        given().get("/moratoria/numbers-2").then().statusCode(404);
    }

    /**
     * Two binary-mode events whose ids differ only in bytes that are not UTF-8, for two policies.
     * Read with U+FFFD in place of those bytes, both ids were "bytes-" + U+FFFD: the second was
     * taken for a duplicate of the first and dropped without a word. Each is now rejected with a
     * sentence and dead-lettered, and an id outside ASCII that is UTF-8 applies as before.
     */
    @Test
    @Order(4)
    void binaryIdsThatAreNotUtf8AreRejectedNotTakenForDuplicates() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer()) {
            Map<String, byte[]> ids = new LinkedHashMap<>();
            ids.put("bytes-ff", new byte[] {'b', 'y', 't', 'e', 's', '-', (byte) 0xFF});
            ids.put("bytes-fe", new byte[] {'b', 'y', 't', 'e', 's', '-', (byte) 0xFE});
            ids.put("bytes-utf8", "bytes-\u00e9\ud83d\udd14".getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, byte[]> id : ids.entrySet()) {
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>("policy-changes", null,
                        id.getKey().getBytes(StandardCharsets.UTF_8), announcement(id.getKey(), "Acme")
                        .getBytes(StandardCharsets.UTF_8));
                record.headers().add("ce_specversion", bytes("1.0")).add("ce_id", id.getValue())
                        .add("ce_type", bytes("moratorium.announced")).add("ce_source", bytes("urn:test"))
                        .add("content-type", bytes("application/json"));
                producer.send(record).get();
            }
        }
        await().atMost(CANARY).untilAsserted(() -> given().get("/moratoria/bytes-utf8").then().statusCode(200));
        await().atMost(CANARY).untilAsserted(() -> assertThat(count("select count(*) from rejection"
                + " where reason_message = 'the header ce_id is not UTF-8 text'")).isEqualTo(2));
        given().get("/moratoria/bytes-ff").then().statusCode(404);
        given().get("/moratoria/bytes-fe").then().statusCode(404);
        given().get("/moratoria/bytes-utf8/history").then().statusCode(200)
                .body("[0].id", equalTo("bytes-\u00e9\ud83d\udd14"));
    }

    /**
     * PostgreSQL keeps microseconds. An instant finer than that was rounded by the store but
     * published whole, so state, notifications and history disagreed, and an interval shorter than a
     * microsecond passed the interval rule and was stored empty. Every instant is now cut to the
     * microsecond where it is read: from the record, and from the service clock (a record without
     * a time).
     */
    @Test
    @Order(4)
    void instantsFinerThanAMicrosecondAreCutTheSameWayEverywhere() throws Exception {
        // also RFC 3339 that java.time's formatter refuses: an offset of -23:59, a leap second
        String data = "{\"policyId\":\"micro\",\"vendor\":\"Acme\",\"product\":\"Micro\",\"segments\":[\"police\"],"
                + "\"effectiveFrom\":\"2030-01-01T00:00:00.9999996Z\","
                + "\"effectiveUntil\":\"2031-01-01T05:29:60.0000009+05:30\"}";
        TestKafka.sendStructured("micro", Events.timedEvent("micro-announced", "moratorium.announced",
                "2020-06-10T00:00:00.0000001-23:59", data));
        await().atMost(CANARY).untilAsserted(() -> given().get("/moratoria/micro").then().statusCode(200)
                .body("effectiveFrom", equalTo("2030-01-01T00:00:00.999999Z"))
                .body("effectiveUntil", equalTo("2030-12-31T23:59:59Z")));
        given().get("/moratoria/micro/history").then().body("[0].time", equalTo("2020-06-10T23:59:00Z"));
        JsonNode suspended = latestFor("moratorium-notifications", "micro", 1);
        assertThat(suspended.get("effectiveFrom").asText()).isEqualTo("2030-01-01T00:00:00.999999Z");
        assertThat(suspended.get("effectiveUntil").asText()).isEqualTo("2030-12-31T23:59:59Z");
        assertThat(suspended.get("occurredAt").asText()).isEqualTo("2020-06-10T23:59:00Z");
        assertThat(latestFor("moratorium-state", "micro", 1).get("effectiveFrom").asText())
                .isEqualTo("2030-01-01T00:00:00.999999Z");
        // an instant asked about is cut the same way, so the boundary falls where the state says
        String access = "/access?vendor=Acme&product=Micro&segment=police&at=";
        await().atMost(CANARY).untilAsserted(() -> given().get(access + "2030-01-01T00:00:00.9999999Z").then()
                .body("allowed", equalTo(false)));
        given().get(access + "2030-01-01T00:00:00.9999989Z").then().body("allowed", equalTo(true));

        // an interval that a microsecond cannot hold is refused by the interval rule, not stored empty
        TestKafka.sendStructured("micro-empty", Events.announce("micro-empty", "micro-empty",
                "2030-01-01T00:00:00.000000001Z", "2030-01-01T00:00:00.000000002Z"));
        await().atMost(CANARY).untilAsserted(() -> assertThat(given().get("/rejections?limit=500").then().extract()
                .jsonPath().getList("findAll { it.eventId == 'micro-empty' }.reason", String.class))
                .containsExactly("invalid-interval"));
        given().get("/moratoria/micro-empty").then().statusCode(404);

        // without a time the event's time is when it was read (the service clock), the lift's instant too
        TestKafka.sendStructured("micro", Events.event("micro-lifted", "moratorium.lifted", "{\"policyId\":\"micro\"}"));
        await().atMost(CANARY).untilAsserted(() -> given().get("/moratoria/micro").then().body("status", equalTo("LIFTED")));
        String liftedAt = given().get("/moratoria/micro/history").then().extract().jsonPath().getString("[1].time");
        JsonNode lifted = latestFor("moratorium-notifications", "micro", 2);
        assertThat(lifted.get("causedBy").asText()).isEqualTo("micro-lifted");
        assertThat(Instant.parse(lifted.get("occurredAt").asText())).as("published as stored")
                .isEqualTo(Instant.parse(liftedAt));
        assertThat(Instant.parse(liftedAt).getNano() % 1_000).isZero();
    }

    /** The newest of the first {@code count} records with this key on the topic, as JSON. */
    private static JsonNode latestFor(String topic, String key, int count) {
        List<ConsumerRecord<byte[], byte[]>> records = TestKafka.readUntil(topic, Duration.ofSeconds(20), r -> r.stream()
                .filter(c -> key.equals(TestKafka.text(c.key()))).count() >= count).stream()
                .filter(c -> key.equals(TestKafka.text(c.key()))).toList();
        assertThat(records).hasSizeGreaterThanOrEqualTo(count);
        return WireJson.parse(TestKafka.text(records.get(count - 1).value()));
    }

    @Test
    @Order(5)
    void aRedeliveredRejectionIsNeverDecidedAgain() throws Exception {
        // Partition 77 is not one the consumer reads: this test alone drives these offsets.
        RawRecord grant = raw(77, 10, "redelivered-x", Events.event("redelivered-grant", "moratorium.exemption-granted",
                "{\"policyId\":\"redelivered-x\",\"organization\":\"Thorn\"}"));
        RawRecord announce = raw(77, 11, "redelivered-x", Events.announce("redelivered-announced", "redelivered-x",
                "2026-01-01", "2030-01-01"));
        List<RecordResult> first = ingestor.ingest(List.of(grant, announce));
        assertThat(first.get(0)).isInstanceOf(RecordResult.Rejected.class);
        assertThat(first.get(1)).isInstanceOf(RecordResult.Applied.class);
        long notifications = count("select count(*) from notification where policy_id = 'redelivered-x'");
        long rejections = count("select count(*) from rejection");

        for (int redelivery = 0; redelivery < 3; redelivery++) {
            List<RecordResult> again = ingestor.ingest(List.of(grant, announce));
            assertThat(again.get(0)).isInstanceOf(RecordResult.AlreadyRejected.class);
            assertThat(again.get(1)).isInstanceOf(RecordResult.Duplicate.class);
        }
        given().get("/moratoria/redelivered-x").then().statusCode(200).body("exemptions", equalTo(List.of()));
        assertThat(count("select count(*) from notification where policy_id = 'redelivered-x'")).isEqualTo(notifications);
        assertThat(count("select count(*) from rejection")).isEqualTo(rejections);
        assertThat(count("select count(*) from rejection where kafka_partition = 77 and status = 'OPEN'")).isEqualTo(1);
    }

    @Test
    @Order(5)
    void eventIdsThatAnArrayLiteralCouldMisreadAreRecognisedWhenRedelivered() throws Exception {
        // The already-applied check sends the batch's ids as one text[] parameter: an id that spells
        // NULL, quotes, backslashes, braces or commas must come back as itself, and one of the
        // column's full 512 characters must match. Partition 78 is not one the consumer reads.
        List<String> jsonIds = List.of("NULL", "null", "a\\\"b\\\\c", "{x,y}", "a,b", "a b", "x".repeat(512));
        List<RawRecord> records = new ArrayList<>();
        for (int i = 0; i < jsonIds.size(); i++) {
            records.add(raw(78, i, "array-" + i, Events.announce(jsonIds.get(i), "array-" + i, "2026-01-01", "2030-01-01")));
        }
        List<RecordResult> first = ingestor.ingest(records);
        assertThat(first).as("all applied the first time").allMatch(r -> r instanceof RecordResult.Applied);
        long history = count("select count(*) from policy_event where policy_id like 'array-%'");
        long notifications = count("select count(*) from notification where policy_id like 'array-%'");
        assertThat(count("select count(*) from policy_event where event_id in ('NULL', 'null', 'a\"b\\c', '{x,y}', 'a,b', 'a b')"))
                .as("the ids stored as sent").isEqualTo(6);

        for (int redelivery = 0; redelivery < 2; redelivery++) {
            List<RecordResult> again = ingestor.ingest(records);
            assertThat(again).as("each recognised as applied").allMatch(r -> r instanceof RecordResult.Duplicate);
        }
        assertThat(count("select count(*) from policy_event where policy_id like 'array-%'")).isEqualTo(history);
        assertThat(count("select count(*) from notification where policy_id like 'array-%'")).isEqualTo(notifications);
    }

    @Test
    @Order(6)
    void everyRecordTheReaderAcceptsCanBeStored() {
        List<RawRecord> records = new ArrayList<>();
        int offset = 0;
        for (RecordMutator.Mutant m : new RecordMutator(11).generate(3_000, "storable")) {
            List<RawHeader> headers = new ArrayList<>();
            m.headers().forEach((k, v) -> headers.add(new RawHeader(k, bytes(v))));
            records.add(new RawRecord("policy-changes", 78, offset++, m.key() == null ? null : bytes(m.key()), m.value(),
                    headers, Instant.now()));
        }
        for (Poison p : poisons()) {
            records.add(raw(78, offset++, p.key(), p.value(), p.headers()));
        }
        int accepted = 0;
        for (RawRecord r : records) {
            if (reader.read(r) instanceof ReadResult.Read) {
                accepted++;
                // one record per unit of work: a refusal by the store would throw here
                assertThat(ingestor.ingest(List.of(r))).hasSize(1);
            }
        }
        System.out.printf("storable: %d records read, %d accepted by the reader, all stored%n", records.size(), accepted);
        assertThat(accepted).isGreaterThan(100);
    }

    @Test
    @Order(7)
    void aPolicyWhoseTimeDrivenChangeTheStoreRefusesDoesNotHoldBackTheOthers() throws Exception {
        // Two moratoria end a few seconds from now; the store refuses the one's end (a trigger raising
        // a data exception), so the scheduler must set it aside and still end the other.
        execute("CREATE FUNCTION refuse_expiry() RETURNS trigger AS $$ BEGIN"
                + " IF NEW.policy_id = 'stuck-expiry' AND NEW.status = 'EXPIRED' THEN"
                + " RAISE EXCEPTION 'refused for the test' USING ERRCODE = '22023'; END IF; RETURN NEW; END $$"
                + " LANGUAGE plpgsql");
        execute("CREATE TRIGGER refuse_expiry BEFORE UPDATE ON policy FOR EACH ROW EXECUTE FUNCTION refuse_expiry()");
        String until = Instant.now().plusSeconds(4).toString();
        for (String id : List.of("stuck-expiry", "free-expiry")) {
            TestKafka.sendStructured(id, Events.announce(id + "-announced", id, "2020-01-01", until));
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                given().get("/moratoria/free-expiry").then().body("status", equalTo("EXPIRED")));
        given().get("/moratoria/stuck-expiry").then().body("status", equalTo("ACTIVE"));
        assertThat(count("SELECT count(*) FROM policy WHERE policy_id = 'stuck-expiry'"
                + " AND next_due_at > now() + interval '30 seconds'")).as("set aside for a while").isEqualTo(1);
        assertThat(given().get("/q/metrics").then().extract().asString())
                .containsPattern("moratorium_time_driven_set_aside_total(\\{[^}]*\\})? [1-9]");
        execute("DROP TRIGGER refuse_expiry ON policy");
    }

    /**
     * Exemptions with the longest organizations and purposes, in a three-byte script: the 64 that
     * fit are applied and their state record (all of them, some 760 KiB) is published, not set aside; the
     * 65th is rejected with the limit named, and after a revocation it is applied.
     */
    @Test
    @Order(8)
    void grantsStopAtWhatTheStateRecordHoldsAndItIsStillPublished() throws Exception {
        String id = "full-exemptions";
        TestKafka.sendStructured(id, Events.announce(id + "-announced", id, "2020-01-01", null));
        String purpose = "理".repeat(4_000);
        for (int i = 1; i <= 65; i++) {
            TestKafka.sendStructured(id, Events.event(id + "-" + i, "moratorium.exemption-granted",
                    "{\"policyId\":\"" + id + "\",\"organization\":\"" + organization(i) + "\",\"purpose\":\"" + purpose + "\"}"));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT count(*) FROM rejection"
                + " WHERE event_id = '" + id + "-65'") == 1);
        given().get("/moratoria/" + id).then().body("exemptions.size()", equalTo(64));
        long rejection = count("SELECT id FROM rejection WHERE event_id = '" + id + "-65'");
        given().get("/rejections?status=OPEN&after=" + (rejection - 1) + "&limit=1").then()
                .body("[0].eventId", equalTo(id + "-65"))
                .body("[0].reason", equalTo("invalid-field"))
                .body("[0].message", equalTo("data.organization \"" + organization(65) + "\" would make the exemptions"
                        + " in force on policy \"" + id + "\" carry 266240 UTF-16 units of organization and purpose;"
                        + " at most 262144 fit the policy's state record"));

        List<ConsumerRecord<byte[], byte[]>> states = TestKafka.readUntil("moratorium-state", Duration.ofSeconds(30),
                records -> records.stream().anyMatch(r -> id.equals(new String(r.key(), StandardCharsets.UTF_8))
                        && WireJson.parse(new String(r.value(), StandardCharsets.UTF_8)).path("exemptions").size() == 64));
        ConsumerRecord<byte[], byte[]> full = states.stream()
                .filter(r -> id.equals(new String(r.key(), StandardCharsets.UTF_8))).reduce((a, b) -> b).orElseThrow();
        assertThat(WireJson.parse(new String(full.value(), StandardCharsets.UTF_8)).path("exemptions").size()).isEqualTo(64);
        assertThat(full.value().length).as("the largest state record the limit allows")
                .isBetween(700 * 1024, dev.moratorium.wire.Topics.OUTPUT_MAX_BYTES);
        given().get("/outbox/parked").then().body("size()", equalTo(0));

        TestKafka.sendStructured(id, Events.event(id + "-revoke", "moratorium.exemption-revoked",
                "{\"policyId\":\"" + id + "\",\"organization\":\"" + organization(1) + "\"}"));
        TestKafka.sendStructured(id, Events.event(id + "-65-again", "moratorium.exemption-granted",
                "{\"policyId\":\"" + id + "\",\"organization\":\"" + organization(65) + "\",\"purpose\":\"" + purpose + "\"}"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().get("/moratoria/" + id).then()
                .body("exemptions.organization", org.hamcrest.Matchers.hasItem(organization(65)))
                .body("exemptions.organization", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem(organization(1)))));
    }

    /** 96 characters: with a 4,000-character purpose, 64 of them fill the 262,144 characters exactly. */
    private static String organization(int i) {
        String name = "Org " + i + " ";
        return name + "a".repeat(96 - name.length());
    }

    private static RawRecord raw(int partition, long offset, String key, String structuredEvent) {
        return raw(partition, offset, key, bytes(structuredEvent), STRUCTURED);
    }

    private static RawRecord raw(int partition, long offset, String key, byte[] value, Map<String, String> headers) {
        List<RawHeader> list = new ArrayList<>();
        new LinkedHashMap<>(headers).forEach((k, v) -> list.add(new RawHeader(k, bytes(v))));
        return new RawRecord("policy-changes", partition, offset, bytes(key), value, list, Instant.now());
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String key, byte[] value, Map<String, String> headers) {
        // partition 0 for all: the valid record waits behind the poison if anything does
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>("policy-changes", 0, bytes(key), value);
        headers.forEach((k, v) -> r.headers().add(k, bytes(v)));
        try {
            producer.send(r).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void execute(String sql) throws Exception {
        Sql.execute(dataSource, sql);
    }

    private long count(String sql) throws Exception {
        return Sql.count(dataSource, sql);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
