package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.wire.WireJson;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Decisions no peer gives, end to end through Kafka: by the caller's jurisdiction, as known on a
 * past day, and explained. The clock starts in 2020 (as a user replaying history would), so
 * Amazon's extension of 2021-05-18 reaches a moratorium that has not ended yet.
 */
@QuarkusTest
@TestProfile(DecisionsAsKnownTest.Profile.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DecisionsAsKnownTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("moratorium.clock.start", "2020-06-09T00:00:00Z");
        }
    }

    private static final String AMAZON = "amazon-rekognition-police-asof";
    private static final String MICROSOFT = "microsoft-face-police-us";
    private static final String AMAZON_ACCESS = "/access?vendor=Amazon&product=Rekognition&segment=police";
    private static final String MICROSOFT_ACCESS = "/access?vendor=Microsoft&product=Face API&segment=police&at=2021-01-01";

    @BeforeAll
    void produce() {
        TestKafka.sendStructured(AMAZON, Events.timedEvent("asof-amazon-1", "moratorium.announced", "2020-06-10T00:00:00Z",
                "{\"policyId\":\"" + AMAZON + "\",\"vendor\":\"Amazon\",\"product\":\"Rekognition\","
                        + "\"segments\":[\"police\"],\"effectiveFrom\":\"2020-06-10\",\"effectiveUntil\":\"2021-06-10\","
                        + "\"exemptions\":[{\"organization\":\"Thorn\",\"purpose\":\"finding missing children\"}]}"));
        TestKafka.sendStructured(AMAZON, Events.timedEvent("asof-amazon-2", "moratorium.extended", "2021-05-18T00:00:00Z",
                "{\"policyId\":\"" + AMAZON + "\",\"effectiveUntil\":null}"));
        TestKafka.sendStructured(MICROSOFT, Events.timedEvent("ms-1", "moratorium.announced", "2020-06-11T00:00:00Z",
                "{\"policyId\":\"" + MICROSOFT + "\",\"vendor\":\"Microsoft\",\"product\":\"Face API\","
                        + "\"segments\":[\"police\"],\"effectiveFrom\":\"2020-06-11\",\"jurisdiction\":\"US\"}"));
        TestKafka.sendStructured("eu-policy", Events.timedEvent("eu-1", "moratorium.announced", "2020-06-11T00:00:00Z",
                "{\"policyId\":\"eu-policy\",\"vendor\":\"Microsoft\",\"product\":\"Face API\","
                        + "\"segments\":[\"police\"],\"effectiveFrom\":\"2020-06-11\",\"jurisdiction\":\"EU\"}"));
    }

    /** RestAssured knows the test port only once a test runs, so the first test waits for the events. */
    private static volatile boolean applied;

    @BeforeEach
    void awaitApplied() {
        if (applied) {
            return;
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            given().get("/moratoria/" + AMAZON + "/history").then().statusCode(200).body("", hasSize(2));
            given().get("/moratoria/" + MICROSOFT).then().statusCode(200);
            given().get("/rejections").then().body("findAll { it.eventId == 'eu-1' }", hasSize(1));
        });
        applied = true;
    }

    @Test
    void microsoftsUsMoratoriumAppliesToCallersInTheUsOnly() {
        given().get(MICROSOFT_ACCESS + "&jurisdiction=US").then().statusCode(200)
                .body("allowed", equalTo(false)).body("policyId", equalTo(MICROSOFT))
                .body("reason", equalTo("Police access to Microsoft Face API is suspended from 2020-06-11 until further"
                        + " notice (" + MICROSOFT + ")"));
        given().get(MICROSOFT_ACCESS + "&jurisdiction=US-WA").then().body("allowed", equalTo(false));
        given().get(MICROSOFT_ACCESS + "&jurisdiction=GB").then().statusCode(200)
                .body(equalTo("{\"allowed\":true,\"policyId\":null,\"reason\":\"no restriction applies\",\"until\":null}"));
        given().get(MICROSOFT_ACCESS).then().statusCode(200)
                .body("allowed", equalTo(false))
                .body("reason", endsWith("(" + MICROSOFT + "); no jurisdiction given, so policies of every jurisdiction apply"));
        given().get("/moratoria/" + MICROSOFT).then().body("jurisdiction", equalTo("US"));
    }

    @Test
    void jurisdictionsAreCheckedOnTheWayIn() {
        for (String bad : new String[] {"XX", "UK", "USA", "US-CALI", "US-", "US-C_"}) {
            given().get(MICROSOFT_ACCESS + "&jurisdiction=" + bad).then().statusCode(400)
                    .body("error", equalTo("invalid-parameter"));
        }
        given().get("/rejections").then()
                .body("find { it.eventId == 'eu-1' }.reason", equalTo("invalid-field"));
        given().get("/moratoria/eu-policy").then().statusCode(404);
    }

    @Test
    void asOfAnswersWithWhatWasKnownThen() {
        String july = AMAZON_ACCESS + "&at=2021-07-01";
        given().get(july + "&asOf=2021-05-01").then().statusCode(200)
                .body("allowed", equalTo(true)).body("policyId", nullValue());
        given().get(july + "&asOf=2021-05-20").then().statusCode(200)
                .body("allowed", equalTo(false)).body("policyId", equalTo(AMAZON)).body("until", nullValue())
                .body("reason", equalTo("Police access to Amazon Rekognition is suspended from 2020-06-10 until further"
                        + " notice (" + AMAZON + ")"));
        given().get(july + "&asOf=2021-05-18T00:00:00Z").then().body("allowed", equalTo(false));
        given().get(july + "&asOf=2020-06-01").then().body("allowed", equalTo(true)).body("policyId", nullValue());
        // without asOf: everything applied counts, as before
        given().get(july).then().body("allowed", equalTo(false));
        // as known in May 2021, on 2021-06-01 the police were denied until 2021-06-10; Thorn was exempt
        given().get(AMAZON_ACCESS + "&at=2021-06-01&asOf=2021-05-01").then()
                .body("allowed", equalTo(false)).body("until", equalTo("2021-06-10T00:00:00Z"));
        given().get(AMAZON_ACCESS + "&at=2021-06-01&asOf=2021-05-01&organization=thorn").then()
                .body("allowed", equalTo(true));
        given().get(july + "&asOf=last week").then().statusCode(400).body("error", equalTo("invalid-parameter"));
    }

    /**
     * As-of answers come from histories kept in memory once read (PoliciesAsKnown): an event applied
     * after that must reach the next as-of answer, and an as-of day before it must still leave it out.
     */
    @Test
    void asOfAnswersSeeEventsAppliedAfterAnEarlierAnswer() {
        String id = "kept-history";
        String access = "/access?vendor=Kept&product=History&segment=police";
        TestKafka.sendStructured(id, Events.timedEvent("kept-1", "moratorium.announced", "2020-06-01T00:00:00Z",
                "{\"policyId\":\"" + id + "\",\"vendor\":\"Kept\",\"product\":\"History\",\"segments\":[\"police\"],"
                        + "\"effectiveFrom\":\"2020-06-01\",\"effectiveUntil\":\"2021-06-10\"}"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get(access + "&at=2021-01-01&asOf=2020-07-01").then().statusCode(200)
                        .body("allowed", equalTo(false)).body("until", equalTo("2021-06-10T00:00:00Z")));
        given().get(access + "&at=2021-07-01&asOf=2020-07-01").then().body("allowed", equalTo(true))
                .body("policyId", nullValue());
        TestKafka.sendStructured(id, Events.timedEvent("kept-2", "moratorium.extended", "2020-08-01T00:00:00Z",
                "{\"policyId\":\"" + id + "\",\"effectiveUntil\":null}"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get(access + "&at=2021-07-01&asOf=2020-09-01").then().statusCode(200)
                        .body("allowed", equalTo(false)).body("until", nullValue()));
        given().get(access + "&at=2021-07-01&asOf=2020-07-01").then().body("allowed", equalTo(true));
    }

    @Test
    void aPolicyAsAnnouncedByADay() {
        given().get("/moratoria/" + AMAZON + "?asOf=2021-05-01").then().statusCode(200)
                .body("policyId", equalTo(AMAZON))
                .body("effectiveUntil", equalTo("2021-06-10T00:00:00Z"))
                .body("status", equalTo("ACTIVE"))
                .body("exemptions[0].organization", equalTo("Thorn"));
        given().get("/moratoria/" + AMAZON + "?asOf=2021-05-20").then().statusCode(200)
                .body("effectiveUntil", nullValue()).body("status", equalTo("ACTIVE"));
        given().get("/moratoria/" + AMAZON + "?asOf=2020-06-01").then().statusCode(404)
                .body("error", equalTo("unknown-policy"))
                .body("message", equalTo("no policy \"" + AMAZON + "\" had been announced by 2020-06-01"));
        given().get("/moratoria/" + AMAZON + "?asOf=soon").then().statusCode(400);
        given().get("/moratoria/nobody?asOf=2021-05-01").then().statusCode(404);
        // without asOf, today's answer: the service clock is in 2020, before the moratorium began
        given().get("/moratoria/" + AMAZON).then().body("status", equalTo("SCHEDULED"));
    }

    @Test
    void explainAddsAnExplanationAndChangesNothingElse() {
        for (String query : new String[] {AMAZON_ACCESS + "&at=2021-07-01&asOf=2021-05-01",
                AMAZON_ACCESS + "&at=2021-07-01&organization=Thorn", MICROSOFT_ACCESS + "&jurisdiction=GB",
                MICROSOFT_ACCESS}) {
            String plain = given().get(query).then().statusCode(200).extract().asString();
            String explained = given().get(query + "&explain=true").then().statusCode(200).extract().asString();
            assertThat(explained).startsWith(plain.substring(0, plain.length() - 1) + ",\"explanation\":{");
            assertThat(given().get(query + "&explain=false").then().extract().asString()).isEqualTo(plain);
        }
        JsonNode e = WireJson.parse(given().get(AMAZON_ACCESS + "&at=2020-12-01&organization=Thorn&explain=true")
                .then().statusCode(200).extract().asString()).get("explanation");
        assertThat(e.get("rule").asText()).isEqualTo("EXEMPTION");
        assertThat(e.get("at").asText()).isEqualTo("2020-12-01T00:00:00Z");
        JsonNode amazon = e.get("policies").get(0);
        assertThat(amazon.get("policyId").asText()).isEqualTo(AMAZON);
        assertThat(amazon.get("coversSegment").asBoolean()).isTrue();
        assertThat(amazon.get("jurisdictionApplies").asBoolean()).isTrue();
        assertThat(amazon.get("statusAt").asText()).isEqualTo("ACTIVE");
        assertThat(amazon.get("effectiveFrom").asText()).isEqualTo("2020-06-10T00:00:00Z");
        assertThat(amazon.get("exemption").get("matched").asBoolean()).isTrue();
        assertThat(amazon.get("exemption").get("purpose").asText()).isEqualTo("finding missing children");
        assertThat(amazon.get("role").asText()).isEqualTo("DECIDED");

        JsonNode gb = WireJson.parse(given().get(MICROSOFT_ACCESS + "&jurisdiction=GB&explain=true").then()
                .extract().asString()).get("explanation");
        assertThat(gb.get("rule").asText()).isEqualTo("NO_RESTRICTION");
        assertThat(gb.get("jurisdiction").asText()).isEqualTo("GB");
        assertThat(gb.get("policies").get(0).get("role").asText()).isEqualTo("JURISDICTION_DOES_NOT_APPLY");
        assertThat(gb.get("policies").get(0).get("jurisdictionApplies").asBoolean()).isFalse();
        given().get(MICROSOFT_ACCESS + "&explain=maybe").then().statusCode(400).body("error", equalTo("invalid-parameter"));
        assertThat(((ObjectNode) gb).has("asOf")).isTrue();
    }

    /** Both instants at the calendar's edges: RFC 3339's years answered and echoed; java.time's further years refused. */
    @Test
    void bothInstantsLieInTheYearsRfc3339Writes() {
        JsonNode first = WireJson.parse(given().get(AMAZON_ACCESS + "&at=0000-01-01&asOf=9999-12-31T23:59:59.9999999Z"
                + "&explain=true").then().statusCode(200).extract().asString());
        assertThat(first.get("allowed").asBoolean()).isTrue();
        assertThat(first.get("explanation").get("at").asText()).isEqualTo("0000-01-01T00:00:00Z");
        assertThat(first.get("explanation").get("asOf").asText()).isEqualTo("9999-12-31T23:59:59.999999Z");
        String lastInstant = AMAZON_ACCESS + "&at=9999-12-31T23:59:59.999999Z&explain=true";
        assertThat(given().get(lastInstant).then().statusCode(200).extract().path("explanation.at").toString())
                .isEqualTo("9999-12-31T23:59:59.999999Z");
        // in range as written, outside it once the offset is applied; and years java.time reads beyond RFC 3339
        for (String outside : new String[] {"9999-12-31T23:00:00-05:00", "0000-01-01T00:00:00+01:00",
                "+10000-01-01T00:00:00Z", "-999999999-01-01T00:00:00+18:00"}) {
            for (String name : new String[] {"at", "asOf"}) {
                given().queryParam(name, outside).get(AMAZON_ACCESS + "&explain=true").then().statusCode(400)
                        .body("error", equalTo("invalid-parameter"))
                        .body("message", equalTo(name + " \"" + outside + "\" is outside the years RFC 3339 writes, 0000 to 9999"));
            }
            given().queryParam("asOf", outside).get("/moratoria/" + AMAZON).then().statusCode(400)
                    .body("error", equalTo("invalid-parameter"));
        }
    }

    @Test
    void theOpenApiDocumentNamesBothTimeAxes() {
        String openapi = given().get("/q/openapi?format=json").then().statusCode(200).extract().asString();
        assertThat(openapi).contains("Two time axes", "\"asOf\"", "\"jurisdiction\"", "\"explain\"",
                "What was known: only events whose CloudEvent time is at or before this instant");
    }
}
