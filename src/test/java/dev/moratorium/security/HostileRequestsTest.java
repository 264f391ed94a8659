package dev.moratorium.security;

import static dev.moratorium.testing.HostileRequests.Expect.DENIED;
import static dev.moratorium.testing.HostileRequests.Expect.NOTHING_MATCHED;
import static dev.moratorium.testing.HostileRequests.Expect.NO_SERVER_ERROR;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import dev.moratorium.testing.Events;
import dev.moratorium.testing.ForgedTokens;
import dev.moratorium.testing.HostileRequests;
import dev.moratorium.testing.HostileRequests.Expect;
import dev.moratorium.testing.RawHttp;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.testing.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Hostile HTTP requests against the running service (reads open, the default): forged and
 * wrong-role tokens on every write, every HTTP method on every path, injection strings in every
 * query parameter and path id of every endpoint, oversized bodies, headers and request lines,
 * and malformed HTTP. None may succeed (see {@link HostileRequests} for what that means); at the
 * end the one kept rejection has never been retried and no policy has changed.
 */
@QuarkusTest
@TestProfile(HostileRequestsTest.Profile.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileRequestsTest {

    /** Its own profile: a fresh broker and database for this class. */
    public static class Profile implements QuarkusTestProfile {
    }

    /** Values a hostile caller puts anywhere; each is sent percent-encoded, as a client library would. */
    static final List<String> VALUES = List.of(
            "' OR '1'='1", "1 OR 1=1", "acme' --", "1; DROP TABLE policy; --",
            "x' UNION SELECT usename, passwd FROM pg_shadow --", "%' OR policy_id LIKE '%", "%", "_", "*",
            "../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "....//....//etc/passwd", "/etc/passwd",
            "\u0000", "a\u0000b", "\r\nX-Injected: 1", "\n2026-01-01 00:00:00,000 ERROR [forged] log line", "a\u2028b",
            "\t", "${jndi:ldap://127.0.0.1:1/a}", "#{7*7}", "{{7*7}}", "%s%s%s%n", "<script>alert(1)</script>",
            "\"}]},{\"a\":\"", "Zürich", "警察", "\u202Eevil", "\uFEFFbom", "\uD83D\uDE00", "\uD800",
            "x".repeat(201), "y".repeat(1500), "-1", "0", "1e9", "0x10", "99999999999999999999", "2147483648",
            "-2147483649", "NaN", "Infinity", " ", "", "null", "true", "[]", "{}", "2020-02-30", "2020-13-01",
            "2020-06-10T25:00:00Z", "+999999999-12-31", "-999999999-01-01T00:00:00Z", "1970-01-01T00:00:00+25:00",
            "2020-06-10T00:00:00.0000000001Z");
    /** Already encoded, and in ways a client library would not encode: sent byte for byte. */
    static final List<String> RAW_VALUES = List.of("%00", "a%00b", "%0d%0aX-Injected:%201", "%ff%fe", "%c0%ae%c0%ae%2f",
            "%", "%zz", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%252e%252e%252f", "%u0027", "a%0aINFO%20forged", "%e2%80%ae");
    /** Every query parameter of every endpoint, with a valid baseline for the others. */
    static final Map<String, List<String>> QUERY_PARAMETERS = new LinkedHashMap<>();
    static final Map<String, String> BASELINE = Map.of("/access", "vendor=acme&product=vision&segment=police");
    /** Text filters: a value that is not the policy's name must match nothing. */
    static final List<String> FILTERS = List.of("/moratoria vendor", "/moratoria product", "/moratoria segment",
            "/access vendor", "/access product", "/access segment");

    static {
        QUERY_PARAMETERS.put("/moratoria", List.of("status", "vendor", "product", "segment", "page", "size", "after"));
        QUERY_PARAMETERS.put("/access", List.of("vendor", "product", "segment", "organization", "at"));
        QUERY_PARAMETERS.put("/notifications", List.of("after", "limit"));
        QUERY_PARAMETERS.put("/notifications/stream", List.of("after"));
        QUERY_PARAMETERS.put("/rejections", List.of("status", "reason", "after", "limit", "order", "before"));
        QUERY_PARAMETERS.put("/outbox/parked", List.of("after", "limit"));
        QUERY_PARAMETERS.put("/ops/status", List.of("x"));
        QUERY_PARAMETERS.put("/q/health/ready", List.of("x"));
        QUERY_PARAMETERS.put("/q/openapi", List.of("format"));
    }

    @TestHTTPResource("/")
    URL base;

    private HostileRequests hostile;
    private long keptRejection;

    /** The state hostile requests must not change, or widen a query to reveal. */
    @Test
    @Order(0)
    void oneAppliedPolicyAndOneKeptRejection() {
        TestKafka.sendStructured("acme-1", Events.announce("acme-1-announced", "acme-1", "2020-01-01", "2030-01-01"));
        TestKafka.sendStructured("acme-x", Events.event("grant-x", "moratorium.exemption-granted",
                "{\"policyId\":\"acme-x\",\"organization\":\"Thorn\"}"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            given().get("/moratoria").then().body("total", equalTo(1));
            given().get("/rejections").then().body("", hasSize(1));
        });
        keptRejection = given().get("/rejections").then().extract().jsonPath().getLong("[0].id");
        hostile = new HostileRequests(base.getPort());
    }

    @Test
    @Order(1)
    void forgedExpiredAndWrongRoleTokensGetNoWriteThrough() {
        List<String[]> writes = List.of(
                new String[] {"POST", "/rejections/" + keptRejection + "/retry"},
                new String[] {"POST", "/rejections/999999/retry"},
                new String[] {"POST", "/outbox/parked/1/redrive"},
                new String[] {"POST", "/outbox/parked/redrive"},
                new String[] {"POST", "/rejections/retry?reason=unknown-policy"},
                new String[] {"POST", "/ops/state-republish"},
                new String[] {"POST", "/rejections/" + keptRejection + "/retry?access_token=x"},
                new String[] {"PUT", "/moratoria/acme-1"},
                new String[] {"DELETE", "/moratoria/acme-1"},
                new String[] {"PATCH", "/rejections/" + keptRejection},
                new String[] {"DELETE", "/rejections/" + keptRejection},
                new String[] {"POST", "/moratoria"},
                new String[] {"POST", "/access"},
                new String[] {"POST", "/notifications"},
                new String[] {"POST", "/ops/status"},
                new String[] {"POST", "/q/health"},
                new String[] {"POST", "/"});
        ForgedTokens.all().forEach((label, authorization) -> {
            for (String[] write : writes) {
                Map<String, String> headers = authorization == null ? Map.of() : Map.of("Authorization", authorization);
                hostile.send(label, DENIED, write[0], write[1], headers, null);
            }
        });
        assertNoneSucceeded();
    }

    @Test
    @Order(2)
    void everyMethodButReadsNeedsTheAdminRoleOnEveryPath() {
        List<String> paths = List.of("/", "/moratoria", "/moratoria/acme-1", "/moratoria/acme-1/history", "/access",
                "/notifications", "/notifications/stream", "/rejections", "/rejections/" + keptRejection + "/retry",
                "/ops/status", "/q/health", "/q/health/ready", "/q/metrics", "/q/openapi", "/q/swagger-ui",
                "/q/health/../../rejections/" + keptRejection + "/retry", "/q/metrics/%2e%2e/%2e%2e/rejections/"
                        + keptRejection + "/retry", "//rejections/" + keptRejection + "/retry");
        List<String> methods = List.of("POST", "PUT", "PATCH", "DELETE", "TRACE", "FOO", "PROPFIND", "MKCOL");
        String viewer = "Bearer " + TestTokens.viewer();
        for (String path : paths) {
            for (String method : methods) {
                hostile.send("anonymous", DENIED, method, path, Map.of(), null);
                hostile.send("viewer", DENIED, method, path, Map.of("Authorization", viewer), null);
            }
            // a read that asks to be treated as a write
            hostile.send("method override", NO_SERVER_ERROR, "GET", path, Map.of("X-HTTP-Method-Override", "POST",
                    "X-HTTP-Method", "POST", "X-Method-Override", "POST"), null);
            hostile.send("method override", DENIED, "POST", path, Map.of("X-HTTP-Method-Override", "GET"), null);
        }
        // the admin gets through security, and still only a 4xx for what does not exist
        String admin = "Bearer " + TestTokens.admin();
        for (String method : List.of("POST", "PUT", "PATCH", "DELETE")) {
            hostile.send("admin, no such write", DENIED, method, "/moratoria/acme-1", Map.of("Authorization", admin), null);
            // SmallRye Health answers any method with the (read-only) health report
            hostile.send("admin, health", NO_SERVER_ERROR, method, "/q/health/ready", Map.of("Authorization", admin),
                    null);
        }
        assertNoneSucceeded();
    }

    @Test
    @Order(3)
    void injectionInEveryQueryParameterOfEveryEndpoint() {
        QUERY_PARAMETERS.forEach((path, names) -> {
            for (String name : names) {
                for (String value : VALUES) {
                    query(path, name, URLEncoder.encode(value, StandardCharsets.UTF_8), value.isBlank());
                }
                for (String raw : RAW_VALUES) {
                    query(path, name, raw, false);
                }
            }
        });
        // the SSE stream's other cursor, a header
        for (String value : List.of("-1", "abc", "1 OR 1=1", "99999999999999999999", "x".repeat(3000), "\u00e9")) {
            hostile.send("Last-Event-ID", NO_SERVER_ERROR, "GET", "/notifications/stream",
                    Map.of("Last-Event-ID", value), null);
        }
        assertNoneSucceeded();
    }

    private void query(String path, String name, String encoded, boolean blank) {
        String baseline = BASELINE.getOrDefault(path, "");
        String others = baseline.isEmpty() ? "" : removeParameter(baseline, name);
        String target = path + "?" + (others.isEmpty() ? "" : others + "&") + name + "=" + encoded;
        // a blank filter is no filter (it may match everything); any other value is no policy's name
        Expect expect = FILTERS.contains(path + " " + name) && !blank ? NOTHING_MATCHED : NO_SERVER_ERROR;
        hostile.send(name, expect, "GET", target, Map.of(), null);
    }

    private static String removeParameter(String query, String name) {
        List<String> kept = new ArrayList<>();
        for (String pair : query.split("&")) {
            if (!pair.startsWith(name + "=")) {
                kept.add(pair);
            }
        }
        return String.join("&", kept);
    }

    @Test
    @Order(4)
    void injectionInEveryPathId() {
        List<String> ids = new ArrayList<>();
        VALUES.stream().filter(v -> !v.isEmpty())
                .forEach(v -> ids.add(URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20")));
        ids.addAll(RAW_VALUES);
        ids.addAll(List.of("..", "..%2f..%2f..%2fetc%2fpasswd", "..;", "acme-1%2f..%2f..%2f", ".%2e", "acme-1;x=1",
                "acme-1%3bselect", "z".repeat(129), "a".repeat(3000)));
        String admin = "Bearer " + TestTokens.admin();
        for (String id : ids) {
            hostile.send("policy id", NO_SERVER_ERROR, "GET", "/moratoria/" + id, Map.of(), null);
            hostile.send("policy id", NO_SERVER_ERROR, "GET", "/moratoria/" + id + "/history", Map.of(), null);
            hostile.send("rejection id, anonymous", DENIED, "POST", "/rejections/" + id + "/retry", Map.of(), null);
            // with the admin role the request is allowed, the id is not: 400 or 404, never a retry
            hostile.send("rejection id, admin", DENIED, "POST", "/rejections/" + id + "/retry",
                    Map.of("Authorization", admin), null);
        }
        for (String path : List.of("/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                "/static/../../application.properties", "/application.properties", "/META-INF/resources/../../pom.xml",
                "/q/../../etc/passwd", "/%00", "/index.html%00.json", "/WEB-INF/web.xml", "/.git/config")) {
            hostile.send("static path", NO_SERVER_ERROR, "GET", path, Map.of(), null);
        }
        assertNoneSucceeded();
    }

    @Test
    @Order(5)
    void oversizedBodiesHeadersAndRequestLines() {
        String admin = "Bearer " + TestTokens.admin();
        String retry = "/rejections/" + keptRejection + "/retry";
        Map<String, String> json = Map.of("Authorization", admin, "Content-Type", "application/json");
        hostile.send("body of 64 KiB + 1", DENIED, "POST", retry, json, new byte[64 * 1024 + 1]);
        hostile.send("body of 1 MiB", DENIED, "POST", retry, json, new byte[1024 * 1024]);
        hostile.send("body of 1 MiB, anonymous", DENIED, "POST", retry, Map.of(), new byte[1024 * 1024]);
        hostile.send("malformed JSON body", DENIED, "POST", "/rejections/999999/retry", json,
                "{\"a\":".getBytes(StandardCharsets.UTF_8));
        hostile.send("XML body", DENIED, "POST", "/rejections/999999/retry", Map.of("Authorization", admin,
                "Content-Type", "application/xml"), "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>"
                        .getBytes(StandardCharsets.UTF_8));
        hostile.send("body on a read", NO_SERVER_ERROR, "GET", "/moratoria", Map.of("Content-Type", "application/json"),
                new byte[64 * 1024 + 1]);
        hostile.send("one header of 20 KiB", NO_SERVER_ERROR, "GET", "/moratoria", Map.of("X-Big", "a".repeat(20 * 1024)),
                null);
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            many.put("X-Header-" + i, "v".repeat(60));
        }
        hostile.send("300 headers", NO_SERVER_ERROR, "GET", "/moratoria", many, null);
        hostile.send("a 20 KiB token", DENIED, "POST", retry, Map.of("Authorization", "Bearer " + "A".repeat(20 * 1024)),
                null);
        hostile.send("request line of 5000", NO_SERVER_ERROR, "GET", "/moratoria?vendor=" + "v".repeat(5000), Map.of(),
                null);
        hostile.send("request line of 100000", NO_SERVER_ERROR, "GET", "/moratoria/" + "p".repeat(100_000), Map.of(),
                null);
        // the longest request a gateway may need: four names of 200 characters outside the BMP, 12 bytes
        // each percent-encoded; refused 414 while the request line was held to 4096 bytes
        String name = java.net.URLEncoder.encode("\uD83D\uDE00".repeat(200), StandardCharsets.UTF_8);
        String longest = "/access?vendor=" + name + "&product=" + name + "&segment=" + name + "&organization=" + name
                + "&at=2020-06-10T00%3A00%3A00.000000%2B14%3A00&asOf=2020-06-10T00%3A00%3A00.000000%2B14%3A00"
                + "&jurisdiction=US-CA&explain=true";
        assertThat(hostile.send("the longest /access a gateway asks", NO_SERVER_ERROR, "GET", longest, Map.of(), null)
                .status()).as("%d bytes of request target", longest.length()).isEqualTo(200);
        assertThat(hostile.send("request line past 12 KiB", NO_SERVER_ERROR, "GET", "/moratoria?vendor=" + "v".repeat(12_300),
                Map.of(), null).status()).isEqualTo(414);
        hostile.send("Accept: text/html", NO_SERVER_ERROR, "GET", "/moratoria/nothing", Map.of("Accept", "text/html"),
                null);
        hostile.send("Accept: text/html", NO_SERVER_ERROR, "GET", "/no/such/path", Map.of("Accept", "text/html"), null);
        hostile.send("Accept: text/html", DENIED, "POST", retry, Map.of("Accept", "text/html"), null);
        assertNoneSucceeded();
    }

    @Test
    @Order(6)
    void malformedHttp() {
        String retry = "/rejections/" + keptRejection + "/retry";
        List<String> requests = List.of(
                "GET /moratoria?vendor=a\r\nX-Injected: 1 HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /moratoria HTTP/1.1\r\nHost: x\r\nX-Test: a\u0000b\r\nConnection: close\r\n\r\n",
                "GET /moratoria HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\nConnection: close\r\n\r\n",
                "GET http://evil.example/moratoria HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /moratoria/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /\r\n\r\n",
                "POST " + retry + " HTTP/1.0\r\n\r\n",
                "POST " + retry + " HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n",
                "POST " + retry + " HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n",
                "POST " + retry + " HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\nConnection: close\r\n\r\n",
                "POST " + retry + " HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n"
                        + "Connection: close\r\n\r\n0\r\n\r\nPOST " + retry + " HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST " + retry + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
                "GET /moratoria HTTP/1.1\r\nHost: x\r\n\r\nPOST " + retry + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /moratoria HTTP/9.9\r\nHost: x\r\n\r\n",
                "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003",
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        for (String request : requests) {
            hostile.sendRaw("raw: " + request.replace("\r", "\\r").replace("\n", "\\n"), expectationFor(request),
                    request.getBytes(StandardCharsets.ISO_8859_1));
        }
        assertNoneSucceeded();
    }

    /** A raw request that carries a write must be denied; any other must not be a server error. */
    private static Expect expectationFor(String request) {
        return request.contains("POST ") ? DENIED : NO_SERVER_ERROR;
    }

    /**
     * A single-valued header given twice is refused before anything reads it: the token check reads
     * the first Authorization, a proxy or an audit log in front may read the last.
     */
    @Test
    @Order(7)
    void singleValuedHeadersGivenTwice() {
        String retry = "POST /rejections/" + keptRejection + "/retry HTTP/1.1\r\n";
        String admin = "Authorization: Bearer " + TestTokens.admin() + "\r\n";
        String viewer = "Authorization: Bearer " + TestTokens.viewer() + "\r\n";
        String end = "Connection: close\r\n\r\n";
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put(retry + "Host: x\r\n" + admin + viewer + end, "Authorization");
        refused.put(retry + "Host: x\r\n" + viewer + admin + end, "Authorization");
        refused.put(retry + "Host: x\r\nhost: y\r\n" + admin + end, "Host");
        refused.put(retry + "Host: x\r\n" + admin + "Content-Type: application/json\r\ncontent-type: text/plain\r\n"
                + "Content-Length: 2\r\n" + end + "{}", "Content-Type");
        refused.put("GET /notifications/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\nLast-Event-ID: 2\r\n" + end,
                "Last-Event-ID");
        refused.forEach((request, name) -> {
            RawHttp.Answer answer = RawHttp.sendRaw(base.getPort(), request.getBytes(StandardCharsets.ISO_8859_1), null, 5000);
            assertThat(answer.status()).as(request).isEqualTo(400);
            assertThat(answer.body()).as(request).isEqualTo(
                    "{\"error\":\"bad-request\",\"message\":\"" + name + " is given 2 times; give it once\"}");
        });
        // List-valued headers may repeat, and one Authorization is read as ever.
        RawHttp.Answer twoAccepts = RawHttp.sendRaw(base.getPort(), ("GET /moratoria HTTP/1.1\r\nHost: x\r\n"
                + "Accept: text/plain\r\nAccept: application/json\r\n" + viewer + end).getBytes(StandardCharsets.ISO_8859_1),
                null, 5000);
        assertThat(twoAccepts.status()).isEqualTo(200);
        assertThat(twoAccepts.body()).contains("\"policyId\":\"acme-1\"");
    }

    /**
     * A number is ASCII digits: Java reads full-width and other scripts' digits as numbers, so the
     * kept rejection's id spelled in full-width digits would retry it past a rule that guards its
     * ASCII spelling.
     */
    @Test
    @Order(8)
    void numbersInOtherDigits() {
        String admin = "Bearer " + TestTokens.admin();
        StringBuilder fullWidth = new StringBuilder();
        String.valueOf(keptRejection).chars().forEach(c -> fullWidth.append((char) (c - '0' + '\uFF10')));
        String encoded = URLEncoder.encode(fullWidth.toString(), StandardCharsets.UTF_8);
        RawHttp.Answer retried = RawHttp.send(base.getPort(), "POST", "/rejections/" + encoded + "/retry",
                Map.of("Authorization", admin), null);
        assertThat(retried.status()).isEqualTo(400);
        assertThat(retried.body()).contains("\"id must be a sequence number (0 or more)\"");
        for (String query : List.of("size=%EF%BC%91", "size=%2B1", "page=%D9%A1")) {
            RawHttp.Answer listed = RawHttp.send(base.getPort(), "GET", "/moratoria?" + query, Map.of(), null);
            assertThat(listed.status()).as(query).isEqualTo(400);
            assertThat(listed.body()).as(query).contains("\"invalid-parameter\"");
        }
    }

    @Test
    @Order(9)
    void nothingChanged() {
        System.out.println(hostile.summary("hostile requests"));
        // the one write an attacker would want: the kept rejection was never retried
        given().get("/rejections").then().statusCode(200).body("", hasSize(1))
                .body("[0].retryCount", equalTo(0)).body("[0].status", equalTo("OPEN"));
        given().get("/moratoria").then().body("total", equalTo(1)).body("items[0].policyId", equalTo("acme-1"));
        assertThat(hostile.tried()).isGreaterThan(1000);
        assertThat(hostile.succeeded()).isEmpty();
    }

    private void assertNoneSucceeded() {
        assertThat(hostile.succeeded()).as("hostile requests that succeeded").isEmpty();
    }
}
