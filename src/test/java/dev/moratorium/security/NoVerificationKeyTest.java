package dev.moratorium.security;

import dev.moratorium.testing.OwnInfrastructureProfile;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.moratorium.testing.EmbeddedInfrastructureResource;
import dev.moratorium.testing.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Production without MP_JWT_VERIFY_PUBLICKEY: the service starts and fails closed — every write
 * answers 401, even with a well-formed admin token; probes, metrics and open reads still work.
 */
@QuarkusTest
@TestProfile(NoVerificationKeyTest.Profile.class)
class NoVerificationKeyTest {

    public static class Profile extends OwnInfrastructureProfile {
        public Profile() {
            super(Map.of(EmbeddedInfrastructureResource.JWT_KEY, "none"));
        }
    }

    @Inject
    VerificationKey verificationKey;

    @Test
    void writesAnswer401ReadsAndProbesWork() {
        assertThat(verificationKey.configured()).isFalse();
        given().post("/rejections/1/retry").then().statusCode(401).body("error", equalTo("unauthorized"));
        given().auth().oauth2(TestTokens.admin()).post("/rejections/1/retry").then().statusCode(401)
                .header("WWW-Authenticate", "Bearer").body("error", equalTo("unauthorized"));
        given().get("/moratoria").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
        // the OpenAPI document tells clients which scheme and role the write needs
        String openapi = given().get("/q/openapi").then().statusCode(200).extract().asString();
        assertThat(openapi).contains("scheme: bearer", "bearerFormat: JWT", "- moratorium-admin");
    }
}
