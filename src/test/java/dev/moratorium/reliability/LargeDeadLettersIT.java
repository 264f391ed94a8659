package dev.moratorium.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.testing.TestKafka;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * An outbox backlog of the largest records the service writes — dead letters of 2 MiB, 200 MiB in
 * all, more than the deployment's whole heap — is published by the packaged service running with
 * the deployment's JVM options, in order, without running out of memory. Such a backlog is what a
 * day of oversized records leaves while the relay cannot publish. When a round read its 500 rows
 * whatever their size, the service exited on OutOfMemoryError at every start (a crash loop that
 * published nothing); a round now stops reading at a byte budget. And a topic full of the largest
 * records a producer can send (each rejected too-large, kept and dead-lettered) is worked through
 * with the same heap.
 */
class LargeDeadLettersIT {

    private static final int ROWS = 100;
    private static final int PAYLOAD_BYTES = Topics.INPUT_MAX_BYTES;

    @Test
    void aBacklogLargerThanTheHeapIsPublishedInOrderAndTheServiceStaysUp() throws Exception {
        try (Harness h = new Harness(1)) {
            ServiceProcess service = h.service("large-dead-letters");
            service.startAsDeployed(); // once, for the schema; stopped before the backlog is written
            service.awaitReady(Duration.ofSeconds(90));
            service.terminate(Duration.ofSeconds(20));

            writeBacklog(h);
            assertThat(h.count("SELECT count(*) FROM outbox")).isEqualTo(ROWS);

            service.startAsDeployed();
            service.awaitReady(Duration.ofSeconds(90));
            awaitEmptyOutbox(h, service, Duration.ofSeconds(120));
            assertThat(service.isAlive()).as("still running after publishing the backlog").isTrue();

            int published = checkPublishedInOrder(h);
            assertThat(published).isEqualTo(ROWS);
            String log = Files.readString(Path.of("target/reliability/large-dead-letters-2.log"));
            assertThat(log).doesNotContain("OutOfMemoryError");
            System.out.println("reliability large dead letters: " + ROWS + " records of " + PAYLOAD_BYTES
                    + " bytes published in order with the deployment's heap, service up");
            service.terminate(Duration.ofSeconds(20));
        }
    }

    @Test
    void aTopicFullOfTheLargestRecordsIsDeadLetteredWithTheDeploymentsHeap() throws Exception {
        try (Harness h = new Harness(1)) {
            byte[] value = new byte[Topics.INPUT_MAX_BYTES - 16 * 1024]; // the largest the topic takes, with its key and headers
            java.util.Arrays.fill(value, (byte) '{');
            try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer(h.kafka.bootstrapServers(),
                    Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.INPUT_MAX_BYTES))) {
                for (int i = 1; i <= ROWS; i++) {
                    producer.send(TestKafka.structured("oversized-" + i, value));
                }
                producer.flush();
            }
            ServiceProcess service = h.service("large-input");
            service.startAsDeployed();
            service.awaitReady(Duration.ofSeconds(90));
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            while (h.count("SELECT count(*) FROM rejection") < ROWS || h.count("SELECT count(*) FROM outbox") > 0) {
                assertThat(service.isAlive()).as("the service exited while ingesting:\n" + service.diagnose()).isTrue();
                assertThat(System.nanoTime()).as("all rejected and dead-lettered in time:\n" + service.diagnose())
                        .isLessThan(deadline);
                Thread.sleep(250);
            }
            assertThat(h.count("SELECT count(*) FROM rejection WHERE reason_code = 'too-large'")).isEqualTo(ROWS);
            assertThat(h.count("SELECT count(*) FROM policy_event")).isZero();
            assertThat(Files.readString(Path.of("target/reliability/large-input.log"))).doesNotContain("OutOfMemoryError");
            System.out.println("reliability large input: " + ROWS + " records of " + value.length
                    + " bytes rejected and dead-lettered with the deployment's heap, service up");
            service.terminate(Duration.ofSeconds(20));
        }
    }

    /**
     * The rows as a writer leaves them (ids from the outbox sequence, in order), their payloads made
     * by PostgreSQL so the test does not ship 200 MiB: a number, then filler up to the size.
     */
    private static void writeBacklog(Harness h) throws Exception {
        String headers = HeaderCodec.encode(List.of(
                new RawHeader("dead-letter-reason", "too-large: over 64 KiB".getBytes(StandardCharsets.UTF_8))));
        try (Connection c = DriverManager.getConnection(h.postgres.jdbcUrl());
                PreparedStatement s = c.prepareStatement("INSERT INTO outbox (id, topic, record_key, payload, headers,"
                        + " created_at) SELECT nextval('outbox_seq'), ?, convert_to('large-' || g, 'UTF8'),"
                        + " convert_to(lpad(g::text, 8, '0') || repeat('x', ? - 8), 'UTF8'), ?::json, now()"
                        + " FROM generate_series(1, ?) AS g ORDER BY g")) {
            s.setString(1, Topics.DEAD_LETTER);
            s.setInt(2, PAYLOAD_BYTES);
            s.setString(3, headers);
            s.setInt(4, ROWS);
            s.executeUpdate();
        }
    }

    private static void awaitEmptyOutbox(Harness h, ServiceProcess service, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long left = -1;
        while (System.nanoTime() < deadline) {
            left = h.count("SELECT count(*) FROM outbox");
            if (left == 0) {
                return;
            }
            assertThat(service.isAlive()).as("the service exited while publishing:\n" + service.diagnose()).isTrue();
            Thread.sleep(250);
        }
        throw new AssertionError(left + " rows left in the outbox after " + timeout + "\n" + service.diagnose());
    }

    /** Reads the dead-letter topic a record at a time (not 200 MiB at once); the number read. */
    private static int checkPublishedInOrder(Harness h) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, h.kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "large-dead-letters-" + UUID.randomUUID());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.OUTPUT_MAX_BYTES);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 4);
        int read = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = List.of(new TopicPartition(Topics.DEAD_LETTER, 0));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long end = consumer.endOffsets(tps).get(tps.get(0));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (consumer.position(tps.get(0)) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read++;
                    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("large-" + read);
                    assertThat(r.value()).hasSize(PAYLOAD_BYTES);
                    assertThat(new String(r.value(), 0, 8, StandardCharsets.US_ASCII))
                            .isEqualTo(String.format("%08d", read));
                    assertThat(new String(r.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                            .startsWith("too-large");
                }
            }
        }
        return read;
    }
}
