package dev.moratorium.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** A plain Kafka producer and reader for tests: what an outside producer or subscriber would use. */
public final class TestKafka {

    /** Set by {@link EmbeddedInfrastructureResource} when the broker starts. */
    static volatile String bootstrapServers;

    private TestKafka() {
    }

    public static String bootstrapServers() {
        return bootstrapServers;
    }

    /** Sends and waits for the broker's acknowledgement. */
    public static void send(String topic, String key, byte[] value, Map<String, String> headers) {
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            send(producer, topic, key, value, headers);
            producer.flush();
        }
    }

    public static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value,
            Map<String, String> headers) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
        headers.forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        try {
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not produce to " + topic, e);
        }
    }

    public static void sendStructured(String key, String cloudEventJson) {
        send("policy-changes", key, cloudEventJson.getBytes(StandardCharsets.UTF_8),
                Map.of("content-type", "application/cloudevents+json"));
    }

    public static KafkaProducer<byte[], byte[]> producer() {
        return producer(bootstrapServers, Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024));
    }

    /**
     * A producer of raw bytes that waits for every replica ({@code acks=all}), as a careful
     * producer of policy changes would, with the caller's settings on top.
     */
    public static KafkaProducer<byte[], byte[]> producer(String bootstrapServers, Map<String, Object> settings) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putAll(settings);
        return new KafkaProducer<>(p);
    }

    /** A structured CloudEvent for {@code policy-changes}, keyed by its policy. */
    public static ProducerRecord<byte[], byte[]> structured(String key, byte[] cloudEventJson) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>("policy-changes",
                key.getBytes(StandardCharsets.UTF_8), cloudEventJson);
        record.headers().add("content-type", "application/cloudevents+json".getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /** Everything on the topic from the beginning, read until {@code done} holds or the timeout passes. */
    public static List<ConsumerRecord<byte[], byte[]>> readUntil(String topic, Duration timeout,
            Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            while (System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                if (done.test(records)) {
                    break;
                }
            }
        }
        return records;
    }

    /** All records currently on the topic (reads until a quiet second). */
    public static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        int[] lastSize = {-1};
        long[] quietSince = {System.nanoTime()};
        return readUntil(topic, Duration.ofSeconds(20), records -> {
            if (records.size() != lastSize[0]) {
                lastSize[0] = records.size();
                quietSince[0] = System.nanoTime();
                return false;
            }
            return System.nanoTime() - quietSince[0] > 1_500_000_000L;
        });
    }

    public static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    public static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}
