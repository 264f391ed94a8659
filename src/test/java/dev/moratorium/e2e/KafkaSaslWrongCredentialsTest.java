package dev.moratorium.e2e;

import dev.moratorium.testing.OwnInfrastructureProfile;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.moratorium.testing.EmbeddedInfrastructureResource;
import dev.moratorium.testing.SeedStory;
import dev.moratorium.testing.TestKafka;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The same SASL_SSL broker, but the service has a wrong password: it fails closed. Nothing is
 * consumed (no policy, no committed offset, no notification), the log names the authentication
 * failure, and readiness is DOWN, so Kubernetes keeps traffic away and the operator sees why.
 */
@QuarkusTest
@TestProfile(KafkaSaslWrongCredentialsTest.Profile.class)
class KafkaSaslWrongCredentialsTest {

    public static class Profile extends OwnInfrastructureProfile {
        public Profile() {
            super(Map.of(EmbeddedInfrastructureResource.KAFKA_SECURITY, "SASL_SSL",
                    EmbeddedInfrastructureResource.KAFKA_PASSWORD, EmbeddedInfrastructureResource.WRONG));
        }

        /** The log also goes to a file of its own (a fresh name per run), which the test reads. */
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.log.file.enabled", "true",
                    "quarkus.log.file.path", "target/test-logs/kafka-sasl-wrong-credentials-" + System.nanoTime() + ".log");
        }
    }

    @ConfigProperty(name = "quarkus.log.file.path")
    Path logFile;

    @Test
    void failsClosed() throws Exception {
        SeedStory.produce();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/q/health/ready").then().statusCode(503).body("status", equalTo("DOWN")));
        String line = await().atMost(Duration.ofSeconds(30)).until(this::authenticationFailureLine, Optional::isPresent)
                .orElseThrow();
        System.out.println("wrong Kafka credentials logged: " + line);
        System.out.println("readiness: " + given().get("/q/health/ready").then().extract().asString().replaceAll("\\s+", " "));

        // Readiness must stay DOWN while the client retries, not flap with each reconnection
        // (SmallRye's own check counts open connections, and one is open during each handshake);
        // meanwhile the consumer has every chance to read what was produced, and must not.
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            var r = given().get("/q/health/ready").then().extract();
            if (r.statusCode() != 503) {
                seen.add(r.statusCode() + " " + r.asString().replaceAll("\\s+", " "));
            }
            Thread.sleep(200);
        }
        assertThat(seen).as("readiness answers other than 503 while the credentials are wrong").isEmpty();
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'Kafka consumer policy-changes' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'Kafka consumer policy-changes' }.data.problem",
                        containsString("refuses the consumer's credentials"));
        System.out.println("liveness: " + given().get("/q/health/live").then().extract().asString().replaceAll("\\s+", " "));
        given().get("/moratoria").then().statusCode(200).body("total", equalTo(0));
        assertThat(committedOffsets()).isEmpty();
        assertThat(TestKafka.readAll("moratorium-notifications")).isEmpty();
    }

    /** An ERROR or WARN line that says authentication failed. */
    private Optional<String> authenticationFailureLine() throws IOException {
        if (!Files.exists(logFile)) {
            return Optional.empty();
        }
        return Files.readAllLines(logFile, StandardCharsets.UTF_8).stream()
                .filter(l -> l.contains(" ERROR ") || l.contains(" WARN "))
                .filter(l -> l.toLowerCase(Locale.ROOT).contains("authentication"))
                .findFirst();
    }

    private static Map<TopicPartition, OffsetAndMetadata> committedOffsets() throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            return admin.listConsumerGroupOffsets("moratorium-service").partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
        }
    }
}
