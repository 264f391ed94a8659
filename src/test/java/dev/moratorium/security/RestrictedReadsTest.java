package dev.moratorium.security;

import static dev.moratorium.testing.HostileRequests.Expect.DENIED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.testing.ForgedTokens;
import dev.moratorium.testing.HostileRequests;
import dev.moratorium.testing.RawHttp;
import dev.moratorium.testing.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URL;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With {@code moratorium.security.restrict-reads=true}, every read — the JSON API, the dashboard's
 * static files, OpenAPI — needs role moratorium-viewer or moratorium-admin; health and metrics stay
 * open for probes and Prometheus.
 */
@QuarkusTest
@TestProfile(RestrictedReadsTest.Profile.class)
class RestrictedReadsTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("moratorium.security.restrict-reads", "true");
        }
    }

    static final List<String> READS = List.of("/", "/index.html", "/moratoria", "/moratoria?vendor=acme",
            "/moratoria/acme-1", "/moratoria/acme-1/history", "/access?vendor=a&product=b&segment=c", "/notifications",
            "/notifications/stream?after=0", "/rejections", "/ops/status", "/q/openapi", "/q/swagger-ui",
            "/q/health/../../moratoria", "/q/metrics/%2e%2e/%2e%2e/rejections");
    static final List<String> OPEN = List.of("/q/health", "/q/health/live", "/q/health/ready", "/q/metrics");

    @TestHTTPResource("/")
    URL base;

    @Test
    void readsNeedAReadersRoleProbesDoNot() {
        HostileRequests hostile = new HostileRequests(base.getPort());
        int port = base.getPort();
        for (String path : READS) {
            for (String method : List.of("GET", "HEAD", "OPTIONS")) {
                hostile.send("anonymous", DENIED, method, path, Map.of(), null);
            }
            ForgedTokens.all().forEach((label, authorization) -> {
                if (!label.equals(ForgedTokens.VIEWER)) {
                    hostile.send(label, DENIED, "GET", path,
                            authorization == null ? Map.of() : Map.of("Authorization", authorization), null);
                }
            });
            hostile.send("token from another issuer with role viewer", DENIED, "GET", path, Map.of("Authorization",
                    "Bearer " + ForgedTokens.rs256(TestTokens.privateKey(), ForgedTokens.header(),
                            ForgedTokens.payload("urn:someone-else", "moratorium-viewer", now(), now() + 300))), null);

            RawHttp.Answer anonymous = RawHttp.send(port, "GET", path, Map.of(), null, 600);
            assertThat(anonymous.status()).as("anonymous GET %s", path).isEqualTo(401);
            assertThat(anonymous.header("www-authenticate")).isEqualTo("Bearer");
            assertThat(anonymous.body()).contains("\"error\":\"unauthorized\"");
            RawHttp.Answer noRole = RawHttp.send(port, "GET", path, bearer(TestTokens.withGroups()), null, 600);
            assertThat(noRole.status()).as("GET %s without a role", path).isEqualTo(403);
            assertThat(noRole.body()).contains("\"error\":\"forbidden\"");
            for (String reader : List.of(TestTokens.viewer(), TestTokens.admin())) {
                int status = RawHttp.send(port, "GET", path, bearer(reader), null, 600).status();
                // past security: the endpoint answers (no dashboard files in this build: 404; Swagger UI redirects)
                assertThat(status).as("GET %s as a reader", path).isIn(200, 302, 400, 404);
            }
        }
        for (String path : OPEN) {
            assertThat(RawHttp.send(port, "GET", path, Map.of(), null).status()).as("anonymous GET %s", path)
                    .isEqualTo(200);
        }
        hostile.send("viewer writes", DENIED, "POST", "/rejections/1/retry", bearer(TestTokens.viewer()), null);
        System.out.println(hostile.summary("restricted reads, hostile requests"));
        assertThat(hostile.succeeded()).isEmpty();
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    private static long now() {
        return java.time.Instant.now().getEpochSecond();
    }
}
