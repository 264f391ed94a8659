package dev.moratorium.gateway;

import static dev.moratorium.gateway.StateRecordsTest.AMAZON;
import static dev.moratorium.gateway.StateRecordsTest.IBM;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.embedded.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a real broker (the service's embedded KRaft broker): it loads the compacted
 * topic from the beginning, follows changes, tells listeners, and keeps answering from its last
 * view once the broker is gone, while its staleness shows the view is no longer confirmed.
 */
class GatewayClientBrokerTest {

    private static final String TOPIC = "moratorium-state";
    private static final Instant JUNE_2020 = Instant.parse("2020-06-11T00:00:00Z");

    @Test
    void loadsFollowsAndOutlivesTheBroker(@TempDir Path data) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, data);
        boolean brokerUp = true;
        try {
            broker.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1)
                    .configs(Map.of("cleanup.policy", "compact"))));
            try (KafkaProducer<byte[], byte[]> producer = producer(broker.bootstrapServers())) {
                send(producer, "amazon-rekognition-police-2020", AMAZON);
                send(producer, "ibm-face-recognition-withdrawal", IBM);
                send(producer, "gone", IBM.replace("ibm-face-recognition-withdrawal", "gone"));
                producer.send(new ProducerRecord<>(TOPIC, bytes("gone"), null)).get(); // a tombstone
            }
            try (MoratoriumGatewayClient client = MoratoriumGatewayClient.builder()
                    .bootstrapServers(broker.bootstrapServers()).start()) {
                assertThat(client.awaitLoaded(Duration.ofSeconds(60))).isTrue();
                assertThat(client.staleness().policies()).isEqualTo(2);
                assertThat(client.policy("gone")).isEmpty();
                assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", JUNE_2020).allowed()).isFalse();
                assertThat(client.decide("IBM", "general-purpose face recognition", "x", null, JUNE_2020).allowed())
                        .isFalse();
                await(() -> client.staleness().lastSyncedAt() != null && client.staleness().lag() == 0);

                List<String> heard = new CopyOnWriteArrayList<>();
                client.addListener((id, before, after) -> heard.add(id));
                try (KafkaProducer<byte[], byte[]> producer = producer(broker.bootstrapServers())) {
                    send(producer, "amazon-rekognition-police-2020", AMAZON.replace("\"2021-06-10T00:00:00Z\"", "null"));
                }
                await(() -> heard.contains("amazon-rekognition-police-2020"));
                Instant july2021 = Instant.parse("2021-07-01T00:00:00Z");
                assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", july2021).allowed()).isFalse();

                broker.close();
                brokerUp = false;
                Instant synced = client.staleness().lastSyncedAt();
                Thread.sleep(3_000);
                // no broker: the same answers from the last view, and a view no longer confirmed
                assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", july2021).allowed()).isFalse();
                assertThat(client.decide("Amazon", "Rekognition", "police", null, "GB", july2021).allowed()).isTrue();
                assertThat(client.staleness().lastSyncedAt()).isBeforeOrEqualTo(synced.plusSeconds(2));
                assertThat(client.staleness().age(Instant.now())).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
            }
        } finally {
            if (brokerUp) {
                broker.close();
            }
        }
    }

    /**
     * The service places a policy's state by its key's hash modulo the partition count: with more
     * partitions (added in place, or the topic made anew with more, as the service's runbook says),
     * a policy's current state can be in a partition the client was not reading, and it would have
     * decided on its old view for good.
     */
    @Test
    void readsPartitionsAddedInPlaceAndATopicMadeAnewWithMore(@TempDir Path data) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, data);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
                KafkaProducer<byte[], byte[]> producer = producer(broker.bootstrapServers())) {
            NewTopic three = new NewTopic(TOPIC, 3, (short) 1).configs(Map.of("cleanup.policy", "compact"));
            broker.createTopics(List.of(three));
            send(producer, "amazon-rekognition-police-2020", AMAZON);
            try (MoratoriumGatewayClient client = MoratoriumGatewayClient.builder()
                    .bootstrapServers(broker.bootstrapServers())
                    .kafkaProperty("metadata.max.age.ms", 500) // the test's patience, not the default 30 s
                    .start()) {
                assertThat(client.awaitLoaded(Duration.ofSeconds(60))).isTrue();
                assertThat(client.policy("ibm-face-recognition-withdrawal")).isEmpty();

                admin.createPartitions(Map.of(TOPIC, NewPartitions.increaseTo(5))).all().get(30, TimeUnit.SECONDS);
                producer.send(new ProducerRecord<>(TOPIC, 4, bytes("ibm-face-recognition-withdrawal"), bytes(IBM))).get();
                await(() -> client.policy("ibm-face-recognition-withdrawal").isPresent());

                // made anew with 7 partitions, and the current state written to one the client never read
                makeAnew(admin, 7);
                Instant july2021 = Instant.parse("2021-07-01T00:00:00Z");
                assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", july2021).allowed())
                        .as("ended on 2021-06-10, as the client knew it").isTrue();
                producer.send(new ProducerRecord<>(TOPIC, 6, bytes("amazon-rekognition-police-2020"),
                        bytes(AMAZON.replace("\"2021-06-10T00:00:00Z\"", "null")))).get();
                await(() -> !client.decide("Amazon", "Rekognition", "police", null, "US", july2021).allowed());
            }
        } finally {
            broker.close();
        }
    }

    /**
     * A topic made anew whose records reach the client's old position before the client fetches
     * again (a republish of the service's states does that): positions past the new end were reset
     * to its beginning, but one within it read on from there, and the records before it (here a
     * moratorium made indefinite) were never seen. The client now reads every partition again from
     * the beginning when the topic's id changes.
     */
    @Test
    void aTopicMadeAnewIsReadFromItsBeginningThoughItHoldsMoreThanTheOldPosition(@TempDir Path data) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, data);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
                KafkaProducer<byte[], byte[]> producer = producer(broker.bootstrapServers())) {
            broker.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))));
            send(producer, "amazon-rekognition-police-2020", AMAZON);
            send(producer, "filler-1", IBM.replace("ibm-face-recognition-withdrawal", "filler-1"));
            send(producer, "filler-2", IBM.replace("ibm-face-recognition-withdrawal", "filler-2"));
            Instant july2021 = Instant.parse("2021-07-01T00:00:00Z");
            try (MoratoriumGatewayClient client = MoratoriumGatewayClient.builder()
                    .bootstrapServers(broker.bootstrapServers())
                    // the test's patience, not the default 30 s; as text with spaces, which Kafka takes
                    // and a stricter reading of it had ended the client's thread
                    .kafkaProperty("metadata.max.age.ms", " 500 ")
                    .start()) {
                assertThat(client.awaitLoaded(Duration.ofSeconds(60))).isTrue();
                assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", july2021).allowed()).isTrue();

                // the client's thread held in a listener while the topic is made anew and filled up to
                // its position (4): it fetches next where it was, as a client slow to notice would
                CountDownLatch holding = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                client.addListener((id, before, after) -> {
                    if (id.equals("hold")) {
                        holding.countDown();
                        try {
                            release.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
                send(producer, "hold", IBM.replace("ibm-face-recognition-withdrawal", "hold"));
                assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
                makeAnew(admin, 1);
                send(producer, "amazon-rekognition-police-2020", AMAZON.replace("\"2021-06-10T00:00:00Z\"", "null"));
                send(producer, "filler-1", IBM.replace("ibm-face-recognition-withdrawal", "filler-1"));
                send(producer, "filler-2", IBM.replace("ibm-face-recognition-withdrawal", "filler-2"));
                send(producer, "hold-2", IBM.replace("ibm-face-recognition-withdrawal", "hold-2"));
                release.countDown();
                send(producer, "ibm-face-recognition-withdrawal", IBM);
                await(() -> client.policy("ibm-face-recognition-withdrawal").isPresent());
                await(() -> !client.decide("Amazon", "Rekognition", "police", null, "US", july2021).allowed());
                assertThat(client.staleness().policies()).isEqualTo(6);
            }
        } finally {
            broker.close();
        }
    }

    /** Deletes the topic and makes it again with this many partitions, once the broker has let the old one go. */
    private static void makeAnew(Admin admin, int partitions) throws Exception {
        admin.deleteTopics(List.of(TOPIC)).all().get(30, TimeUnit.SECONDS);
        NewTopic topic = new NewTopic(TOPIC, partitions, (short) 1).configs(Map.of("cleanup.policy", "compact"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                // still being deleted
                assertThat(e.getCause()).isInstanceOf(TopicExistsException.class);
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    /**
     * Started before the platform made its topic, on a broker that creates the topics clients name
     * (Kafka's default): the client waits for the topic instead of making it with the broker's
     * defaults (one partition, records deleted after a week), and loads it once it is made.
     */
    @Test
    void aClientStartedBeforeItsTopicWaitsForItAndDoesNotMakeIt(@TempDir Path data) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, data, java.util.Optional.empty(),
                Map.of("auto.create.topics.enable", "true"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
                MoratoriumGatewayClient client = MoratoriumGatewayClient.builder()
                        .bootstrapServers(broker.bootstrapServers()).start()) {
            Thread.sleep(3_000); // the client asks for the topic's partitions every second meanwhile
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain(TOPIC);
            assertThat(client.awaitLoaded(Duration.ofMillis(100))).isFalse();

            broker.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1).configs(Map.of("cleanup.policy", "compact"))));
            try (KafkaProducer<byte[], byte[]> producer = producer(broker.bootstrapServers())) {
                send(producer, "amazon-rekognition-police-2020", AMAZON);
            }
            await(() -> client.staleness().policies() == 1);
            assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", JUNE_2020).allowed()).isFalse();
        } finally {
            broker.close();
        }
    }

    /**
     * A copy of the topic written in Kafka transactions (MirrorMaker 2, a connector with exactly-once):
     * what the copier aborted is never decided on, and the view is complete (lag 0) past the
     * transactions' markers. With Kafka's default, read_uncommitted, the aborted state was decided on.
     */
    @Test
    void aStateACopierAbortedIsNeverDecidedOn(@TempDir Path data) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, data);
        try {
            broker.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))));
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "mirror-maker-like-copier");
            try (MoratoriumGatewayClient client = MoratoriumGatewayClient.builder()
                    .bootstrapServers(broker.bootstrapServers()).start();
                    KafkaProducer<byte[], byte[]> copier = new KafkaProducer<>(p, new ByteArraySerializer(),
                            new ByteArraySerializer())) {
                copier.initTransactions();
                copier.beginTransaction();
                copier.send(new ProducerRecord<>(TOPIC, bytes("amazon-rekognition-police-2020"), bytes(AMAZON)));
                copier.flush();
                copier.abortTransaction();
                copier.beginTransaction();
                copier.send(new ProducerRecord<>(TOPIC, bytes("ibm-face-recognition-withdrawal"), bytes(IBM)));
                copier.commitTransaction();

                assertThat(client.awaitLoaded(Duration.ofSeconds(60))).isTrue();
                await(() -> client.staleness().policies() == 1 && client.staleness().lag() == 0);
                assertThat(client.policy("ibm-face-recognition-withdrawal")).isPresent();
                assertThat(client.policy("amazon-rekognition-police-2020")).isEmpty();
                assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", JUNE_2020).allowed()).isTrue();
            }
        } finally {
            broker.close();
        }
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 30 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String servers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String key, String value) throws Exception {
        producer.send(new ProducerRecord<>(TOPIC, bytes(key), bytes(value))).get();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
