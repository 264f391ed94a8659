package dev.moratorium.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moratorium.security.CallerPermissions;
import dev.moratorium.testing.TestTokens;
import dev.moratorium.wire.WireJson;
import io.smallrye.jwt.build.Jwt;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The subscriptions API of a packaged service, called as an operator would: writes carry a bearer
 * token with role {@code moratorium-admin}, signed with a key pair made for the test whose public
 * half the service gets in {@code MP_JWT_VERIFY_PUBLICKEY} (as {@code EmbeddedInfrastructureResource}
 * does in-process, and as production gets its issuer's key).
 */
final class SubscriptionsClient {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String base;
    private final String token;

    private SubscriptionsClient(String baseUrl, KeyPair keys) {
        this.base = baseUrl;
        this.token = Jwt.issuer(TestTokens.ISSUER).upn("webhook-reliability").groups(Set.of(CallerPermissions.ADMIN))
                .expiresIn(600).sign(keys.getPrivate());
    }

    /** For a started (and ready) service whose verification key is the public half of {@code keys}. */
    static SubscriptionsClient of(ServiceProcess service, KeyPair keys) {
        return new SubscriptionsClient(service.baseUrl(), keys);
    }

    /** The environment that lets the service verify this client's tokens and deliver to loopback receivers. */
    static Map<String, String> env(KeyPair keys) {
        return Map.of("MP_JWT_VERIFY_PUBLICKEY", TestTokens.publicKeySetting(keys),
                // the receivers listen on loopback, which production refuses (SSRF)
                "MORATORIUM_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true");
    }

    /** {@code POST /subscriptions}; the answer carries {@code id} and {@code secret}. */
    JsonNode subscribe(String json) throws IOException, InterruptedException {
        return send("POST", "/subscriptions", json, 201);
    }

    JsonNode patch(String id, String json) throws IOException, InterruptedException {
        return send("PATCH", "/subscriptions/" + id, json, 200);
    }

    JsonNode get(String id) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/subscriptions/" + id))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET /subscriptions/" + id + " answered " + r.statusCode() + ": " + r.body());
        }
        return WireJson.parse(r.body());
    }

    private JsonNode send(String method, String path, String json, int expected) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).header("content-type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json)).build();
        HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return WireJson.parse(r.body());
    }
}
