package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.moratorium.testing.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * With private targets not allowed (the production default), the API refuses URLs that reach the
 * service's own network: loopback, private, link-local, metadata, unspecified.
 */
@QuarkusTest
@TestProfile(WebhookTargetsTest.Profile.class)
class WebhookTargetsTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("moratorium.webhooks.allow-private-targets", "false");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:8080/hooks", "http://localhost/hooks", "http://[::1]/",
            "http://10.0.0.7/", "http://172.16.3.4/", "http://192.168.0.10/", "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/", "http://[fd00::1]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/"})
    void internalTargetsAreRefused(String url) {
        given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON).body("{\"url\":\"" + url + "\"}")
                .post("/subscriptions").then().statusCode(400)
                .body("error", equalTo("invalid-field"))
                .body("message", containsString("only public addresses may receive webhooks"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://93.184.216.34/hooks", "https://[2606:4700:4700::1111]/hooks"})
    void publicAddressesAreAccepted(String url) {
        JsonPath created = given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON)
                .body("{\"url\":\"" + url + "\"}").post("/subscriptions").then().statusCode(201)
                .body("secret", containsString("whsec_")).extract().jsonPath();
        // the times the answer shows are the ones stored (microseconds), not finer ones a later read would lose
        given().auth().oauth2(TestTokens.admin()).get("/subscriptions/" + created.getString("id")).then().statusCode(200)
                .body("createdAt", equalTo(created.getString("createdAt")))
                .body("updatedAt", equalTo(created.getString("updatedAt")));
    }
}
