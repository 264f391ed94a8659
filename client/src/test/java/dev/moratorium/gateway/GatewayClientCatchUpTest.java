package dev.moratorium.gateway;

import static dev.moratorium.gateway.StateRecordsTest.AMAZON;
import static dev.moratorium.gateway.StateRecordsTest.IBM;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.embedded.EmbeddedKafkaBroker;
import dev.moratorium.policy.AccessDecision;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client catches up once the broker returns. The real embedded broker is stopped (not only
 * the service: nothing can be read at all), the client keeps answering from its last view while its
 * staleness grows, and a change is sent meanwhile (the producer buffers it, as the service's outbox
 * relay would keep its rows). The broker is started again on the same port and data directory, as
 * an operator restarts it; the buffered change and one published afterwards reach the client, its
 * answers change accordingly and its staleness is reset (synced after the restart, lag 0).
 */
class GatewayClientCatchUpTest {

    private static final String TOPIC = "moratorium-state";
    private static final String AMAZON_ID = "amazon-rekognition-police-2020";
    private static final String IBM_ID = "ibm-face-recognition-withdrawal";
    private static final Instant JULY_2021 = Instant.parse("2021-07-01T00:00:00Z");

    @Test
    void keepsAnsweringWhileTheBrokerIsDownAndCatchesUpWhenItReturns(@TempDir Path data) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, data);
        int port = Integer.parseInt(broker.bootstrapServers().substring(broker.bootstrapServers().lastIndexOf(':') + 1));
        try (KafkaProducer<byte[], byte[]> producer = producer(broker.bootstrapServers())) {
            broker.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1).configs(Map.of("cleanup.policy", "compact"))));
            send(producer, AMAZON_ID, AMAZON).get();
            try (MoratoriumGatewayClient client = MoratoriumGatewayClient.builder()
                    .bootstrapServers(broker.bootstrapServers()).start()) {
                assertThat(client.awaitLoaded(Duration.ofSeconds(60))).isTrue();
                await("synced before the outage", () -> client.staleness().lastSyncedAt() != null
                        && client.staleness().lag() == 0);
                // the moratorium ended on 2021-06-10; IBM is not known yet
                assertThat(decideAmazon(client).allowed()).isTrue();
                assertThat(decideIbm(client).allowed()).isTrue();

                broker.close();
                broker = null;
                Instant down = Instant.now();
                Instant syncedBefore = client.staleness().lastSyncedAt();
                // published while the broker is down: the producer keeps it and delivers it later
                Future<RecordMetadata> meanwhile = send(producer, AMAZON_ID,
                        AMAZON.replace("\"2021-06-10T00:00:00Z\"", "null"));
                Duration firstAge = client.staleness().age(Instant.now());
                Thread.sleep(4_000);
                // no broker: the same answers from the last view; the view is no longer confirmed
                assertThat(decideAmazon(client).allowed()).isTrue();
                assertThat(client.staleness().loaded()).isTrue();
                assertThat(client.staleness().policies()).isEqualTo(1);
                assertThat(client.staleness().lastSyncedAt()).isBeforeOrEqualTo(down.plusSeconds(2));
                Duration outageAge = client.staleness().age(Instant.now());
                assertThat(outageAge).isGreaterThan(firstAge.plusSeconds(2));
                assertThat(meanwhile.isDone()).isFalse();

                broker = EmbeddedKafkaBroker.start(port, data);
                Instant back = Instant.now();
                assertThat(broker.bootstrapServers()).endsWith(":" + port);
                meanwhile.get();
                send(producer, IBM_ID, IBM).get(); // published after the broker returned

                await("the change sent meanwhile applied", () -> !decideAmazon(client).allowed());
                await("the change published afterwards applied", () -> !decideIbm(client).allowed());
                await("synced again after the restart", () -> client.staleness().lastSyncedAt() != null
                        && client.staleness().lastSyncedAt().isAfter(back) && client.staleness().lag() == 0);
                assertDenied(decideAmazon(client), AMAZON_ID, null);
                assertDenied(decideIbm(client), IBM_ID, null);
                assertThat(client.staleness().policies()).isEqualTo(2);
                assertThat(client.staleness().lastUpdateAt()).isAfter(back);
                assertThat(client.staleness().age(Instant.now())).isLessThan(outageAge);
                assertThat(syncedBefore).isBefore(client.staleness().lastSyncedAt());
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
            deleteQuietly(data);
        }
    }

    /** The broker's log and metadata: a temp directory left behind is harmless, but not kept on purpose. */
    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // nothing to clean up, or already gone
        }
    }

    private static AccessDecision decideAmazon(MoratoriumGatewayClient client) {
        return client.decide("Amazon", "Rekognition", "police", null, "US", JULY_2021);
    }

    private static AccessDecision decideIbm(MoratoriumGatewayClient client) {
        return client.decide("IBM", "general-purpose face recognition", "police", null, "US", JULY_2021);
    }

    private static void assertDenied(AccessDecision d, String policyId, Instant until) {
        assertThat(d.allowed()).as("allowed in %s", d).isFalse();
        assertThat(d.policyId()).isEqualTo(policyId);
        assertThat(d.until()).isEqualTo(until);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("%s within 60 s", what).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /**
     * Keeps the topic's metadata while the broker is away (the default, rebootstrap, drops it and
     * makes send() block), and waits for the broker for up to two minutes, so a send during the
     * outage is buffered at once and delivered when the broker is back.
     */
    private static KafkaProducer<byte[], byte[]> producer(String servers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000);
        p.put("metadata.recovery.strategy", "none");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static Future<RecordMetadata> send(KafkaProducer<byte[], byte[]> producer, String key, String value) {
        return producer.send(new ProducerRecord<>(TOPIC, bytes(key), bytes(value)));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
