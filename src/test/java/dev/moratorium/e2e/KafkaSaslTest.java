package dev.moratorium.e2e;

import dev.moratorium.testing.OwnInfrastructureProfile;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;

import dev.moratorium.embedded.TopicLayout;
import dev.moratorium.testing.EmbeddedInfrastructureResource;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.SeedStory;
import dev.moratorium.testing.TestKafka;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ValidatableResponse;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The service against a broker that demands SASL/SCRAM-SHA-512 over TLS, configured only through
 * the production environment variables (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM,
 * KAFKA_SASL_JAAS_CONFIG, KAFKA_SSL_TRUSTSTORE_*): with the right credentials and only the ACLs the
 * prod overlay's KafkaUser grants, events flow end to end through all four channels.
 */
@QuarkusTest
@TestProfile(KafkaSaslTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaSaslTest {

    /** Its own broker, with a SCRAM listener over TLS, instead of the plain one every other test uses. */
    public static class Profile extends OwnInfrastructureProfile {
        public Profile() {
            super(Map.of(EmbeddedInfrastructureResource.KAFKA_SECURITY, "SASL_SSL"));
        }
    }

    @Inject
    KafkaClientService kafkaClients;

    /** What Quarkus hands every Kafka channel, in and out, before the channel's own settings. */
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaDefaults;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String serviceBootstrapServers;

    @Test
    @Order(1)
    void theEnvironmentSettingsReachEveryChannel() {
        assertThat(kafkaDefaults).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.type", "PKCS12")
                .containsKeys("sasl.jaas.config", "ssl.truststore.location", "ssl.truststore.password");
        // and the service is pointed at the SCRAM listener, not at the loopback one the test tooling uses
        assertThat(serviceBootstrapServers).isNotEqualTo(TestKafka.bootstrapServers());
    }

    @Test
    @Order(2)
    void eventsFlowEndToEndThroughAllFourChannels() {
        SeedStory.produce();
        TestKafka.sendStructured("acme-x", Events.event("grant-x", "moratorium.exemption-granted",
                "{\"policyId\":\"acme-x\",\"organization\":\"Thorn\"}"));

        // in: policy-changes was consumed over SASL_SSL
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/moratoria").then().statusCode(200).body("total", equalTo(2)));
        // out: the three producers published over SASL_SSL
        assertThat(TestKafka.readUntil("moratorium-notifications", Duration.ofSeconds(30), r -> r.size() >= 3))
                .hasSize(3);
        assertThat(TestKafka.readUntil("moratorium-state", Duration.ofSeconds(30), r -> r.size() >= 2)).isNotEmpty();
        assertThat(TestKafka.readUntil("policy-changes-dlq", Duration.ofSeconds(30), r -> r.size() >= 1))
                .singleElement().satisfies(r -> assertThat(TestKafka.header(r, "dead-letter-reason"))
                        .startsWith("unknown-policy: "));
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'Kafka consumer policy-changes' }.status", equalTo("UP"));
        // and the admin client that watches moratorium-state (ops.StateTopicWatch) reached it: the gauge
        // is NaN until a look at the topic succeeds
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(given().get("/q/metrics").then()
                .extract().asString().lines().filter(l -> l.startsWith("moratorium_state_topic_partitions_added"))
                .toList()).containsExactly("moratorium_state_topic_partitions_added 0.0"));
        // and asked for its settings: DescribeConfigs is among the ACLs
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(gauge("moratorium_state_topic_keeps_last_states"))
                .isEqualTo("1.0"));
    }

    /**
     * The broker enforces the prod overlay's ACLs for the service's user (KafkaUserAcls): what they
     * do not grant is refused, and without DescribeConfigs on moratorium-state the watch says it
     * cannot tell (NaN, null in /ops/status) while everything else goes on.
     */
    @Test
    @Order(3)
    void onlyTheKafkaUsersAclsAreGrantedAndTheWatchDoesWithoutDescribeConfigs() throws Exception {
        Map<String, Object> asService = new HashMap<>(kafkaDefaults);
        asService.keySet().retainAll(AdminClientConfig.configNames());
        try (Admin service = Admin.create(asService);
                Admin operator = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()))) {
            ConfigResource changes = new ConfigResource(ConfigResource.Type.TOPIC, "policy-changes");
            assertThatThrownBy(() -> service.describeConfigs(List.of(changes)).all().get(30, TimeUnit.SECONDS))
                    .as("not granted on policy-changes").hasCauseInstanceOf(TopicAuthorizationException.class);

            Collection<AclBinding> removed = revoke(operator, ResourceType.TOPIC, "moratorium-state",
                    AclOperation.DESCRIBE_CONFIGS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(gauge("moratorium_state_topic_keeps_last_states")).isEqualTo("NaN");
                given().get("/ops/status").then().body("stateTopic.keepsLastStates", equalTo(null))
                        .body("stateTopic.partitionsAdded", equalTo(0));
            });
            announceAndAwait("acme-y");

            operator.createAcls(removed).all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(gauge("moratorium_state_topic_keeps_last_states")).isEqualTo("1.0"));

            // the consumer group's Read taken away: the member already in the group goes on fetching and
            // applying, but cannot commit (a restart would read those records again, as duplicates).
            // Given back, the next record on each partition is committed without a restart, and its
            // offset covers the ones refused: the connector's throttled commits do not retry a refused
            // commit (its offsets are dropped), so waiting without a record passed only when the 5 s
            // commit tick happened to fall after the ACL was back; and a record on one partition left
            // the refused offsets of another, acme-y's (runbook: MoratoriumTopicGrowsNothingConsumed)
            Collection<AclBinding> group = revoke(operator, ResourceType.GROUP, "moratorium-service", AclOperation.READ);
            // said, but the replica stays ready: what it fetches is applied, only the commits are refused
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> consumerCheck().statusCode(200)
                    .body(CONSUMER_CHECK + ".status", equalTo("UP"))
                    .body(CONSUMER_CHECK + ".data.groupRead", equalTo("refused"))
                    .body(CONSUMER_CHECK + ".data.problem", containsString("Read on its group")));
            announceAndAwait("acme-z");
            Thread.sleep(7_000); // longer than the commit tick (auto.commit.interval.ms, 5 s): one was refused
            assertThat(uncommitted(operator)).as("records applied but not committed").isPositive();
            operator.createAcls(group).all().get(30, TimeUnit.SECONDS);
            Thread.sleep(2_000); // the broker's authorizer follows its metadata log: milliseconds, not a commit tick
            announceAgainOnEveryPartition(operator, "acme-z");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(uncommitted(operator)).isZero());
            consumerCheck().body(CONSUMER_CHECK + ".data.groupRead", equalTo("granted"))
                    .body(CONSUMER_CHECK + ".data", not(hasKey("problem")));
        }
    }

    /**
     * Write on a topic the service publishes to taken away: an authorization error is the
     * deployment's, not a row's, so the outbox keeps the notification (nothing set aside as
     * unpublishable) and publishes it, in order, once the ACL is back.
     */
    @Test
    @Order(4)
    void aPublishRefusedByTheAclsWaitsInTheOutboxAndGoesOutOnceItIsBack() throws Exception {
        try (Admin operator = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()))) {
            Collection<AclBinding> removed = revoke(operator, ResourceType.TOPIC, "moratorium-notifications",
                    AclOperation.WRITE);
            announceAndAwait("acme-w");
            // the figures are refreshed every 5 s; meanwhile every relay round is refused
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    given().get("/ops/status").then().body("outboxBacklog", greaterThan(0)));
            assertThat(gauge("moratorium_outbox_parked_rows")).as("nothing set aside").isEqualTo("0.0");

            operator.createAcls(removed).all().get(30, TimeUnit.SECONDS);
            // its window (2020-06-10 to 2021-06-10) is over: suspended and restored, each once, in that order
            assertThat(TestKafka.readUntil("moratorium-notifications", Duration.ofSeconds(60),
                    rs -> rs.stream().filter(r -> "acme-w".equals(TestKafka.text(r.key()))).count() >= 2)
                    .stream().filter(r -> "acme-w".equals(TestKafka.text(r.key())))
                    .map(r -> TestKafka.header(r, "ce_type"))).containsExactly("access.suspended", "access.restored");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    given().get("/ops/status").then().body("outboxBacklog", equalTo(0)));
        }
    }

    /**
     * Read on policy-changes taken away: every fetch is refused and the connector retries the poll
     * for ever, with the connection open and no failed authentication, so nothing else turns the
     * replica unready while its state stops following the topic. It turns unready and says why; once
     * Read is back it takes in what was sent meanwhile and is ready again, without a restart.
     */
    @Test
    @Order(5)
    void aConsumerRefusedReadOnTheTopicIsNotReadyUntilReadIsBack() throws Exception {
        try (Admin operator = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()))) {
            Collection<AclBinding> removed = revoke(operator, ResourceType.TOPIC, "policy-changes", AclOperation.READ);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> consumerCheck().statusCode(503)
                    .body(CONSUMER_CHECK + ".status", equalTo("DOWN"))
                    .body(CONSUMER_CHECK + ".data.topicRead", equalTo("refused"))
                    .body(CONSUMER_CHECK + ".data.problem", containsString("Read on policy-changes")));
            // the broker's authorizer has it (the service's own user was just refused): nothing is applied
            TestKafka.sendStructured("acme-r", Events.announce("announce-acme-r", "acme-r", "2020-06-10T00:00:00Z",
                    "2021-06-10T00:00:00Z"));
            Thread.sleep(3_000); // a dozen refused polls
            given().get("/moratoria/acme-r").then().statusCode(404);

            operator.createAcls(removed).all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                given().get("/moratoria/acme-r").then().statusCode(200);
                consumerCheck().body(CONSUMER_CHECK + ".status", equalTo("UP"))
                        .body(CONSUMER_CHECK + ".data.topicRead", equalTo("granted"));
            });
        }
    }

    /**
     * policy-changes deleted (or not made yet when the service starts): the consumer does not make it
     * (on a broker that creates topics, Kafka's default, it was made with the broker's defaults: one
     * partition, 1 MiB records); the replica is not ready and says why until the topic is made.
     */
    @Test
    @Order(6)
    void aMissingPolicyChangesTopicIsNotMadeAndTheReplicaIsNotReadyUntilItIs() throws Exception {
        assertThat(String.valueOf(kafkaClients.getConsumer("policy-changes").configuration()
                .get("allow.auto.create.topics"))).isEqualTo("false");
        try (Admin operator = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()))) {
            NewTopic layout = TopicLayout.topics(operator.describeTopics(List.of("policy-changes")).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get("policy-changes").partitions().size()).stream()
                    .filter(t -> t.name().equals("policy-changes")).findFirst().orElseThrow();
            operator.deleteTopics(List.of("policy-changes")).all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> consumerCheck().statusCode(503)
                    .body(CONSUMER_CHECK + ".status", equalTo("DOWN"))
                    .body(CONSUMER_CHECK + ".data.topicRead", equalTo("missing"))
                    .body(CONSUMER_CHECK + ".data.problem", containsString("policy-changes does not exist")));

            operator.createTopics(List.of(layout)).all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> consumerCheck()
                    .body(CONSUMER_CHECK + ".status", equalTo("UP"))
                    .body(CONSUMER_CHECK + ".data.topicRead", equalTo("granted")));
        }
    }

    private static final String CONSUMER_CHECK = "checks.find { it.name == 'Kafka consumer policy-changes' }";

    private static ValidatableResponse consumerCheck() {
        return given().get("/q/health/ready").then();
    }

    /** Takes away the KafkaUser's one ACL that allows {@code operation} on this resource; returns it, to give back. */
    private static Collection<AclBinding> revoke(Admin operator, ResourceType type, String name, AclOperation operation)
            throws Exception {
        AclBindingFilter filter = new AclBindingFilter(new ResourcePatternFilter(type, name, PatternType.LITERAL),
                new AccessControlEntryFilter(null, null, operation, AclPermissionType.ALLOW));
        Collection<AclBinding> removed = operator.deleteAcls(List.of(filter)).all().get(30, TimeUnit.SECONDS);
        assertThat(removed).as("the KafkaUser grants %s on %s", operation, name).hasSize(1);
        return removed;
    }

    /** A policy announced for 2020-06-10 to 2021-06-10 (over: suspended, then restored), once it is applied. */
    private static void announceAndAwait(String policyId) {
        TestKafka.sendStructured(policyId, Events.announce("announce-" + policyId, policyId, "2020-06-10T00:00:00Z",
                "2021-06-10T00:00:00Z"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/moratoria/" + policyId).then().statusCode(200));
    }

    /** The policy's announcement again on each partition of policy-changes: duplicates that change nothing. */
    private static void announceAgainOnEveryPartition(Admin operator, String policyId) throws Exception {
        int partitions = operator.describeTopics(List.of("policy-changes")).allTopicNames().get(30, TimeUnit.SECONDS)
                .get("policy-changes").partitions().size();
        byte[] event = Events.announce("announce-" + policyId, policyId, "2020-06-10T00:00:00Z", "2021-06-10T00:00:00Z")
                .getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer()) {
            for (int p = 0; p < partitions; p++) {
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>("policy-changes", p,
                        policyId.getBytes(StandardCharsets.UTF_8), event);
                record.headers().add("content-type", "application/cloudevents+json".getBytes(StandardCharsets.UTF_8));
                producer.send(record).get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Records of policy-changes after the service's group's committed offsets. */
    private static long uncommitted(Admin operator) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = operator.listConsumerGroupOffsets("moratorium-service")
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
        operator.describeTopics(List.of("policy-changes")).allTopicNames().get(30, TimeUnit.SECONDS).get("policy-changes")
                .partitions().forEach(p -> ends.put(new TopicPartition("policy-changes", p.partition()), OffsetSpec.latest()));
        long behind = 0;
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e
                : operator.listOffsets(ends).all().get(30, TimeUnit.SECONDS).entrySet()) {
            OffsetAndMetadata at = committed.get(e.getKey());
            behind += e.getValue().offset() - (at == null ? 0 : at.offset());
        }
        return behind;
    }

    private static String gauge(String name) {
        return given().get("/q/metrics").then().extract().asString().lines().filter(l -> l.startsWith(name + " "))
                .map(l -> l.substring(name.length() + 1)).findFirst().orElse("absent");
    }
}
