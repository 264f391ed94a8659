package dev.moratorium.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.SeedStory;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.testing.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Real answers against the OpenAPI document the service serves at {@code /q/openapi}: every
 * endpoint, its success and its error answers, must match the schema the document declares — so
 * a client generated from the document reads what the service really sends.
 */
@QuarkusTest
@TestProfile(OpenApiValidationTest.Profile.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiValidationTest {

    public static class Profile implements QuarkusTestProfile {
    }

    private OpenApiInteractionValidator validator;
    private JsonNode document;
    private final List<String> problems = new ArrayList<>();

    @BeforeAll
    void seed() {
        SeedStory.produce();
        TestKafka.sendStructured("nobody", "{\"specversion\":\"1.0\",\"id\":\"orphan-grant\","
                + "\"type\":\"moratorium.exemption-granted\",\"source\":\"urn:test\","
                + "\"data\":{\"policyId\":\"nobody\",\"organization\":\"Thorn\"}}");
        // two events: a history page of one carries a Link to the next
        TestKafka.sendStructured("paged", Events.announce("paged-announced", "paged", "2020-01-01T00:00:00Z", null));
        TestKafka.sendStructured("paged", Events.event("paged-grant", "moratorium.exemption-granted",
                "{\"policyId\":\"paged\",\"organization\":\"Thorn\"}"));
    }

    private void awaitSeeded() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            given().get("/moratoria/" + SeedStory.AMAZON).then().statusCode(200);
            given().get("/moratoria/paged/history").then().body("id", org.hamcrest.Matchers.hasSize(2));
            assertThat(given().get("/rejections").then().extract().jsonPath().getList("id")).isNotEmpty();
        });
    }

    /** RestAssured knows the test port only once a test runs, not in a PER_CLASS {@code @BeforeAll}. */
    private void readTheDocument() throws Exception {
        if (validator != null) {
            return;
        }
        String json = given().get("/q/openapi?format=json").then().statusCode(200).extract().asString();
        document = new ObjectMapper().readTree(json);
        validator = OpenApiInteractionValidator.createForInlineApiSpecification(json).build();
    }

    @Test
    void everyAnswerMatchesTheServedDocument() throws Exception {
        awaitSeeded();
        readTheDocument();
        long rejection = given().get("/rejections").then().extract().jsonPath().getLong("[0].id");
        check("GET", "/moratoria", Map.of(), null);
        check("GET", "/moratoria", Map.of("vendor", "amazon", "status", "EXPIRED", "size", "1"), null);
        check("GET", "/moratoria", Map.of("status", "BOGUS"), null);
        check("GET", "/moratoria/" + SeedStory.AMAZON, Map.of(), null);
        check("GET", "/moratoria/nobody", Map.of(), null);
        check("GET", "/moratoria/" + SeedStory.AMAZON + "/history", Map.of(), null);
        assertThat(given().get("/moratoria/paged/history?limit=1").header("Link")).endsWith("; rel=\"next\"");
        check("GET", "/moratoria/paged/history", Map.of("limit", "1"), null);
        check("GET", "/moratoria/" + SeedStory.AMAZON + "/history", Map.of("limit", "0"), null);
        check("GET", "/moratoria/nobody/history", Map.of(), null);
        check("GET", "/access", Map.of("vendor", "Amazon", "product", "Rekognition", "segment", "police",
                "at", "2020-07-01"), null);
        check("GET", "/access", Map.of("vendor", "Amazon", "product", "Rekognition", "segment", "police",
                "organization", "Thorn", "at", "2020-07-01T00:00:00Z"), null);
        check("GET", "/access", Map.of("vendor", "Amazon"), null);
        check("GET", "/access", Map.of("vendor", "Amazon", "product", "x", "segment", "y", "at", "yesterday"), null);
        check("GET", "/notifications", Map.of("after", "0", "limit", "5"), null);
        check("GET", "/notifications", Map.of("limit", "0"), null);
        check("GET", "/rejections", Map.of(), null);
        check("GET", "/rejections", Map.of("status", "OPEN", "limit", "2"), null);
        check("GET", "/rejections", Map.of("status", "BOGUS"), null);
        check("GET", "/rejections", Map.of("status", "OPEN", "order", "newest", "limit", "1"), null);
        check("GET", "/rejections", Map.of("order", "newest", "after", "1"), null);
        check("POST", "/rejections/" + rejection + "/retry", Map.of(), null);
        check("POST", "/rejections/" + rejection + "/retry", Map.of(), TestTokens.viewer());
        check("POST", "/rejections/" + rejection + "/retry", Map.of(), TestTokens.admin());
        check("POST", "/rejections/999999/retry", Map.of(), TestTokens.admin());
        check("POST", "/rejections/retry", Map.of("reason", "unknown-policy", "limit", "1"), TestTokens.admin());
        check("POST", "/rejections/retry", Map.of("reason", "malformed-json", "after", "999999999"), TestTokens.admin());
        check("POST", "/rejections/retry", Map.of("reason", "nope"), TestTokens.admin());
        check("GET", "/ops/status", Map.of(), null);
        check("GET", "/outbox/parked", Map.of(), null);
        check("GET", "/outbox/parked", Map.of("after", "x"), null);
        check("POST", "/outbox/parked/424242/redrive", Map.of(), TestTokens.admin());
        check("POST", "/outbox/parked/redrive", Map.of("topic", "moratorium-state", "after", "424242"), TestTokens.admin());
        check("POST", "/outbox/parked/redrive", Map.of("limit", "0"), TestTokens.admin());
        check("DELETE", "/outbox/parked/424242", Map.of("reason", "not to be published"), TestTokens.admin());
        check("DELETE", "/outbox/parked/424242", Map.of(), TestTokens.admin());
        check("GET", "/ops/state-republish", Map.of(), null);
        check("POST", "/ops/state-republish", Map.of("after", "not an id!"), TestTokens.admin());
        check("POST", "/ops/state-republish", Map.of(), null);
        check("POST", "/ops/state-republish", Map.of("after", SeedStory.AMAZON), TestTokens.admin());
        check("POST", "/ops/state-republish", Map.of(), TestTokens.admin()); // 202, or 409 while the first runs
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/ops/state-republish").then()
                .body("status", org.hamcrest.Matchers.equalTo("FINISHED")));
        check("GET", "/ops/state-republish", Map.of(), null);
        check("GET", "/moratoria", Map.of("size", "1"), null);
        String next = given().get("/moratoria?size=1").then().extract().jsonPath().getString("next");
        check("GET", "/moratoria", Map.of("size", "1", "after", next), null);
        String subscription = given().auth().oauth2(TestTokens.admin()).contentType("application/json")
                .body("{\"url\":\"http://127.0.0.1:9/hook\",\"types\":[\"access.restored\"]}")
                .post("/subscriptions").then().statusCode(201).extract().jsonPath().getString("id");
        check("POST", "/subscriptions", Map.of(), TestTokens.admin(), "{\"url\":\"ftp://example.com\"}");
        check("POST", "/subscriptions", Map.of(), TestTokens.admin(), "{\"url\":\"http://127.0.0.1:9/other\"}");
        check("GET", "/subscriptions", Map.of(), null);
        check("GET", "/subscriptions/" + subscription, Map.of(), null);
        check("GET", "/subscriptions/00000000-0000-0000-0000-000000000000", Map.of(), null);
        check("PATCH", "/subscriptions/" + subscription, Map.of(), TestTokens.admin(), "{\"paused\":true}");
        check("GET", "/subscriptions/" + subscription + "/deliveries", Map.of(), null);
        check("POST", "/subscriptions/" + subscription + "/replay", Map.of("after", "0"), TestTokens.admin());
        check("DELETE", "/subscriptions/" + subscription, Map.of(), TestTokens.admin());
        // a parameter given twice: 400 on every endpoint with a query, documented on each (Vert.x splits
        // a query at ';' as at '&', and decodes names: %61fter is after)
        for (String[] repeated : new String[][] {
                {"/access", "vendor=Amazon&product=Rekognition&segment=police&organization=Thorn&organization=Acme",
                        "organization is given 2 times; give it once"},
                {"/moratoria", "size=1&size=2&size=3", "size is given 3 times; give it once"},
                {"/moratoria/" + SeedStory.AMAZON, "asOf=2020-07-01&asOf=2021-07-01", "asOf is given 2 times; give it once"},
                {"/moratoria/" + SeedStory.AMAZON + "/history", "limit=1&after=0&limit=2", "limit is given 2 times; give it once"},
                {"/notifications", "after=0&%61fter=1", "after is given 2 times; give it once"},
                {"/rejections", "status=OPEN;status=RESOLVED", "status is given 2 times; give it once"}}) {
            refusedParameter(repeated[0], repeated[1], repeated[2]);
        }
        // a parameter the endpoint does not take: 400 naming the ones it takes, on every endpoint, documented
        // on each (ignored, asof=... answered with everything known now, organisation=Thorn for no organization)
        for (String[] unknown : new String[][] {
                {"/access", "vendor=Amazon&product=Rekognition&segment=police&asof=2020-07-01",
                        "unknown parameter \"asof\"; did you mean \"asOf\"? this endpoint takes vendor, product, segment,"
                                + " organization, at, jurisdiction, asOf, explain"},
                {"/access", "vendor=Amazon&product=Rekognition&segment=police&organisation=Thorn",
                        "unknown parameter \"organisation\"; this endpoint takes vendor, product, segment, organization,"
                                + " at, jurisdiction, asOf, explain"},
                {"/moratoria", "size=1&policyId=" + SeedStory.AMAZON,
                        "unknown parameter \"policyId\"; this endpoint takes status, vendor, product, segment, page, size, after"},
                {"/moratoria/" + SeedStory.AMAZON, "at=2020-07-01",
                        "unknown parameter \"at\"; this endpoint takes asOf"},
                {"/ops/status", "verbose=true", "unknown parameter \"verbose\"; this endpoint takes none"}}) {
            refusedParameter(unknown[0], unknown[1], unknown[2]);
        }
        // the decisions benchmark's baseline answers the very requests /access is sent
        given().urlEncodingEnabled(false).get("/ops/ping?vendor=Amazon&product=Rekognition&segment=police&r=1")
                .then().statusCode(200);
        assertThat(document.path("paths").path("/ops/ping").path("get").path(QueryParameters.ANY_QUERY).asText())
                .isEqualTo("true");
        assertThat(document.path("paths").path("/ops/ping").path("get").path("responses").path("400").path("description")
                .asText()).isNotEmpty().doesNotContain("does not take");
        assertThat(document.path("paths").path("/ops/status").path("get").path("responses").path("400").path("description")
                .asText()).containsIgnoringCase("a query parameter this operation does not take");
        // a header HTTP allows once, given twice: 400 on every operation, also where there is no query
        for (String[] repeated : new String[][] {{"GET", "/ops/status"}, {"GET", "/subscriptions/" + subscription},
                {"POST", "/subscriptions"}, {"POST", "/rejections/" + rejection + "/retry"}}) {
            Response answer = given().header("Authorization", "Bearer " + TestTokens.admin())
                    .header("Authorization", "Bearer " + TestTokens.viewer()).request(repeated[0], repeated[1]);
            assertThat(answer.statusCode()).as(repeated[1]).isEqualTo(400);
            assertThat(answer.jsonPath().getString("error")).isEqualTo("bad-request");
            assertThat(answer.jsonPath().getString("message")).isEqualTo("Authorization is given 2 times; give it once");
            validate(repeated[0], repeated[1], "", answer);
        }
        // the same parameters once each are answered
        given().get("/access?vendor=Amazon&product=Rekognition&segment=police&organization=Thorn").then().statusCode(200);
        assertThat(problems).as("answers that do not match /q/openapi").isEmpty();
        // the validator passed a Link header against a declared integer schema (tried): so it is checked here
        JsonNode history = document.path("paths").path("/moratoria/{policyId}/history").path("get").path("responses");
        assertThat(history.path("200").path("headers").path("Link").path("schema").path("type").asText()).isEqualTo("string");
        assertThat(document.path("components").path("schemas").path("HistoryEntry").path("properties").has("sequence")).isTrue();
    }

    @Test
    void everyOperationIsNamedAndDocumentsItsErrors() throws Exception {
        awaitSeeded();
        readTheDocument();
        List<String> missing = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.get("paths").fields(); paths.hasNext();) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext();) {
                Map.Entry<String, JsonNode> op = ops.next();
                String name = op.getKey().toUpperCase() + " " + path.getKey();
                if (!op.getValue().has("operationId")) {
                    missing.add(name + ": no operationId");
                }
                JsonNode responses = op.getValue().get("responses");
                if (responses == null || !responses.fieldNames().hasNext()) {
                    missing.add(name + ": no responses");
                    continue;
                }
                boolean hasError = false;
                for (Iterator<String> codes = responses.fieldNames(); codes.hasNext();) {
                    String code = codes.next();
                    hasError |= code.startsWith("4") || code.startsWith("5");
                }
                if (!hasError && !path.getKey().equals("/ops/ping")) {
                    missing.add(name + ": no error answer documented");
                }
                if (!op.getKey().equals("get") && !op.getValue().has("security")) {
                    missing.add(name + ": a write without its security requirement");
                }
            }
        }
        assertThat(missing).isEmpty();
    }

    /** The request made to webhook subscribers: its headers, and a body that is the notification without the cursor. */
    @Test
    void theWebhookRequestIsDescribed() throws Exception {
        readTheDocument();
        assertThat(document.get("openapi").asText()).startsWith("3.1"); // `webhooks` is OpenAPI 3.1
        JsonNode post = document.path("webhooks").path("notification").path("post");
        List<String> headers = new ArrayList<>();
        post.path("parameters").forEach(p -> {
            assertThat(p.get("in").asText()).isEqualTo("header");
            assertThat(p.get("required").asBoolean()).as(p.get("name").asText()).isTrue();
            headers.add(p.get("name").asText());
        });
        assertThat(headers).containsExactlyInAnyOrder("webhook-id", "webhook-timestamp", "webhook-signature");
        assertThat(post.path("requestBody").path("content").path("application/json").path("schema").path("$ref")
                .asText()).isEqualTo("#/components/schemas/WebhookNotification");
        assertThat(post.path("responses").has("410")).isTrue();
        JsonNode schemas = document.path("components").path("schemas");
        List<String> view = new ArrayList<>();
        schemas.path("Notification").path("properties").fieldNames().forEachRemaining(view::add);
        view.remove("sequence");
        List<String> body = new ArrayList<>();
        schemas.path("WebhookNotification").path("properties").fieldNames().forEachRemaining(body::add);
        assertThat(body).isNotEmpty().containsExactlyElementsOf(view);
    }

    private void check(String method, String path, Map<String, String> query, String token) {
        check(method, path, query, token, null);
    }

    private void check(String method, String path, Map<String, String> query, String token, String body) {
        RequestSpecification request = given().queryParams(query);
        if (token != null) {
            request = request.auth().oauth2(token);
        }
        if (body != null) {
            request = request.contentType("application/json").body(body);
        }
        Response response = switch (method) {
            case "POST" -> request.post(path);
            case "PATCH" -> request.patch(path);
            case "DELETE" -> request.delete(path);
            default -> request.get(path);
        };
        validate(method, path, query.toString(), response);
    }

    /** GET path?query answers 400 invalid-parameter with this message, as the document says it may. */
    private void refusedParameter(String path, String query, String message) {
        Response answer = given().urlEncodingEnabled(false).get(path + "?" + query);
        assertThat(answer.statusCode()).as(query).isEqualTo(400);
        assertThat(answer.jsonPath().getString("error")).isEqualTo("invalid-parameter");
        assertThat(answer.jsonPath().getString("message")).isEqualTo(message);
        validate("GET", path, query, answer);
    }

    private void validate(String method, String path, String query, Response response) {
        SimpleResponse.Builder real = SimpleResponse.Builder.status(response.statusCode());
        for (var header : response.headers()) { // declared headers (Link, Retry-After) are checked too
            real = real.withHeader(header.getName(), header.getValue());
        }
        if (!response.contentType().isEmpty()) { // a 204 has none
            real = real.withContentType(response.contentType()).withBody(response.asString());
        }
        ValidationReport report = validator.validateResponse(path, Request.Method.valueOf(method), real.build());
        for (ValidationReport.Message m : report.getMessages()) {
            if (m.getLevel() == ValidationReport.Level.ERROR) {
                problems.add(method + " " + path + " " + query + " -> " + response.statusCode() + ": " + m.getMessage());
            }
        }
    }
}
