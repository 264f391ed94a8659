package dev.moratorium.ops;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moratorium.store.WriterLock;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.OutboxRows;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.testing.TestTokens;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.Topics;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * States published again to the compacted {@code moratorium-state}: a parked state row redriven
 * goes as its policy's current state (redriven as parked, it became the topic's last record for the
 * policy after a later change, and a subscriber rebuilding its table kept the stale state), and
 * {@code POST /ops/state-republish} queues every policy's current state, resumable after a policy.
 */
@QuarkusTest
class StateRepublishTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    EntityManager em;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    OutboxRows outbox;

    @Test
    void aParkedStateIsRedrivenAsThePolicysCurrentStateAndAnyOtherRowAsItWas() throws Exception {
        String id = "redrive-state-1";
        announceAndGrant(id);
        List<ConsumerRecord<byte[], byte[]>> before = statesOf(id, 2);
        // parked when the policy had no exemption yet (its topic's limit was lower then); the grant's
        // state was published after it
        long parked = park(5_000_000_000_000L, Topics.STATE, id, "{\"policyId\":\"" + id + "\",\"exemptions\":[]}");
        long other = park(5_000_000_000_001L, Topics.STATE, "no-such-policy-r", "{\"kept\":\"as parked\"}");
        String longKey = "k".repeat(129); // longer than a policy id: not read as one
        long longKeyed = park(5_000_000_000_002L, Topics.STATE, longKey, "{\"kept\":\"long key\"}");
        long notification = park(5_000_000_000_003L, Topics.NOTIFICATIONS, id, "{\"kept\":\"notification\"}");
        long nulKeyed = park(5_000_000_000_004L, Topics.STATE, "nul\u0000key", "{\"kept\":\"nul key\"}");

        given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/" + parked + "/redrive").then().statusCode(200)
                .body("outcome", equalTo("current-state-queued"));
        for (long row : new long[] {other, longKeyed, notification, nulKeyed}) {
            given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/" + row + "/redrive").then()
                    .statusCode(200).body("outcome", equalTo("queued"));
        }
        given().auth().oauth2(TestTokens.admin()).post("/outbox/parked/" + parked + "/redrive").then().statusCode(404);

        List<ConsumerRecord<byte[], byte[]>> after = statesOf(id, before.size() + 1);
        assertThat(after).hasSize(before.size() + 1);
        ConsumerRecord<byte[], byte[]> last = after.get(after.size() - 1);
        assertThat(TestKafka.header(last, "ce_type")).isEqualTo("moratorium.state");
        assertThat(TestKafka.header(last, "ce_subject")).isEqualTo(id);
        assertThat(before.stream().map(r -> TestKafka.header(r, "ce_id")))
                .doesNotContain(TestKafka.header(last, "ce_id"));
        assertThat(JSON.readTree(last.value())).as("the last record is the policy's state now, not the parked one")
                .isEqualTo(JSON.readTree(before.get(before.size() - 1).value()));
        List<ConsumerRecord<byte[], byte[]>> unchanged = TestKafka.readUntil(Topics.STATE, Duration.ofSeconds(30),
                records -> keyed(records, "no-such-policy-r").size() == 1 && keyed(records, longKey).size() == 1
                        && keyed(records, "nul\u0000key").size() == 1);
        assertThat(TestKafka.text(keyed(unchanged, "no-such-policy-r").get(0).value())).contains("as parked");
        assertThat(TestKafka.text(keyed(unchanged, longKey).get(0).value())).contains("long key");
        assertThat(TestKafka.text(keyed(unchanged, "nul\u0000key").get(0).value())).contains("nul key");
        List<ConsumerRecord<byte[], byte[]>> notifications = TestKafka.readUntil(Topics.NOTIFICATIONS,
                Duration.ofSeconds(30), records -> keyed(records, id).stream()
                        .anyMatch(r -> TestKafka.text(r.value()).contains("\"kept\":\"notification\"")));
        assertThat(keyed(notifications, id).stream().filter(r -> TestKafka.text(r.value()).contains("\"kept\"")))
                .hasSize(1);
    }

    @Test
    void everyPolicysCurrentStateIsQueuedAgainInIdOrderAndARunResumesAfterAPolicy() throws Exception {
        for (String id : List.of("republish-a", "republish-b", "republish-c")) {
            announceAndGrant(id);
        }
        // each announced and granted: two states
        Map<String, Integer> published = counts(Map.of("republish-a", 2, "republish-b", 2, "republish-c", 2));
        assertThat(published).containsOnly(Map.entry("republish-a", 2), Map.entry("republish-b", 2),
                Map.entry("republish-c", 2));

        given().post("/ops/state-republish").then().statusCode(401);
        given().auth().oauth2(TestTokens.viewer()).post("/ops/state-republish").then().statusCode(403);
        String idle = given().get("/ops/state-republish").then().extract().asString();
        for (String notAnId : List.of("not a policy id!", "a".repeat(129), "nul\u0000", "zero\u200bwidth",
                "\uff41full", "\u0130stanbul")) {
            given().auth().oauth2(TestTokens.admin()).queryParam("after", notAnId).post("/ops/state-republish")
                    .then().statusCode(400).body("error", equalTo("invalid-parameter"));
        }
        assertThat(given().get("/ops/state-republish").then().extract().asString()).as("nothing started").isEqualTo(idle);

        long policies = count("SELECT count(*) FROM policy");
        double metricBefore = metric();
        // the writers' lock held elsewhere: the run waits at its first chunk, and a second start is refused
        try (Connection holder = dataSource.getConnection(); Statement s = holder.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + WriterLock.KEY + ")");
            given().auth().oauth2(TestTokens.admin()).post("/ops/state-republish").then().statusCode(202)
                    .body("status", equalTo("RUNNING")).body("startedAfter", equalTo(null));
            given().auth().oauth2(TestTokens.admin()).post("/ops/state-republish").then().statusCode(409)
                    .body("error", equalTo("republish-running"));
            given().get("/ops/state-republish").then().statusCode(200).body("status", equalTo("RUNNING"))
                    .body("policiesQueued", equalTo(0));
            s.execute("SELECT pg_advisory_unlock(" + WriterLock.KEY + ")");
        }
        JsonPath done = finished();
        assertThat(done.getLong("policiesQueued")).isEqualTo(policies);
        assertThat(done.getString("lastQueued")).isEqualTo(
                QuarkusTransaction.requiringNew().call(() -> (String) em.createNativeQuery(
                        "SELECT max(policy_id) FROM policy").getSingleResult()));
        assertThat(metric()).isEqualTo(metricBefore + policies);
        Map<String, Integer> again = counts(Map.of("republish-a", 3, "republish-b", 3, "republish-c", 3));
        published.forEach((id, n) -> assertThat(again.get(id)).as(id).isEqualTo(n + 1));
        for (String id : published.keySet()) {
            List<ConsumerRecord<byte[], byte[]>> states = statesOf(id, again.get(id));
            JsonNode current = JSON.readTree(states.get(states.size() - 1).value());
            assertThat(current).isEqualTo(JSON.readTree(states.get(states.size() - 2).value()));
            assertThat(current.get("exemptions").get(0).get("organization").asText()).isEqualTo("Thorn");
        }

        // resumed after republish-b: the policies after it only
        long afterB = count("SELECT count(*) FROM policy WHERE policy_id > 'republish-b'");
        given().auth().oauth2(TestTokens.admin()).queryParam("after", "republish-b").post("/ops/state-republish")
                .then().statusCode(202).body("startedAfter", equalTo("republish-b"));
        assertThat(finished().getLong("policiesQueued")).isEqualTo(afterB);
        statesOf("republish-c", 4);
        Map<String, Integer> resumed = counts(published.keySet(), TestKafka.readAll(Topics.STATE));
        assertThat(resumed).containsEntry("republish-a", again.get("republish-a"))
                .containsEntry("republish-b", again.get("republish-b"))
                .containsEntry("republish-c", again.get("republish-c") + 1);
    }

    @Test
    void aRunQueuesNothingWhileTheOutboxHoldsItsBacklogAndGoesOnOnceItDrains() {
        announceAndGrant("republish-paced");
        long policies = count("SELECT count(*) FROM policy");
        await().atMost(Duration.ofSeconds(30)).until(() -> outbox.count() == 0); // the announcement's rows out
        // the relay held off (another replica's lease), and the backlog at which a run waits
        outbox.setLease("another-replica", "1 hour");
        List<Long> waiting = outbox.enqueue("republish-pacing", "test.pacing",
                java.util.Collections.nCopies(StateRepublish.PAUSE_AT_BACKLOG, "{}".getBytes(StandardCharsets.UTF_8)));
        try {
            given().auth().oauth2(TestTokens.admin()).post("/ops/state-republish").then().statusCode(202);
            await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    given().get("/ops/state-republish").then().body("status", equalTo("RUNNING"))
                            .body("policiesQueued", equalTo(0)));
            assertThat(outbox.count()).as("nothing queued beside the backlog").isEqualTo(waiting.size());
        } finally {
            outbox.setLease("nobody", "-1 second");
        }
        assertThat(finished().getLong("policiesQueued")).isEqualTo(policies);
        await().atMost(Duration.ofSeconds(30)).until(() -> outbox.count() == 0);
    }

    @Test
    void aRunWhoseReplicaIsGoneIsTakenOverAfterTheLastPolicyItQueued() throws Exception {
        for (String id : List.of("takeover-a", "takeover-b", "takeover-c")) {
            announceAndGrant(id);
        }
        Map<String, Integer> before = counts(Map.of("takeover-a", 2, "takeover-b", 2, "takeover-c", 2));
        await().atMost(Duration.ofSeconds(60)).until(() -> !"RUNNING".equals(
                given().get("/ops/state-republish").then().extract().path("status")));
        long after = count("SELECT count(*) FROM policy WHERE policy_id > 'takeover-a'");
        // what a replica killed half-way leaves: the run, its place, its lease run out
        execute("INSERT INTO state_republish (id, status, reason, started_after, after_policy, queued, generation,"
                + " holder, held_until, started_at) VALUES (1, 'RUNNING', 'test', NULL, 'takeover-a', 7, 1,"
                + " 'killed-replica:1:00000000', now() - interval '1 second', now()) ON CONFLICT (id) DO UPDATE SET"
                + " status = 'RUNNING', reason = 'test', started_after = NULL, after_policy = 'takeover-a', queued = 7,"
                + " generation = state_republish.generation + 1, holder = 'killed-replica:1:00000000',"
                + " held_until = now() - interval '1 second', started_at = now(), ended_at = NULL");
        given().auth().oauth2(TestTokens.admin()).post("/ops/state-republish").then().statusCode(409)
                .body("error", equalTo("republish-running"));

        JsonPath done = finished(); // taken by this replica, at its next look (every 10 s)
        assertThat(done.getLong("policiesQueued")).isEqualTo(7 + after);
        assertThat(done.getString("holder")).isNull();
        assertThat(done.getString("reason")).isEqualTo("test");
        Map<String, Integer> now = counts(Map.of("takeover-a", 2, "takeover-b", 3, "takeover-c", 3));
        assertThat(now).as("the policies after its place once more, the ones before it not")
                .containsEntry("takeover-a", before.get("takeover-a"))
                .containsEntry("takeover-b", before.get("takeover-b") + 1)
                .containsEntry("takeover-c", before.get("takeover-c") + 1);
    }

    @Test
    void aReplicaWhoseRunWasTakenOverMeanwhileQueuesNothingMore() throws Exception {
        announceAndGrant("taken-a");
        long policies = count("SELECT count(*) FROM policy");
        await().atMost(Duration.ofSeconds(60)).until(() -> !"RUNNING".equals(
                given().get("/ops/state-republish").then().extract().path("status")));
        await().atMost(Duration.ofSeconds(30)).until(() -> outbox.count() == 0);
        double metricBefore = metric();
        try (Connection holder = dataSource.getConnection(); Statement s = holder.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + WriterLock.KEY + ")"); // the run waits at its first chunk
            String self = given().auth().oauth2(TestTokens.admin()).post("/ops/state-republish").then().statusCode(202)
                    .extract().path("holder");
            assertThat(self).isNotBlank();
            // this replica froze past its lease, and another took the run over
            execute("UPDATE state_republish SET holder = 'other-replica:2:00000000',"
                    + " held_until = now() + interval '1 hour' WHERE id = 1");
            s.execute("SELECT pg_advisory_unlock(" + WriterLock.KEY + ")");
        }
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                given().get("/ops/state-republish").then().body("status", equalTo("RUNNING"))
                        .body("holder", equalTo("other-replica:2:00000000")).body("policiesQueued", equalTo(0)));
        assertThat(outbox.count()).as("its chunk rolled back: nothing queued").isZero();
        assertThat(metric()).isEqualTo(metricBefore);

        // the other replica gone too: this one takes the run back and finishes it
        execute("UPDATE state_republish SET held_until = now() - interval '1 second' WHERE id = 1");
        assertThat(finished().getLong("policiesQueued")).isEqualTo(policies);
        assertThat(metric()).isEqualTo(metricBefore + policies);
    }

    @Test
    void aStartWaitsAtMostTwoSecondsForTheRunsRowThatAFrozenHolderKeepsLocked() throws Exception {
        announceAndGrant("frozen-holder");
        await().atMost(Duration.ofSeconds(60)).until(() -> !"RUNNING".equals(
                given().get("/ops/state-republish").then().extract().path("status")));
        execute("INSERT INTO state_republish (id, status, reason, after_policy, queued, generation, started_at)"
                + " VALUES (1, 'FINISHED', 'test', '', 0, 1, now()) ON CONFLICT (id) DO NOTHING");
        String before = given().get("/ops/state-republish").then().statusCode(200).extract().asString();
        try (Connection frozen = dataSource.getConnection(); Statement s = frozen.createStatement()) {
            frozen.setAutoCommit(false); // a holder frozen inside its chunk's transaction, the row locked
            s.execute("SELECT 1 FROM state_republish WHERE id = 1 FOR UPDATE");
            long started = System.nanoTime();
            given().auth().oauth2(TestTokens.admin()).post("/ops/state-republish").then().statusCode(503)
                    .body("error", equalTo("busy")).header("Retry-After", "5");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            // reads do not wait for it
            given().get("/ops/state-republish").then().statusCode(200);
            frozen.rollback();
        }
        assertThat(given().get("/ops/state-republish").then().extract().asString()).as("nothing started")
                .isEqualTo(before);
    }

    private static void announceAndGrant(String id) {
        TestKafka.sendStructured(id, Events.announce(id + "-announced", id, "2020-06-10T00:00:00Z", null));
        TestKafka.sendStructured(id, Events.event(id + "-granted", "moratorium.exemption-granted",
                "{\"policyId\":\"" + id + "\",\"organization\":\"Thorn\"}"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/moratoria/" + id).then()
                .statusCode(200).body("exemptions[0].organization", equalTo("Thorn")));
    }

    private long park(long id, String topic, String key, String payload) {
        List<RawHeader> headers = List.of(new RawHeader("ce_type", "test.parked".getBytes(StandardCharsets.UTF_8)));
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("INSERT INTO outbox_parked"
                + " (id, topic, record_key, payload, headers, created_at, reason, parked_at)"
                + " VALUES (:id, :topic, :key, :payload, CAST(:headers AS json), now(), 'RecordTooLargeException: test',"
                + " now())").setParameter("id", id).setParameter("topic", topic)
                .setParameter("key", key.getBytes(StandardCharsets.UTF_8))
                .setParameter("payload", payload.getBytes(StandardCharsets.UTF_8))
                .setParameter("headers", HeaderCodec.encode(headers)).executeUpdate());
        return id;
    }

    private static JsonPath finished() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/ops/state-republish").then()
                .body("status", equalTo("FINISHED")));
        JsonPath done = given().get("/ops/state-republish").then().extract().jsonPath();
        assertThat(done.getString("endedAt")).isNotNull();
        assertThat(done.getString("lastError")).isNull();
        return done;
    }

    /** The policy's records on moratorium-state, once there are at least {@code atLeast}. */
    private static List<ConsumerRecord<byte[], byte[]>> statesOf(String id, int atLeast) {
        return keyed(TestKafka.readUntil(Topics.STATE, Duration.ofSeconds(30),
                records -> keyed(records, id).size() >= atLeast), id);
    }

    /** Records per policy on moratorium-state, read until each has at least its expected number. */
    private static Map<String, Integer> counts(Map<String, Integer> expected) {
        return counts(expected.keySet(), TestKafka.readUntil(Topics.STATE, Duration.ofSeconds(30),
                records -> expected.entrySet().stream().allMatch(e -> keyed(records, e.getKey()).size() >= e.getValue())));
    }

    private static Map<String, Integer> counts(java.util.Collection<String> ids,
            List<ConsumerRecord<byte[], byte[]>> records) {
        return ids.stream().collect(Collectors.toMap(id -> id, id -> keyed(records, id).size()));
    }

    private static List<ConsumerRecord<byte[], byte[]>> keyed(List<ConsumerRecord<byte[], byte[]>> records,
            String key) {
        return records.stream().filter(r -> key.equals(TestKafka.text(r.key())))
                .sorted(java.util.Comparator.comparingLong(ConsumerRecord::offset)).toList();
    }

    private void execute(String sql) {
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(sql).executeUpdate());
    }

    private long count(String sql) {
        return QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery(sql).getSingleResult())
                .longValue());
    }

    private static double metric() {
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return body.lines().filter(l -> l.startsWith("moratorium_state_republished_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
