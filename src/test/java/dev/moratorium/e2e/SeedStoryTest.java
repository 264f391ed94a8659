package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moratorium.policy.NotificationIds;
import dev.moratorium.policy.NotificationType;
import dev.moratorium.testing.SeedStory;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.wire.WireJson;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The seed story end to end, on the real clock (2026): produced with a plain Kafka producer,
 * through the real broker and PostgreSQL, out as notifications, state records and HTTP answers.
 * The 2020 announcement read in 2026 yields access.suspended and then access.restored.
 */
@QuarkusTest
@TestProfile(SeedStoryTest.Profile.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SeedStoryTest {

    /** Its own profile: a fresh broker and database for this class. */
    public static class Profile implements QuarkusTestProfile {
    }

    private List<ConsumerRecord<byte[], byte[]>> notifications;

    @BeforeAll
    void produceSeedStory() {
        SeedStory.produce();
        notifications = TestKafka.readUntil("moratorium-notifications", Duration.ofSeconds(30), r -> r.size() >= 3);
    }

    @Test
    @Order(1)
    void notificationsCarryTheContractsTextsIdsAndOrder() {
        assertThat(notifications).hasSize(3);
        List<ConsumerRecord<byte[], byte[]>> amazon = notifications.stream()
                .filter(r -> SeedStory.AMAZON.equals(TestKafka.text(r.key()))).toList();
        List<ConsumerRecord<byte[], byte[]>> ibm = notifications.stream()
                .filter(r -> SeedStory.IBM.equals(TestKafka.text(r.key()))).toList();

        assertThat(ibm).hasSize(1);
        JsonNode withdrawn = WireJson.parse(TestKafka.text(ibm.get(0).value()));
        assertThat(withdrawn.get("type").asText()).isEqualTo("access.withdrawn");
        assertThat(withdrawn.get("message").asText())
                .isEqualTo("IBM general-purpose face recognition withdrawn for all customers from 2020-06-08.");
        assertThat(withdrawn.get("status").asText()).isEqualTo("WITHDRAWN");
        assertThat(withdrawn.get("segments").get(0).asText()).isEqualTo("*");

        assertThat(amazon).hasSize(2);
        JsonNode suspended = WireJson.parse(TestKafka.text(amazon.get(0).value()));
        JsonNode restored = WireJson.parse(TestKafka.text(amazon.get(1).value()));
        assertThat(suspended.get("type").asText()).isEqualTo("access.suspended");
        assertThat(suspended.get("message").asText()).isEqualTo("Police access to Amazon Rekognition suspended from"
                + " 2020-06-10 until 2021-06-10 (exempt: Thorn, Marinus Analytics).");
        assertThat(suspended.get("causedBy").asText()).isEqualTo("seed-amazon-2020-06-10");
        assertThat(suspended.get("notificationId").asText()).isEqualTo(
                NotificationIds.causedByEvent("seed-amazon-2020-06-10", NotificationType.ACCESS_SUSPENDED));
        assertThat(restored.get("type").asText()).isEqualTo("access.restored");
        assertThat(restored.get("message").asText())
                .isEqualTo("Police access to Amazon Rekognition restored on 2021-06-10: the moratorium ended.");
        assertThat(restored.get("causedBy").asText()).isEqualTo("clock");
        assertThat(restored.get("status").asText()).isEqualTo("EXPIRED");
        assertThat(restored.get("occurredAt").asText()).isEqualTo("2021-06-10T00:00:00Z");
        assertThat(restored.get("exemptions")).hasSize(2);

        for (ConsumerRecord<byte[], byte[]> r : notifications) {
            JsonNode data = WireJson.parse(TestKafka.text(r.value()));
            assertThat(TestKafka.header(r, "ce_id")).isEqualTo(data.get("notificationId").asText());
            assertThat(TestKafka.header(r, "ce_type")).isEqualTo(data.get("type").asText());
            assertThat(TestKafka.header(r, "ce_specversion")).isEqualTo("1.0");
            assertThat(TestKafka.header(r, "ce_source")).isNotBlank();
            assertThat(TestKafka.header(r, "content-type")).isEqualTo("application/json");
        }
    }

    @Test
    @Order(2)
    void theStateTopicHoldsEachPolicysWholeCurrentState() {
        var states = TestKafka.readUntil("moratorium-state", Duration.ofSeconds(20), r -> r.stream()
                .anyMatch(x -> TestKafka.text(x.value()).contains("\"EXPIRED\"")));
        JsonNode amazon = lastState(states, SeedStory.AMAZON);
        assertThat(amazon.get("status").asText()).isEqualTo("EXPIRED");
        assertThat(amazon.get("effectiveFrom").asText()).isEqualTo("2020-06-10T00:00:00Z");
        assertThat(amazon.get("effectiveUntil").asText()).isEqualTo("2021-06-10T00:00:00Z");
        assertThat(amazon.get("vendor").asText()).isEqualTo("Amazon");
        assertThat(amazon.has("message")).isFalse();
        assertThat(lastState(states, SeedStory.IBM).get("status").asText()).isEqualTo("WITHDRAWN");

        // Contract v2 (§5): state records are CloudEvents in binary mode, ce_id unique per change.
        assertThat(states).hasSizeGreaterThanOrEqualTo(3); // IBM withdrawn; Amazon ACTIVE, then EXPIRED
        Set<String> ids = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : states) {
            String policyId = TestKafka.text(r.key());
            assertThat(TestKafka.header(r, "ce_specversion")).isEqualTo("1.0");
            assertThat(TestKafka.header(r, "ce_type")).isEqualTo("moratorium.state");
            assertThat(TestKafka.header(r, "ce_source")).isEqualTo("urn:moratorium-service");
            assertThat(TestKafka.header(r, "ce_subject")).isEqualTo(policyId)
                    .isEqualTo(WireJson.parse(TestKafka.text(r.value())).get("policyId").asText());
            assertThat(Instant.parse(TestKafka.header(r, "ce_time"))).isNotNull();
            assertThat(TestKafka.header(r, "content-type")).isEqualTo("application/json");
            assertThat(UUID.fromString(TestKafka.header(r, "ce_id")).version()).isEqualTo(3); // name-based
            assertThat(ids.add(TestKafka.header(r, "ce_id"))).as("ce_id unique per state change").isTrue();
            if (SeedStory.IBM.equals(policyId)) {
                // Deterministic: the same in every run, and the id of asyncapi.yaml's example.
                assertThat(TestKafka.header(r, "ce_id")).isEqualTo("5aaeb2d7-a3a8-3909-a46f-928bd904fc40");
            }
        }
    }

    @Test
    @Order(3)
    void accessDecisionsHonourIntervalsExemptionsAndCase() {
        String amazon = "/access?vendor=amazon&product=REKOGNITION&segment=Police";
        given().get(amazon).then().statusCode(200).body("allowed", equalTo(true));
        given().get(amazon + "&at=2020-06-11").then().statusCode(200)
                .body("allowed", equalTo(false))
                .body("policyId", equalTo(SeedStory.AMAZON))
                .body("until", equalTo("2021-06-10T00:00:00Z"));
        given().get(amazon + "&at=2020-06-11&organization=thorn").then()
                .body("allowed", equalTo(true)).body("policyId", equalTo(SeedStory.AMAZON));
        given().get(amazon + "&at=2020-06-11&organization=Acme").then().body("allowed", equalTo(false));
        given().get("/access?vendor=Amazon&product=Rekognition&segment=retail&at=2020-06-11").then()
                .body("allowed", equalTo(true)).body("policyId", nullValue());
        given().get(amazon + "&at=2020-06-09T23:59:59Z").then()
                .body("allowed", equalTo(true)).body("until", equalTo("2020-06-10T00:00:00Z"));
        given().get(amazon + "&at=2021-06-10").then().body("allowed", equalTo(true));
        given().get("/access?vendor=ibm&product=General-Purpose Face Recognition&segment=police").then()
                .body("allowed", equalTo(false)).body("policyId", equalTo(SeedStory.IBM));
        given().get("/access?vendor=ibm&product=general-purpose face recognition&segment=x&at=2020-06-07").then()
                .body("allowed", equalTo(true));
        // the whole answer, byte for byte: JSON, the four fields of the contract in its order
        given().get(amazon + "&at=2020-06-11").then().statusCode(200).contentType(ContentType.JSON)
                .body(equalTo("{\"allowed\":false,\"policyId\":\"" + SeedStory.AMAZON + "\",\"reason\":\"Police access to"
                        + " Amazon Rekognition is suspended from 2020-06-10 until 2021-06-10 (" + SeedStory.AMAZON
                        + ")\",\"until\":\"2021-06-10T00:00:00Z\"}"));
        given().get("/access?vendor=Amazon&product=Rekognition&segment=retail").then().statusCode(200)
                .contentType(ContentType.JSON)
                .body(equalTo("{\"allowed\":true,\"policyId\":null,\"reason\":\"no restriction applies\",\"until\":null}"));
    }

    @Test
    @Order(4)
    void policiesAndHistoryOverHttp() {
        given().get("/moratoria").then().statusCode(200)
                .body("items", hasSize(2)).body("total", equalTo(2));
        given().get("/moratoria?status=EXPIRED&segment=police").then()
                .body("items", hasSize(1)).body("items[0].policyId", equalTo(SeedStory.AMAZON));
        given().get("/moratoria/" + SeedStory.AMAZON).then().statusCode(200)
                .body("status", equalTo("EXPIRED"))
                .body("exemptions[0].organization", equalTo("Thorn"))
                .body("jurisdiction", nullValue())
                .body("reason", equalTo("A one-year moratorium gives Congress time to put in place rules for the"
                        + " ethical use of face recognition."));
        given().get("/moratoria/" + SeedStory.AMAZON + "/history").then().statusCode(200)
                .body("", hasSize(1))
                .body("[0].id", equalTo("seed-amazon-2020-06-10"))
                .body("[0].type", equalTo("moratorium.announced"))
                .body("[0].time", equalTo("2020-06-10T22:00:00Z"))
                .body("[0].data.vendor", equalTo("Amazon"));
        given().get("/moratoria/acme-nothing").then().statusCode(404)
                .body("error", equalTo("unknown-policy"))
                .body("message", equalTo("no policy \"acme-nothing\" has been announced"));
        given().get("/moratoria?status=SLEEPING").then().statusCode(400).body("error", equalTo("invalid-parameter"));
        given().get("/access?vendor=amazon").then().statusCode(400).body("error", equalTo("missing-parameter"));
        given().get("/access?vendor=a&product=b&segment=c&at=yesterday").then().statusCode(400)
                .body("error", equalTo("invalid-parameter"));
    }

    @Test
    @Order(5)
    void notificationsOverHttpNewestLast() {
        given().get("/notifications").then().statusCode(200)
                .body("", hasSize(3))
                .body("[2].sequence", equalTo(3));
        given().get("/notifications?after=2").then().body("", hasSize(1));
    }

    @Test
    @Order(6)
    void aDuplicateEventIdChangesNothingAndEmitsNothing() {
        SeedStory.produce();
        // A marker event after the duplicates: once it is applied, the duplicates before it were handled.
        TestKafka.sendStructured("marker-policy", """
                {"specversion":"1.0","id":"marker-1","type":"product.withdrawn","source":"test",
                 "data":{"policyId":"marker-policy","vendor":"Acme","product":"Marker","effectiveFrom":"2020-01-01"}}""");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                given().get("/moratoria/marker-policy").then().statusCode(200));
        var all = TestKafka.readUntil("moratorium-notifications", Duration.ofSeconds(20), r -> r.size() >= 4);
        assertThat(all).hasSize(4);
        assertThat(all.stream().filter(r -> TestKafka.text(r.key()).equals(SeedStory.AMAZON))).hasSize(2);
        given().get("/moratoria/" + SeedStory.AMAZON + "/history").then().body("", hasSize(1));
        given().get("/rejections").then().body("findAll { it.eventId == 'seed-amazon-2020-06-10' }", hasSize(0));
    }

    private static JsonNode lastState(List<ConsumerRecord<byte[], byte[]>> states, String policyId) {
        JsonNode last = null;
        for (ConsumerRecord<byte[], byte[]> r : states) {
            if (policyId.equals(TestKafka.text(r.key()))) {
                last = WireJson.parse(TestKafka.text(r.value()));
            }
        }
        assertThat(last).as("a state record for " + policyId).isNotNull();
        return last;
    }
}
