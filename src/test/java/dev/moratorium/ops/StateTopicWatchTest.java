package dev.moratorium.ops;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moratorium.embedded.TopicLayout;
import dev.moratorium.store.WriterLock;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.testing.TestTokens;
import dev.moratorium.wire.Topics;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

/**
 * {@code moratorium-state} changed under the service, on the real broker: partitions added in place
 * are reported (a policy's stale state stays in the partition its key used to map to), and a topic
 * deleted and made anew, empty, gets every policy's current state again, also when a republishing
 * was already under way (it starts again from the first policy); a topic set to delete records is
 * reported while it is, and refilled once it keeps every last state again. The test profile looks
 * every second.
 */
@QuarkusTest
class StateTopicWatchTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    AgroalDataSource dataSource;

    @Test
    void partitionsAddedInPlaceAreReportedAndATopicMadeAnewGetsEveryCurrentStateAgain() throws Exception {
        String id = "topic-watch-1";
        TestKafka.sendStructured(id, Events.announce(id + "-announced", id, "2020-06-10T00:00:00Z", "2021-06-10T00:00:00Z"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/moratoria/" + id).then().statusCode(200));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()))) {
            TopicDescription made = describe(admin);
            int partitions = made.partitions().size();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(seen()).isEqualTo(made.topicId() + " " + partitions + " " + partitions);
                assertThat(partitionsAdded()).isEqualTo(0.0);
            });

            admin.createPartitions(Map.of(Topics.STATE, NewPartitions.increaseTo(partitions + 1))).all()
                    .get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(seen()).as("the count it was made with is kept")
                        .isEqualTo(made.topicId() + " " + (partitions + 1) + " " + partitions);
                assertThat(partitionsAdded()).isEqualTo(1.0);
            });

            // made anew as the runbook says: deleted, created with the partitions wanted, refilled
            TopicDescription anew = makeAnew(admin, partitions);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(seen()).isEqualTo(anew.topicId() + " " + partitions + " " + partitions);
                assertThat(partitionsAdded()).isEqualTo(0.0);
            });
            JsonPath run = finished();
            assertThat(run.getString("startedAfter")).isNull();
            assertThat(run.getLong("policiesQueued")).isEqualTo(policies());
            assertOnlyTheCurrentStateOf(id);

            // made anew while a run is under way after the last policy: it starts again from the first
            try (Connection holder = dataSource.getConnection(); Statement s = holder.createStatement()) {
                s.execute("SELECT pg_advisory_lock(" + WriterLock.KEY + ")"); // the run waits at its chunk
                given().auth().oauth2(TestTokens.admin()).queryParam("after", lastPolicy())
                        .post("/ops/state-republish").then().statusCode(202).body("status", equalTo("RUNNING"));
                TopicDescription again = makeAnew(admin, partitions);
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> assertThat(seen()).startsWith(again.topicId() + " "));
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().get("/ops/state-republish").then()
                        .body("status", equalTo("RUNNING")).body("startedAfter", equalTo(null)));
                s.execute("SELECT pg_advisory_unlock(" + WriterLock.KEY + ")");
            }
            JsonPath restarted = finished();
            assertThat(restarted.getString("startedAfter")).as("started again from the first policy").isNull();
            assertThat(restarted.getLong("policiesQueued")).isEqualTo(policies());
            assertOnlyTheCurrentStateOf(id);
        }
    }

    @Test
    void aTopicSetToDeleteRecordsIsReportedAndRefilledOnceItKeepsThemAgain() throws Exception {
        String id = "topic-watch-2";
        TestKafka.sendStructured(id, Events.announce(id + "-announced", id, "2020-06-10T00:00:00Z", "2021-06-10T00:00:00Z"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/moratoria/" + id).then().statusCode(200));
        ConfigResource state = new ConfigResource(ConfigResource.Type.TOPIC, Topics.STATE);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()))) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(gauge("moratorium_state_topic_keeps_last_states")).isEqualTo(1.0);
                assertThat(given().get("/ops/state-republish").then().extract().path("status").toString())
                        .isNotEqualTo("RUNNING");
            });
            given().get("/ops/status").then().statusCode(200).body("stateTopic.keepsLastStates", equalTo(true))
                    .body("stateTopic.partitionsAdded", equalTo(0));
            long generation = republishGeneration();
            try {
                // the broker's defaults, as a producer's first write to a deleted topic would make it,
                // beside compaction: a seven-day retention deletes states older than that
                alter(admin, state, new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact,delete"),
                        AlterConfigOp.OpType.SET), new AlterConfigOp(new ConfigEntry("retention.ms", "604800000"),
                                AlterConfigOp.OpType.SET));
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(gauge("moratorium_state_topic_keeps_last_states")).isEqualTo(0.0);
                    given().get("/ops/status").then().body("stateTopic.keepsLastStates", equalTo(false));
                    assertThat(query("SELECT states_at_risk_settings FROM kafka_topic_seen WHERE topic = '"
                            + Topics.STATE + "'")).isEqualTo(
                                    "cleanup.policy=compact,delete, retention.ms=604800000, retention.bytes=-1");
                });
                assertThat(republishGeneration()).as("nothing to refill while it deletes").isEqualTo(generation);

                // no limit left: it keeps every last state again, and what it may have deleted is refilled
                alter(admin, state, new AlterConfigOp(new ConfigEntry("retention.ms", "-1"), AlterConfigOp.OpType.SET));
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(gauge("moratorium_state_topic_keeps_last_states")).isEqualTo(1.0);
                    assertThat(query("SELECT coalesce(states_at_risk_since::text, 'cleared') FROM kafka_topic_seen"
                            + " WHERE topic = '" + Topics.STATE + "'")).isEqualTo("cleared");
                });
                JsonPath run = finished();
                assertThat(republishGeneration()).isEqualTo(generation + 1);
                assertThat(run.getString("reason")).startsWith("moratorium-state keeps every last state again")
                        .contains("retention.ms=604800000");
                assertThat(run.getLong("policiesQueued")).isEqualTo(policies());
            } finally {
                alter(admin, state, new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET),
                        new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE));
            }
            // back as made: no second refill for a change that deletes nothing
            Thread.sleep(3_000); // three checks
            assertThat(gauge("moratorium_state_topic_keeps_last_states")).isEqualTo(1.0);
            assertThat(republishGeneration()).isEqualTo(generation + 1);
        }
    }

    private static void alter(Admin admin, ConfigResource resource, AlterConfigOp... ops) throws Exception {
        admin.incrementalAlterConfigs(Map.of(resource, List.of(ops))).all().get(30, TimeUnit.SECONDS);
    }

    private long republishGeneration() throws Exception {
        String generation = query("SELECT generation FROM state_republish");
        return generation == null ? 0 : Long.parseLong(generation);
    }

    /** The topic deleted and created again (a deletion takes a moment to finish on the broker). */
    private static TopicDescription makeAnew(Admin admin, int partitions) throws Exception {
        String before = describe(admin).topicId().toString();
        admin.deleteTopics(List.of(Topics.STATE)).all().get(30, TimeUnit.SECONDS);
        NewTopic state = TopicLayout.topics(partitions).stream().filter(t -> t.name().equals(Topics.STATE))
                .findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            try {
                admin.createTopics(List.of(state)).all().get(30, TimeUnit.SECONDS);
                return true;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    return false; // still being deleted
                }
                throw e;
            }
        });
        // made, but its partitions may be unknown to the broker's metadata for a moment (seen once in CI)
        TopicDescription made = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsMatching(e -> e.getCause() instanceof UnknownTopicOrPartitionException)
                .until(() -> describe(admin), d -> true);
        assertThat(made.topicId().toString()).isNotEqualTo(before);
        return made;
    }

    private static TopicDescription describe(Admin admin) throws Exception {
        return admin.describeTopics(List.of(Topics.STATE)).topicNameValues().get(Topics.STATE).get(30, TimeUnit.SECONDS);
    }

    /** On the topic made anew, the policy's one record: its state as the service answers it now. */
    private static void assertOnlyTheCurrentStateOf(String id) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> records = TestKafka.readUntil(Topics.STATE, Duration.ofSeconds(30),
                rs -> rs.stream().anyMatch(r -> id.equals(TestKafka.text(r.key()))));
        List<ConsumerRecord<byte[], byte[]>> mine = records.stream().filter(r -> id.equals(TestKafka.text(r.key())))
                .toList();
        assertThat(mine).hasSize(1);
        assertThat(TestKafka.header(mine.get(0), "ce_type")).isEqualTo("moratorium.state");
        JsonNode state = JSON.readTree(mine.get(0).value());
        assertThat(state.get("policyId").asText()).isEqualTo(id);
        assertThat(state.get("effectiveUntil").asText()).startsWith("2021-06-10");
    }

    private static JsonPath finished() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/ops/state-republish").then()
                .body("status", equalTo("FINISHED")));
        return given().get("/ops/state-republish").then().extract().jsonPath();
    }

    /** The watch's row: id, partitions now, partitions when made. */
    private String seen() throws Exception {
        return query("SELECT topic_id || ' ' || partitions || ' ' || partitions_when_made FROM kafka_topic_seen"
                + " WHERE topic = '" + Topics.STATE + "'");
    }

    private long policies() throws Exception {
        return Long.parseLong(query("SELECT count(*) FROM policy"));
    }

    private String lastPolicy() throws Exception {
        return query("SELECT max(policy_id) FROM policy");
    }

    private String query(String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static double partitionsAdded() {
        return gauge("moratorium_state_topic_partitions_added");
    }

    private static double gauge(String name) {
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return body.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
    }
}
