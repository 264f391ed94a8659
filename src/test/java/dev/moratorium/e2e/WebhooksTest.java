package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.SeedStory;
import dev.moratorium.testing.StandardWebhooksVerifier;
import dev.moratorium.testing.StandardWebhooksVerifier.Signed;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.testing.TestTokens;
import dev.moratorium.testing.WebhookReceiver;
import dev.moratorium.testing.WebhookReceiver.Received;
import dev.moratorium.testing.WebhookReceiver.Reply;
import dev.moratorium.wire.WireJson;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Webhook subscribers end to end: real receivers on loopback, the seed story through the real
 * broker and database, and every signature checked by the npm package standardwebhooks. All
 * subscribers are set up first and work at the same time, so a hanging one is seen not to delay
 * the others.
 */
@QuarkusTest
@TestProfile(WebhooksTest.Profile.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebhooksTest {

    /** Short timeouts and backoff, so that a day of retries fits in seconds. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "moratorium.webhooks.initial-backoff", "200ms",
                    "moratorium.webhooks.max-backoff", "3s",
                    "moratorium.webhooks.connect-timeout", "1s",
                    "moratorium.webhooks.request-timeout", "1500ms",
                    // longer than the flaky receiver's 30 s of 500s, which must not park it
                    "moratorium.webhooks.retry-for", "45s",
                    "moratorium.webhooks.poll", "200ms");
        }
    }

    /** One character outside the BMP: two UTF-16 units, one code point, as PostgreSQL counts it. */
    private static final String EMOJI = "\uD83D\uDE00";
    private static final Duration FLAKY_FOR = Duration.ofSeconds(30); // as the issue asks: 500 for 30 s, then 200

    @Inject
    EntityManager em;

    private final Map<String, WebhookReceiver> receivers = new HashMap<>();
    private final Map<String, String> ids = new HashMap<>();
    private final Map<String, String> secrets = new HashMap<>();
    private long producedAt;

    /**
     * Run by the first test rather than in {@code @BeforeAll}: RestAssured learns the application's
     * (random) port only once the first test starts.
     */
    void subscribeThenProduceTheSeedStory() {
        receivers.put("ok", WebhookReceiver.answering(204));
        AtomicLong firstFlaky = new AtomicLong();
        receivers.put("flaky", WebhookReceiver.start(n -> {
            firstFlaky.compareAndSet(0, System.nanoTime());
            return Reply.of(System.nanoTime() - firstFlaky.get() < FLAKY_FOR.toNanos() ? 500 : 200);
        }));
        receivers.put("hang", WebhookReceiver.start(n -> new Reply(200, Map.of(), Duration.ofSeconds(30))));
        receivers.put("gone", WebhookReceiver.answering(410));
        receivers.put("limited", WebhookReceiver.start(n -> n == 0
                ? new Reply(429, Map.of("Retry-After", "2"), Duration.ZERO) : Reply.of(200)));
        receivers.put("broken", WebhookReceiver.answering(204));
        receivers.put("endless", WebhookReceiver.start(n -> Reply.endless(200)));
        receivers.forEach((name, receiver) -> {
            JsonNode created = subscribe("{\"url\":\"" + receiver.url() + "\",\"description\":\"" + name + "\"}");
            ids.put(name, created.get("id").asText());
            secrets.put(name, created.get("secret").asText());
        });
        // a URL stored before the API refused it: the HTTP client will not send to port 99999
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                "UPDATE webhook_subscription SET url = 'http://127.0.0.1:99999/hooks' WHERE id = :id")
                .setParameter("id", ids.get("broken")).executeUpdate());
        producedAt = System.nanoTime();
        SeedStory.produce();
    }

    @AfterAll
    void stopReceivers() {
        receivers.values().forEach(WebhookReceiver::close);
    }

    @Test
    @Order(1)
    void theSeedStoryIsDeliveredOnceEachInOrderSignedPromptlyDespiteAHangingSubscriber() throws Exception {
        subscribeThenProduceTheSeedStory();
        WebhookReceiver ok = receivers.get("ok");
        await().atMost(Duration.ofSeconds(20)).until(() -> ok.received().size() >= 3);
        double seconds = (System.nanoTime() - producedAt) / 1e9;
        Thread.sleep(1_000); // anything sent twice would have arrived by now
        List<Received> got = ok.received();
        System.out.printf("webhooks: seed story delivered to a healthy subscriber %.2f s after it was produced,"
                + " while another subscriber's receiver hangs%n", seconds);
        // generous for a loaded CI machine; a hanging receiver shared with it would cost 1.5 s per attempt, forever
        assertThat(seconds).as("healthy subscriber not slowed by the hanging one").isLessThan(15);

        List<JsonNode> notifications = notifications();
        assertThat(notifications).hasSize(3);
        // once each, in sequence order (so each policy's notifications in their order)
        assertThat(got.stream().map(Received::webhookId).toList())
                .containsExactlyElementsOf(notifications.stream().map(n -> n.get("notificationId").asText()).toList());
        for (int i = 0; i < got.size(); i++) {
            Received r = got.get(i);
            ObjectNode expected = (ObjectNode) notifications.get(i).deepCopy();
            expected.remove("sequence");
            assertThat(WireJson.parse(r.body())).isEqualTo(expected);
            assertThat(r.header("content-type")).isEqualTo("application/json");
            assertThat(Long.parseLong(r.header("webhook-timestamp")))
                    .isBetween(System.currentTimeMillis() / 1000 - 60, System.currentTimeMillis() / 1000 + 1);
            assertThat(r.header("webhook-signature")).startsWith("v1,").doesNotContain(" ");
        }
        assertThat(got.stream().map(r -> WireJson.parse(r.body()).get("type").asText()).toList())
                .containsExactly("access.withdrawn", "access.suspended", "access.restored");
        verified(got.stream().map(r -> new Signed(secrets.get("ok"), r)).toList());

        JsonNode deliveries = deliveries("ok");
        assertThat(deliveries).hasSize(3);
        for (JsonNode d : deliveries) {
            assertThat(d.get("statusCode").asInt()).isEqualTo(204);
            assertThat(d.get("attempt").asInt()).isEqualTo(1);
        }
        JsonNode subscription = subscription("ok");
        assertThat(subscription.get("deliveredUpTo").asLong())
                .isEqualTo(notifications.get(2).get("sequence").asLong());
        assertThat(subscription.has("secret")).isFalse();
    }

    @Test
    @Order(2)
    void aReceiverThatFailsForThirtySecondsGetsEverythingWithGrowingBackoff() {
        WebhookReceiver flaky = receivers.get("flaky");
        await().atMost(FLAKY_FOR.plusSeconds(40)).until(() -> flaky.delivered().size() >= 3);
        List<Received> got = flaky.received();
        List<Received> firstTries = got.stream().filter(r -> r.webhookId().equals(got.get(0).webhookId())).toList();
        List<Long> gapsMs = new ArrayList<>();
        for (int i = 1; i < firstTries.size(); i++) {
            gapsMs.add((firstTries.get(i).nanos() - firstTries.get(i - 1).nanos()) / 1_000_000);
        }
        System.out.printf("webhooks: a receiver failing for %d s got its first notification after %d attempts,"
                + " %s ms apart%n", FLAKY_FOR.toSeconds(), firstTries.size(), gapsMs);
        assertThat(firstTries.size()).isGreaterThanOrEqualTo(5);
        assertThat(firstTries.get(firstTries.size() - 1).answered()).isEqualTo(200);
        // 200 ms doubling, jittered to 50-100 %, capped at 3 s: the last waits are at least 1.5 s each, many
        // times the first ones (a loaded machine stretches the short waits, never shortens the long ones)
        long firstTwo = Math.min(gapsMs.get(0), gapsMs.get(1));
        long lastTwo = Math.min(gapsMs.get(gapsMs.size() - 1), gapsMs.get(gapsMs.size() - 2));
        assertThat(lastTwo).as("backoff grows: " + gapsMs).isGreaterThanOrEqualTo(1_400).isGreaterThan(2 * firstTwo);
        assertThat(flaky.delivered().stream().map(Received::webhookId).distinct()).hasSize(3);
        verified(flaky.received().stream().map(r -> new Signed(secrets.get("flaky"), r)).toList());

        JsonNode deliveries = deliveries("flaky");
        assertThat(deliveries.get(0).get("statusCode").asInt()).isEqualTo(500);
        assertThat(deliveries.get(1).get("attempt").asInt()).isEqualTo(2);
        assertThat(subscription("flaky").get("status").asText()).isEqualTo("ACTIVE");
        assertThat(subscription("flaky").get("attempts").asInt()).isZero();
    }

    /**
     * A stored URL the HTTP client refuses (port 99999) is that subscription's failed attempt, with
     * backoff. It used to fail the worker's whole round; due first, it then took every round, and
     * every other subscriber waited (the tests before this one deliver meanwhile).
     */
    @Test
    @Order(3)
    void aUrlTheClientRefusesFailsOnlyItsOwnSubscription() {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(subscription("broken").get("lastError")
                .asText()).contains("port must be from 1 to 65535"));
        assertThat(deliveries("broken").get(0).get("error").asText()).startsWith("refused:");
        assertThat(receivers.get("ok").delivered()).hasSize(3);
        given().auth().oauth2(TestTokens.admin()).delete("/subscriptions/" + ids.remove("broken")).then().statusCode(204);
    }

    /**
     * The client that delivers is Vert.x's, which Quarkus can measure per request: with the URL's
     * path as a label, every subscriber would add series of its own to what Prometheus scrapes. It
     * records none; the deliveries are counted by subscription (`moratorium_webhook_deliveries_total`).
     */
    @Test
    @Order(3)
    void deliveriesAddNoMetricSeriesPerReceiverUrl() {
        assertThat(receivers.get("ok").delivered()).isNotEmpty();
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(text).contains("moratorium_webhook_deliveries_total").doesNotContain("http_client_");
    }

    /**
     * A receiver that answers at once and then never ends its body (a streaming endpoint given as
     * the URL, a slow loris): the request timeout ends only the wait for the headers, so the worker
     * waited for ever, and, its lease run out, every other worker in turn. The whole exchange now
     * ends within the connect and request timeouts together (1 s + 1.5 s here), as a failed attempt.
     */
    @Test
    @Order(3)
    void aReceiverThatNeverEndsItsAnswerFailsItsAttemptInTime() {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(deliveries("endless").size())
                .as("attempts that ended").isGreaterThanOrEqualTo(2));
        for (JsonNode d : deliveries("endless")) {
            assertThat(d.get("statusCode").isNull()).isTrue();
            assertThat(d.get("error").asText()).isEqualTo("timeout: the answer did not end within 2500 ms");
            assertThat(d.get("durationMs").asLong()).isBetween(2_400L, 6_000L);
        }
        // the connection was closed, not left streaming into a forgotten exchange
        await().atMost(Duration.ofSeconds(5)).until(() -> receivers.get("endless").abandonedAnswers() >= 2);
        assertThat(subscription("endless").get("attempts").asInt()).as("failed attempts in a row").isGreaterThanOrEqualTo(2);
        given().auth().oauth2(TestTokens.admin()).delete("/subscriptions/" + ids.remove("endless")).then().statusCode(204);
    }

    @Test
    @Order(3)
    void a410DisablesTheSubscription() {
        await().atMost(Duration.ofSeconds(10)).until(() -> "DISABLED".equals(subscription("gone").get("status").asText()));
        assertThat(receivers.get("gone").received()).hasSize(1);
        assertThat(deliveries("gone").get(0).get("statusCode").asInt()).isEqualTo(410);
    }

    @Test
    @Order(4)
    void retryAfterIsHonoured() {
        WebhookReceiver limited = receivers.get("limited");
        await().atMost(Duration.ofSeconds(15)).until(() -> limited.delivered().size() >= 3);
        List<Received> got = limited.received();
        assertThat(got.get(0).answered()).isEqualTo(429);
        assertThat(got.get(1).webhookId()).isEqualTo(got.get(0).webhookId());
        long waitedMs = (got.get(1).nanos() - got.get(0).nanos()) / 1_000_000;
        System.out.printf("webhooks: after 429 with Retry-After: 2 the next attempt came %d ms later%n", waitedMs);
        assertThat(waitedMs).isGreaterThanOrEqualTo(1_900);
    }

    @Test
    @Order(5)
    void aHangingReceiverTimesOutThenParksAsFailingUntilResumed() {
        WebhookReceiver hang = receivers.get("hang");
        await().atMost(Duration.ofSeconds(75)).until(() -> "FAILING".equals(subscription("hang").get("status").asText()));
        JsonNode deliveries = deliveries("hang");
        assertThat(deliveries.size()).isGreaterThanOrEqualTo(2);
        for (JsonNode d : deliveries) {
            assertThat(d.get("statusCode").isNull()).isTrue();
            assertThat(d.get("error").asText()).contains("timeout");
            assertThat(d.get("durationMs").asLong()).isBetween(1_400L, 5_000L);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("moratorium_webhook_subscriptions_failing") >= 1);
        int before = hang.received().size();
        // parked: nothing more is tried
        await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertThat(hang.received()).hasSize(before);

        hang.behave(n -> Reply.of(200));
        given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON).body("{\"paused\":false}")
                .patch("/subscriptions/" + ids.get("hang")).then().statusCode(200).body("status", equalTo("ACTIVE"));
        await().atMost(Duration.ofSeconds(15)).until(() -> hang.delivered().size() >= 3);
        assertThat(hang.delivered().stream().map(Received::webhookId).distinct()).hasSize(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("moratorium_webhook_subscriptions_failing") == 0);
    }

    @Test
    @Order(6)
    void aRotatedSecretSignsAlongsideTheOldOneDuringTheOverlap() {
        Response rotated = given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON)
                .body("{\"rotateSecret\":true}").patch("/subscriptions/" + ids.get("ok"));
        rotated.then().statusCode(200);
        String newSecret = rotated.jsonPath().getString("secret");
        assertThat(newSecret).startsWith("whsec_").isNotEqualTo(secrets.get("ok"));
        assertThat(rotated.jsonPath().getString("previousSecretUntil")).isNotNull();

        WebhookReceiver ok = receivers.get("ok");
        int before = ok.received().size();
        TestKafka.sendStructured("webhook-rotation", Events.announce("webhook-rotation-1", "webhook-rotation",
                "2030-01-01", null));
        await().atMost(Duration.ofSeconds(20)).until(() -> ok.received().size() > before);
        Received r = ok.received().get(before);
        assertThat(r.header("webhook-signature").split(" ")).hasSize(2);
        // a receiver that still has the old secret, and one that has the new one, both accept it
        verified(List.of(new Signed(newSecret, r), new Signed(secrets.get("ok"), r)));
        secrets.put("ok", newSecret);
    }

    @Test
    @Order(7)
    void replayDeliversAgainFromASequenceWithTheSameIds() {
        WebhookReceiver ok = receivers.get("ok");
        int before = ok.received().size();
        List<String> firstIds = ok.received().stream().map(Received::webhookId).toList();
        given().auth().oauth2(TestTokens.admin()).post("/subscriptions/" + ids.get("ok") + "/replay?after=0")
                .then().statusCode(200).body("deliveredUpTo", equalTo(0));
        await().atMost(Duration.ofSeconds(20)).until(() -> ok.received().size() >= 2 * before);
        assertThat(ok.received().subList(before, 2 * before).stream().map(Received::webhookId).toList())
                .containsExactlyElementsOf(firstIds);
    }

    /**
     * A replay's cursor is bounded by the last sequence the database has given a notification, not by
     * the highest row: retention may have deleted the newest rows (as here a sequence given and its row
     * gone), and a cursor past them, the subscriber's own among them, was refused as past the newest.
     */
    @Test
    @Order(7)
    void aReplayTakesACursorPastTheRowsRetentionDeleted() {
        WebhookReceiver receiver = WebhookReceiver.answering(200);
        receivers.put("past-rows", receiver);
        String id = subscribe("{\"url\":\"" + receiver.url() + "\"}").get("id").asText();
        long last = QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery(
                "SELECT nextval('notification_seq')").getSingleResult()).longValue());
        given().auth().oauth2(TestTokens.admin()).post("/subscriptions/" + id + "/replay?after=" + last)
                .then().statusCode(200).body("deliveredUpTo", equalTo((int) last));
        given().auth().oauth2(TestTokens.admin()).post("/subscriptions/" + id + "/replay?after=" + (last + 1))
                .then().statusCode(400).body("message", equalTo("after must be at most " + last
                        + ", the last sequence given to a notification"));
        given().auth().oauth2(TestTokens.admin()).delete("/subscriptions/" + id).then().statusCode(204);
        assertThat(receiver.received()).isEmpty();
    }

    @Test
    @Order(8)
    void theApiValidatesAndGuardsWrites() {
        String url = receivers.get("ok").url();
        given().contentType(ContentType.JSON).body("{\"url\":\"" + url + "\"}").post("/subscriptions")
                .then().statusCode(401).body("error", equalTo("unauthorized"));
        given().auth().oauth2(TestTokens.viewer()).contentType(ContentType.JSON).body("{\"url\":\"" + url + "\"}")
                .post("/subscriptions").then().statusCode(403);
        for (String[] bad : new String[][] {
                {"{\"url\":\"ftp://example.com/\"}", "http or https"},
                {"{\"url\":\"https://example.com/" + "a".repeat(2048) + "\"}", "2048"},
                {"{}", "url is required"},
                {"{\"url\":\"" + url + "\",\"types\":[\"access.nope\"]}", "not a notification type"},
                {"{\"url\":\"" + url + "\",\"types\":\"access.suspended\"}", "types has the wrong type"},
                {"{\"url\":\"" + url + "\",\"colour\":\"red\"}", "unknown field"},
                // half a surrogate pair, which a JSON escape can name alone: kept before as "?" (a path became a query)
                {"{\"url\":\"" + url + "/a\\ud800b\"}", "half of a surrogate pair"},
                {"{\"url\":\"" + url + "\",\"vendors\":[\"Amazon\\udc00\"]}", "half a surrogate pair"},
                {"{\"url\":\"" + url + "\",\"types\":[\"\\ud800\"]}", "half a surrogate pair"},
                {"{\"url\":\"" + url + "\",\"description\":\"ops \\ud83d\"}", "half a surrogate pair"},
                {"{\"url\":\"" + url + "\",\"description\":\"ops\\u0000\"}", "control characters"},
                // read as strictly as policy-change records: before, the last url won, 12 was kept as "12"
                // and what followed the object was ignored
                {"{\"url\":\"https://example.com/\",\"url\":\"" + url + "\"}", "gives a field twice"},
                {"{\"url\":\"" + url + "\",\"description\":12}", "description has the wrong type"},
                {"{\"url\":\"" + url + "\",\"vendors\":[1e400]}", "vendors has the wrong type"},
                {"{\"url\":\"" + url + "\",\"types\":[true]}", "types has the wrong type"},
                // limits count characters as the columns do: 200 emoji fit (below), 201 do not
                {"{\"url\":\"" + url + "\",\"vendors\":[\"" + EMOJI.repeat(201) + "\"]}", "1 to 200 characters"},
                {"{\"url\":\"" + url + "\",\"description\":\"" + EMOJI.repeat(501) + "\"}", "at most 500 characters"},
                {"{\"url\":\"" + url + "\"} {\"url\":\"" + url + "\"}", "more than one JSON value"},
                {"{\"url\":\"" + url + "\"}garbage", "not valid JSON"},
                {"not json", "not valid JSON"}}) {
            given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON).body(bad[0]).post("/subscriptions")
                    .then().statusCode(400).body("error", equalTo("invalid-field"))
                    .body("message", org.hamcrest.Matchers.containsString(bad[1]));
        }
        given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON)
                .body("{\"description\":\"\\udc00 ops\"}").patch("/subscriptions/" + ids.get("ok"))
                .then().statusCode(400).body("message", org.hamcrest.Matchers.containsString("half a surrogate pair"));
        given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON)
                .body("{\"url\":\"" + url + "?x=\\ud800\"}").patch("/subscriptions/" + ids.get("ok"))
                .then().statusCode(400).body("message", org.hamcrest.Matchers.containsString("half of a surrogate pair"));
        for (String[] bad : new String[][] {{"{\"paused\":\"true\"}", "paused has the wrong type"},
                {"{\"paused\":true,\"paused\":false}", "gives a field twice"}}) {
            given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON).body(bad[0])
                    .patch("/subscriptions/" + ids.get("ok")).then().statusCode(400)
                    .body("message", org.hamcrest.Matchers.containsString(bad[1]));
        }
        given().get("/subscriptions/" + ids.get("ok")).then().statusCode(200).body("url", equalTo(url))
                .body("status", equalTo("ACTIVE"));
        given().get("/subscriptions/not-an-id").then().statusCode(404).body("error", equalTo("unknown-subscription"));
        given().get("/subscriptions/00000000-0000-0000-0000-000000000000").then().statusCode(404);
        given().get("/subscriptions/" + ids.get("ok") + "/deliveries?limit=0").then().statusCode(400);
        assertThat(given().get("/subscriptions").then().statusCode(200).extract().asString()).doesNotContain("whsec_");

        JsonNode filtered = subscribe("{\"url\":\"" + url + "\",\"types\":[\"access.restored\"],\"vendors\":[\"ＡＭＡＺＯＮ\",\""
                + EMOJI.repeat(200) + "\"],\"description\":\"" + EMOJI.repeat(500) + "\"}");
        String id = filtered.get("id").asText();
        given().get("/subscriptions/" + id).then().statusCode(200).body("vendors[1]", equalTo(EMOJI.repeat(200)))
                .body("description", equalTo(EMOJI.repeat(500)));
        given().auth().oauth2(TestTokens.admin()).delete("/subscriptions/" + id).then().statusCode(204);
        given().get("/subscriptions/" + id).then().statusCode(404);
        given().auth().oauth2(TestTokens.admin()).delete("/subscriptions/" + id).then().statusCode(404);
    }

    /**
     * A receiver answering 503 with Retry-After: 0 for a second and a half: each attempt still waits
     * the first backoff (200 ms here). Honoured as it was, the request came again the moment the
     * receiver answered, as fast as it could answer, for as long as the retry window lasts.
     */
    @Test
    @Order(9)
    void retryAfterZeroStillWaitsTheFirstDelay() {
        AtomicLong first = new AtomicLong();
        WebhookReceiver receiver = WebhookReceiver.start(n -> {
            first.compareAndSet(0, System.nanoTime());
            return System.nanoTime() - first.get() < Duration.ofMillis(1_500).toNanos()
                    ? new Reply(503, Map.of("Retry-After", "0"), Duration.ZERO) : Reply.of(204);
        });
        receivers.put("eager", receiver);
        String id = subscribe("{\"url\":\"" + receiver.url() + "\",\"types\":[\"access.withdrawn\"]}").get("id").asText();
        given().auth().oauth2(TestTokens.admin()).post("/subscriptions/" + id + "/replay?after=0").then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.delivered().size() >= 1);
        List<Received> got = receiver.received();
        System.out.printf("webhooks: 503 with Retry-After: 0 for 1.5 s, then 204: %d attempts%n", got.size());
        for (int i = 1; i < got.size(); i++) {
            assertThat((got.get(i).nanos() - got.get(i - 1).nanos()) / 1_000_000).as("attempt %d", i + 1)
                    .isGreaterThanOrEqualTo(190);
        }
        assertThat(got).hasSizeBetween(2, 10);
        given().auth().oauth2(TestTokens.admin()).delete("/subscriptions/" + id).then().statusCode(204);
    }

    @Test
    @Order(9)
    void filtersPickTypesAndVendorsByNameKey() {
        WebhookReceiver receiver = WebhookReceiver.answering(200);
        receivers.put("filtered", receiver);
        JsonNode created = subscribe("{\"url\":\"" + receiver.url()
                + "\",\"types\":[\"access.restored\",\"access.withdrawn\"],\"vendors\":[\"ＡＭＡＺＯＮ\"]}");
        given().auth().oauth2(TestTokens.admin()).post("/subscriptions/" + created.get("id").asText() + "/replay?after=0")
                .then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() >= 1);
        await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertThat(receiver.received().stream().map(r -> WireJson.parse(r.body()).get("type").asText()).toList())
                .containsExactly("access.restored");
    }

    @Test
    @Order(10)
    void deliveryRateAndLatency() throws Exception {
        // one subscriber at a modest rate: the others are paused, so their deliveries do not share the workers
        for (String id : ids.values()) {
            given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON).body("{\"paused\":true}")
                    .patch("/subscriptions/" + id).then().statusCode(200);
        }
        WebhookReceiver bench = WebhookReceiver.answering(200);
        receivers.put("bench", bench);
        String benchId = subscribe("{\"url\":\"" + bench.url() + "\"}").get("id").asText();
        int events = 200;
        Map<String, Long> sentAt = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer()) {
            long start = System.nanoTime();
            for (int i = 0; i < events; i++) {
                String id = "bench-" + i;
                long due = start + i * 50_000_000L; // 20 events/s
                long sleep = (due - System.nanoTime()) / 1_000_000;
                if (sleep > 0) {
                    Thread.sleep(sleep);
                }
                sentAt.put(id, System.nanoTime());
                TestKafka.send(producer, "policy-changes", "bench-policy-" + i, Events.announce(id, "bench-policy-" + i,
                        "2030-01-01", null).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        Map.of("content-type", "application/cloudevents+json"));
            }
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> bench.delivered().size() >= events);
        List<Long> latencies = bench.delivered().stream()
                .map(r -> Map.entry(WireJson.parse(r.body()).get("causedBy").asText(), r.nanos()))
                .filter(e -> sentAt.containsKey(e.getKey()))
                .map(e -> (e.getValue() - sentAt.get(e.getKey())) / 1_000_000).sorted().toList();
        assertThat(latencies).hasSize(events);
        long p50 = latencies.get(events / 2);
        long p99 = latencies.get((int) Math.ceil(events * 0.99) - 1);
        System.out.printf("webhooks: event -> webhook latency at 20 events/s (%d events): p50 %d ms, p99 %d ms,"
                + " max %d ms%n", events, p50, p99, latencies.get(events - 1));

        // what webhooks add: from the notification's row (written in the event's transaction) to the POST
        Object[] added = QuarkusTransaction.requiringNew().call(() -> (Object[]) em.createNativeQuery(
                "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), percentile_disc(0.99) WITHIN GROUP (ORDER BY ms)"
                        + " FROM (SELECT extract(epoch FROM d.attempted_at - n.created_at) * 1000 AS ms"
                        + " FROM webhook_delivery d JOIN notification n ON n.seq = d.notification_seq"
                        + " WHERE d.subscription_id = :id AND d.status_code = 200) x")
                .setParameter("id", benchId).getSingleResult());
        System.out.printf("webhooks: notification written -> webhook sent: p50 %.0f ms, p99 %.0f ms%n",
                ((Number) added[0]).doubleValue(), ((Number) added[1]).doubleValue());

        // throughput: one subscriber replays the whole table, one notification in flight at a time
        WebhookReceiver replayed = WebhookReceiver.answering(200);
        receivers.put("replayed", replayed);
        int total = notificationCount();
        JsonNode sub = subscribe("{\"url\":\"" + replayed.url() + "\"}");
        long start = System.nanoTime();
        given().auth().oauth2(TestTokens.admin()).post("/subscriptions/" + sub.get("id").asText() + "/replay?after=0")
                .then().statusCode(200);
        await().atMost(Duration.ofSeconds(60)).until(() -> replayed.delivered().size() >= total);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("webhooks: one subscriber, %d notifications replayed in %.2f s: %.0f deliveries/s%n", total,
                seconds, total / seconds);
        assertThat(replayed.delivered().stream().map(Received::webhookId).distinct().count()).isEqualTo(total);
    }

    private static JsonNode subscribe(String body) {
        String answer = given().auth().oauth2(TestTokens.admin()).contentType(ContentType.JSON).body(body)
                .post("/subscriptions").then().statusCode(201).extract().asString();
        return WireJson.parse(answer);
    }

    private JsonNode subscription(String name) {
        return WireJson.parse(given().get("/subscriptions/" + ids.get(name)).then().statusCode(200).extract().asString());
    }

    private JsonNode deliveries(String name) {
        return WireJson.parse(given().get("/subscriptions/" + ids.get(name) + "/deliveries?limit=500").then()
                .statusCode(200).extract().asString());
    }

    private static List<JsonNode> notifications() {
        List<JsonNode> list = new ArrayList<>();
        WireJson.parse(given().get("/notifications?limit=500").then().statusCode(200).extract().asString())
                .forEach(list::add);
        return list;
    }

    private static int notificationCount() {
        int count = 0;
        long after = 0;
        while (true) {
            JsonNode page = WireJson.parse(given().get("/notifications?limit=500&after=" + after).then().statusCode(200)
                    .extract().asString());
            if (page.isEmpty()) {
                return count;
            }
            count += page.size();
            after = page.get(page.size() - 1).get("sequence").asLong();
        }
    }

    private static double metric(String name) {
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return text.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
    }

    private static void verified(List<Signed> deliveries) {
        StandardWebhooksVerifier.Verdict verdict = StandardWebhooksVerifier.verify(deliveries);
        assertThat(verdict.exitCode()).as(verdict.output()).isZero();
        assertThat(verdict.output()).contains(deliveries.size() + " of " + deliveries.size() + " signatures verified");
    }
}
