package dev.moratorium.e2e;

import dev.moratorium.testing.OwnInfrastructureProfile;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.moratorium.testing.EmbeddedInfrastructureResource;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.SeedStory;
import dev.moratorium.testing.TestKafka;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.common.annotation.Identifier;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The service against a broker that demands SASL/SCRAM-SHA-512 over TLS, configured only through
 * the production environment variables (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM,
 * KAFKA_SASL_JAAS_CONFIG, KAFKA_SSL_TRUSTSTORE_*): with the right credentials, events flow end to
 * end through all four channels.
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
    }
}
