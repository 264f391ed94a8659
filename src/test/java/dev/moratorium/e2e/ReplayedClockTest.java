package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.SeedStory;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.testing.TestTokens;
import dev.moratorium.wire.WireJson;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The service clock started in 2020 (moratorium.clock.start), as a user replaying history would:
 * the seed story as it happened, and time-driven changes (start, reminder, end) published by the
 * scheduler within the contract's 5 seconds.
 */
@QuarkusTest
@TestProfile(ReplayedClockTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplayedClockTest {

    /** The clock of the seed story's README, and a short extra reminder lead to watch one happen. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("moratorium.clock.start", "2020-06-09T00:00:00Z", "moratorium.reminders", "P30D,P7D,PT3S");
        }
    }

    @Inject
    Clock clock;

    @TestHTTPResource("/notifications/stream?after=0")
    URI stream;

    @Test
    @Order(1)
    void theSeedStoryAsItHappened() {
        assertThat(clock.instant()).isBefore(Instant.parse("2020-06-10T00:00:00Z"));
        SeedStory.produce();
        List<JsonNode> amazon = notificationsFor(SeedStory.AMAZON, 1);
        assertThat(amazon).hasSize(1);
        assertThat(amazon.get(0).get("type").asText()).isEqualTo("access.suspended");
        assertThat(amazon.get(0).get("status").asText()).isEqualTo("SCHEDULED");
        assertThat(amazon.get(0).get("message").asText()).isEqualTo("Police access to Amazon Rekognition suspended"
                + " from 2020-06-10 until 2021-06-10 (exempt: Thorn, Marinus Analytics).");

        String access = "/access?vendor=amazon&product=rekognition&segment=police";
        // now is 2020-06-09: the moratorium starts tomorrow
        given().get(access).then().body("allowed", equalTo(true)).body("until", equalTo("2020-06-10T00:00:00Z"))
                .body("policyId", equalTo(SeedStory.AMAZON));
        given().get(access + "&at=2020-06-11").then().body("allowed", equalTo(false));
        given().get(access + "&at=2020-06-11&organization=Thorn").then().body("allowed", equalTo(true));
        given().get(access + "&at=2020-06-11&organization=marinus analytics").then().body("allowed", equalTo(true));
        given().get(access + "&at=2021-06-10T00:00:00Z").then().body("allowed", equalTo(true));
        given().get("/moratoria/" + SeedStory.AMAZON).then().body("status", equalTo("SCHEDULED"));
        given().get("/moratoria/" + SeedStory.IBM).then().body("status", equalTo("WITHDRAWN"));
    }

    @Test
    @Order(2)
    void extensionsAndExemptionChanges() {
        TestKafka.sendStructured(SeedStory.AMAZON, Events.timedEvent("amazon-extended", "moratorium.extended",
                "2021-05-01T00:00:00Z", "{\"policyId\":\"" + SeedStory.AMAZON + "\",\"effectiveUntil\":null}"));
        TestKafka.sendStructured(SeedStory.AMAZON, Events.timedEvent("thorn-revoked", "moratorium.exemption-revoked",
                "2020-06-20T00:00:00Z", "{\"policyId\":\"" + SeedStory.AMAZON + "\",\"organization\":\"THORN\"}"));
        List<JsonNode> amazon = notificationsFor(SeedStory.AMAZON, 3);
        assertThat(amazon).extracting(n -> n.get("message").asText()).containsExactly(
                "Police access to Amazon Rekognition suspended from 2020-06-10 until 2021-06-10"
                        + " (exempt: Thorn, Marinus Analytics).",
                "Police access to Amazon Rekognition suspended until further notice (previously until 2021-06-10).",
                "Thorn no longer exempt from the police moratorium on Amazon Rekognition.");
        assertThat(amazon.get(2).get("exemptions")).hasSize(1);
        String access = "/access?vendor=amazon&product=rekognition&segment=police&organization=thorn";
        given().get(access + "&at=2020-06-11").then().body("allowed", equalTo(true));
        given().get(access + "&at=2020-06-21").then().body("allowed", equalTo(false)).body("until", equalTo(null));
    }

    @Test
    @Order(3)
    void timeDrivenChangesArePublishedWithinFiveSecondsOfTheirMoment() {
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Duration offset = Duration.between(Instant.now(), now); // service clock minus wall clock
        Instant until = now.plusSeconds(8);
        TestKafka.sendStructured("live-1", Events.announce("live-1-announced", "live-1", now.minusSeconds(60).toString(),
                until.toString()));
        Instant start = now.plusSeconds(3);
        TestKafka.sendStructured("live-2", Events.announce("live-2-announced", "live-2", start.toString(), null));

        List<ConsumerRecord<byte[], byte[]>> records = TestKafka.readUntil("moratorium-notifications",
                Duration.ofSeconds(30), r -> r.stream().anyMatch(x -> "live-1".equals(TestKafka.text(x.key()))
                        && "access.restored".equals(TestKafka.header(x, "ce_type"))));
        List<ConsumerRecord<byte[], byte[]>> live = records.stream()
                .filter(r -> "live-1".equals(TestKafka.text(r.key()))).toList();
        assertThat(live).extracting(r -> TestKafka.header(r, "ce_type"))
                .containsExactly("access.suspended", "access.expiry-approaching", "access.restored");
        JsonNode reminder = WireJson.parse(TestKafka.text(live.get(1).value()));
        assertThat(reminder.get("message").asText()).isEqualTo("Police moratorium on Acme Vision ends in 3 seconds, on "
                + until + ".");
        assertThat(reminder.get("causedBy").asText()).isEqualTo("clock");
        assertPublishedWithinFiveSeconds(live.get(1), until.minusSeconds(3), offset);
        assertPublishedWithinFiveSeconds(live.get(2), until, offset);

        // reaching effectiveFrom changes the state to ACTIVE without a second notification
        var states = TestKafka.readUntil("moratorium-state", Duration.ofSeconds(20), r -> r.stream()
                .anyMatch(x -> "live-2".equals(TestKafka.text(x.key())) && TestKafka.text(x.value()).contains("ACTIVE")));
        assertThat(states.stream().filter(r -> "live-2".equals(TestKafka.text(r.key())))
                .map(r -> WireJson.parse(TestKafka.text(r.value())).get("status").asText()))
                .containsExactly("SCHEDULED", "ACTIVE");
        assertThat(TestKafka.readAll("moratorium-notifications").stream()
                .filter(r -> "live-2".equals(TestKafka.text(r.key())))).hasSize(1);
    }

    @Test
    @Order(4)
    void theLiveStreamReplaysAndFollowsNotifications() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(stream).header("Accept", "text/event-stream").build();
        HttpResponse<java.io.InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> events = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            TestKafka.sendStructured(SeedStory.AMAZON, Events.event("acme-granted", "moratorium.exemption-granted",
                    "{\"policyId\":\"" + SeedStory.AMAZON + "\",\"organization\":\"Acme Labs\",\"purpose\":\"research\"}"));
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("data:")) {
                    events.add(line.substring(5).strip());
                    if (line.contains("Acme Labs exempt")) {
                        break;
                    }
                }
            }
        }
        assertThat(events.get(0)).contains("\"sequence\":1");
        assertThat(events.get(events.size() - 1)).contains(
                "Acme Labs exempt from the police moratorium on Amazon Rekognition (research).");
    }

    /**
     * A webhook subscription's own times (created, changed, a rotated secret's overlap, delivery
     * leases and backoff) run on the wall clock, in microseconds: a replayed 2020 must neither stamp
     * them in 2020 nor end a secret's overlap at once.
     */
    @Test
    @Order(5)
    void aSubscriptionsOwnTimesRunOnTheWallClock() {
        Instant before = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        JsonPath created = given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON)
                .body("{\"url\":\"http://93.184.216.34/hooks\"}").post("/subscriptions").then().statusCode(201)
                .extract().jsonPath();
        String id = created.getString("id");
        try {
            Instant createdAt = Instant.parse(created.getString("createdAt"));
            assertThat(createdAt).isBetween(before, Instant.now());
            assertThat(createdAt.getNano() % 1_000).as("cut to the microsecond the store keeps").isZero();
            assertThat(clock.instant()).as("while the service clock replays").isBefore(Instant.parse("2021-01-01T00:00:00Z"));

            JsonPath rotated = given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON)
                    .body("{\"rotateSecret\":true}").patch("/subscriptions/" + id).then().statusCode(200)
                    .extract().jsonPath();
            // the old secret signs for the overlap (24 h) from now, real time, and the answer says so
            assertThat(Instant.parse(rotated.getString("previousSecretUntil")))
                    .isBetween(before.plus(Duration.ofHours(24)), Instant.now().plus(Duration.ofHours(24)));
            given().auth().oauth2(TestTokens.admin()).get("/subscriptions/" + id).then().statusCode(200)
                    .body("previousSecretUntil", equalTo(rotated.getString("previousSecretUntil")))
                    .body("updatedAt", equalTo(rotated.getString("updatedAt")));

            // the age of what it has not received is the notifications' own (service) clock's: seconds, not
            // the six years between a replayed 2020 and the wall clock (the receiver is unreachable here)
            TestKafka.sendStructured(SeedStory.AMAZON, Events.event("wall-clock-granted", "moratorium.exemption-granted",
                    "{\"policyId\":\"" + SeedStory.AMAZON + "\",\"organization\":\"Wall Clock Labs\"}"));
            Instant deadline = Instant.now().plusSeconds(30);
            while (subscriptionMetric("moratorium_webhook_backlog", id) < 1) {
                assertThat(Instant.now()).as("the backlog gauge counts the new notification").isBefore(deadline);
                sleep(200);
            }
            assertThat(subscriptionMetric("moratorium_webhook_oldest_undelivered_seconds", id)).isBetween(0.0, 60.0);
        } finally {
            given().auth().oauth2(TestTokens.admin()).delete("/subscriptions/" + id).then().statusCode(204);
        }
    }

    private static double subscriptionMetric(String name, String subscription) {
        for (String line : given().get("/q/metrics").then().statusCode(200).extract().asString().split("\n")) {
            if (line.startsWith(name + "{") && line.contains("subscription=\"" + subscription + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void assertPublishedWithinFiveSeconds(ConsumerRecord<byte[], byte[]> record, Instant moment,
            Duration offset) {
        Instant wallMoment = moment.minus(offset);
        Duration delay = Duration.between(wallMoment, Instant.ofEpochMilli(record.timestamp()));
        assertThat(delay).as("published %s after its moment", delay).isLessThanOrEqualTo(Duration.ofSeconds(5));
    }

    private static List<JsonNode> notificationsFor(String policyId, int atLeast) {
        var records = TestKafka.readUntil("moratorium-notifications", Duration.ofSeconds(30),
                r -> r.stream().filter(x -> policyId.equals(TestKafka.text(x.key()))).count() >= atLeast);
        return records.stream().filter(r -> policyId.equals(TestKafka.text(r.key())))
                .map(r -> WireJson.parse(TestKafka.text(r.value()))).toList();
    }
}
