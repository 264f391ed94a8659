package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.moratorium.testing.Sql;
import dev.moratorium.testing.TestTokens;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * With private targets not allowed (the production default), the API refuses URLs that reach the
 * service's own network: loopback, private, link-local, metadata, unspecified. And subscriptions
 * stop at their cap, however many requests race for the last places.
 */
@QuarkusTest
@TestProfile(WebhookTargetsTest.Profile.class)
class WebhookTargetsTest {

    static final int CAP = 40;
    private static final String PUBLIC_URL = "{\"url\":\"http://93.184.216.34/hooks\"}";

    @Inject
    AgroalDataSource dataSource;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("moratorium.webhooks.allow-private-targets", "false",
                    "moratorium.webhooks.max-subscriptions", String.valueOf(CAP),
                    "moratorium.writers.lock-timeout", "1s");
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

    /**
     * The tests' database is shared by every test class, so the subscriptions others left count too:
     * the table is filled (with paused rows, which nothing delivers to) to three places below the
     * cap, twelve creations race for them, and everything this test added is deleted at the end.
     */
    @Test
    void subscriptionsStopAtTheCapHoweverManyCreationsRace() throws Exception {
        int existing = given().get("/subscriptions").then().statusCode(200).extract().jsonPath().getList("id").size();
        assertThat(existing).as("other tests' subscriptions leave room for this one").isLessThan(CAP - 3);
        List<String> added = new ArrayList<>();
        try {
            for (int i = existing; i < CAP - 3; i++) {
                String id = UUID.randomUUID().toString();
                Sql.execute(dataSource, "INSERT INTO webhook_subscription (id, url, secret, types, vendors, status,"
                        + " delivered_up_to, next_attempt_at, created_at, updated_at) VALUES ('" + id + "',"
                        + " 'http://93.184.216.34/filler', 'whsec_x', '[]', '[]', 'PAUSED', 0, now(), now(), now())");
                added.add(id);
            }
            ExecutorService racers = Executors.newFixedThreadPool(12);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<io.restassured.response.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                answers.add(racers.submit(() -> {
                    go.await();
                    return create();
                }));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<io.restassured.response.Response> answer : answers) {
                io.restassured.response.Response r = answer.get(60, TimeUnit.SECONDS);
                statuses.add(r.statusCode());
                if (r.statusCode() == 201) {
                    added.add(r.jsonPath().getString("id"));
                } else {
                    assertThat(r.jsonPath().getString("error")).isEqualTo("subscription-limit");
                    assertThat(r.jsonPath().getString("message")).isEqualTo("there are " + CAP + " webhook"
                            + " subscriptions, and moratorium.webhooks.max-subscriptions allows " + CAP
                            + "; delete one before adding another");
                }
            }
            racers.shutdown();
            assertThat(statuses).filteredOn(s -> s == 201).hasSize(3);
            assertThat(statuses).filteredOn(s -> s == 409).hasSize(9);
            assertThat(given().get("/subscriptions").then().statusCode(200).extract().jsonPath().getList("id"))
                    .hasSize(CAP);

            // one deleted makes room for one, and only one
            String freed = added.remove(added.size() - 1);
            given().auth().oauth2(TestTokens.admin()).delete("/subscriptions/" + freed).then().statusCode(204);
            io.restassured.response.Response again = create();
            assertThat(again.statusCode()).isEqualTo(201);
            added.add(again.jsonPath().getString("id"));
            assertThat(create().statusCode()).isEqualTo(409);
        } finally {
            for (String id : added) {
                Sql.execute(dataSource, "DELETE FROM webhook_subscription WHERE id = '" + id + "'");
            }
        }
    }

    /**
     * A subscription's row held locked by another session — a frozen replica inside one of its
     * delivery transactions — answers the writes that need it with 503 {@code busy} after the
     * writers' lock timeout (1 s here), not as long as the holder lasts; so does the creations' lock.
     * Once the holder is gone, the same writes go through.
     */
    @Test
    void aWriteBehindAFrozenHolderAnswersBusyAfterTheLockTimeout() throws Exception {
        String id = create().then().statusCode(201).extract().jsonPath().getString("id");
        try {
            try (Connection holder = dataSource.getConnection()) {
                holder.setAutoCommit(false);
                try (Statement s = holder.createStatement()) {
                    s.executeQuery("SELECT id FROM webhook_subscription WHERE id = '" + id + "' FOR UPDATE").close();
                    s.executeQuery("SELECT pg_advisory_xact_lock(" + 0x776562686f6f6b5fL + ")").close();
                }
                long started = System.nanoTime();
                admin().contentType(ContentType.JSON).body("{\"paused\":true}").patch("/subscriptions/" + id)
                        .then().statusCode(503).header("Retry-After", "5").body("error", equalTo("busy"));
                assertThat((System.nanoTime() - started) / 1_000_000).as("ms").isLessThan(20_000);
                admin().post("/subscriptions/" + id + "/replay?after=0").then().statusCode(503)
                        .body("error", equalTo("busy"));
                admin().delete("/subscriptions/" + id).then().statusCode(503).body("error", equalTo("busy"));
                create().then().statusCode(503).body("error", equalTo("busy"));
                holder.rollback();
            }
            admin().contentType(ContentType.JSON).body("{\"paused\":true}").patch("/subscriptions/" + id)
                    .then().statusCode(200).body("status", equalTo("PAUSED"));
        } finally {
            admin().delete("/subscriptions/" + id).then().statusCode(204);
        }
    }

    private static io.restassured.specification.RequestSpecification admin() {
        return given().auth().oauth2(TestTokens.admin());
    }

    private static io.restassured.response.Response create() {
        return given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON).body(PUBLIC_URL)
                .post("/subscriptions");
    }
}
