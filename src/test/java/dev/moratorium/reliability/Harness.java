package dev.moratorium.reliability;

import dev.moratorium.embedded.EmbeddedKafkaBroker;
import dev.moratorium.embedded.EmbeddedPostgresServer;
import dev.moratorium.embedded.Ports;
import dev.moratorium.embedded.TopicLayout;
import dev.moratorium.testing.ScratchDirectories;
import dev.moratorium.testing.TestKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A real broker and a real PostgreSQL that can be stopped and restarted on the same ports and
 * data, a producer, a reader of the output topics and the checks that compare what the service
 * did with what the workload says it must do.
 */
final class Harness implements AutoCloseable {

    /** The consumer group of the service (mp.messaging.incoming.policy-changes.group.id). */
    static final String SERVICE_GROUP = "moratorium-service";

    final Path dir;
    final int kafkaPort;
    final int postgresPort;
    final int partitions;
    EmbeddedKafkaBroker kafka;
    EmbeddedPostgresServer postgres;
    private final KafkaProducer<byte[], byte[]> producer;
    private final List<ServiceProcess> services = new ArrayList<>();

    Harness(int partitions) throws Exception {
        this(partitions, Duration.ofSeconds(180));
    }

    /**
     * @param producerPatience how long the producer keeps a record it cannot deliver (and how long a
     *                         send may block) before failing: longer than any broker outage a test makes
     */
    Harness(int partitions, Duration producerPatience) throws Exception {
        this.dir = ScratchDirectories.create("moratorium-reliability-");
        this.kafkaPort = Ports.free();
        this.postgresPort = Ports.free();
        this.partitions = partitions;
        startKafka();
        kafka.createTopics(TopicLayout.topics(partitions));
        startPostgres();
        producer = TestKafka.producer(kafka.bootstrapServers(), Map.of(ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) producerPatience.toMillis(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, producerPatience.toMillis(),
                // Keep the topics' metadata while the broker is down, so that a send during an outage is
                // buffered at once, as events keep coming; by default (rebootstrap) the client drops the
                // metadata and send() blocks until the broker is back.
                "metadata.recovery.strategy", "none"));
    }

    void startKafka() throws Exception {
        kafka = EmbeddedKafkaBroker.start(kafkaPort, dir.resolve("kafka"));
    }

    void startPostgres() throws Exception {
        postgres = EmbeddedPostgresServer.start(postgresPort, dir.resolve("postgres"));
    }

    ServiceProcess service(String name) throws Exception {
        return service(name, postgres.jdbcUrl(), Map.of());
    }

    /**
     * A service process owned by this harness: {@link #close()} kills it if the test left it
     * running. A test that fails half-way must not leave replicas behind that keep reconnecting to
     * ports the next test's broker or database may be given.
     */
    ServiceProcess service(String name, String jdbcUrl, Map<String, String> extraEnv) throws Exception {
        ServiceProcess service = new ServiceProcess(name, kafka.bootstrapServers(), jdbcUrl, extraEnv);
        services.add(service);
        return service;
    }

    /** Sends every record and waits for the broker's acknowledgements. */
    void produce(List<Workload.Rec> records) throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (Workload.Rec r : records) {
            acks.add(send(r));
        }
        for (Future<RecordMetadata> ack : acks) {
            ack.get();
        }
    }

    Future<RecordMetadata> send(Workload.Rec r) {
        return producer.send(TestKafka.structured(r.key(), r.value()));
    }

    /** Sends one record to the partition given, whatever its key's hash says. */
    Future<RecordMetadata> send(Workload.Rec r, int partition) {
        ProducerRecord<byte[], byte[]> keyed = TestKafka.structured(r.key(), r.value());
        return producer.send(new ProducerRecord<>(keyed.topic(), partition, keyed.key(), keyed.value(), keyed.headers()));
    }

    void flush() {
        producer.flush();
    }

    long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl());
                Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    long appliedCount() throws SQLException {
        return count("SELECT count(*) FROM policy_event");
    }

    /** Until every expected event is applied, every rejection kept and the outbox empty. */
    void awaitCaughtUp(Workload w, Duration timeout, ServiceProcess... services) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long applied = safeCount("SELECT count(*) FROM policy_event");
            long rejected = safeCount("SELECT count(*) FROM rejection");
            long outbox = safeCount("SELECT count(*) FROM outbox");
            if (applied == w.applied && rejected == w.rejected() && outbox == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not caught up within " + timeout + ": applied " + applied + "/" + w.applied
                        + ", rejected " + rejected + "/" + w.rejected() + ", outbox " + outbox
                        + java.util.Arrays.stream(services).map(s -> "\n" + s.diagnose())
                                .collect(java.util.stream.Collectors.joining()));
            }
            Thread.sleep(250);
        }
    }

    /**
     * Waits until the store holds {@code applied} events and {@code rejected} rejections (what the
     * records sent so far lead to); returns how long that took.
     */
    Duration awaitStored(long applied, long rejected, Duration timeout, ServiceProcess service)
            throws InterruptedException {
        long start = System.nanoTime();
        while (true) {
            long a = safeCount("SELECT count(*) FROM policy_event");
            long r = safeCount("SELECT count(*) FROM rejection");
            if (a >= applied && r >= rejected) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            if (System.nanoTime() - start > timeout.toNanos()) {
                throw new AssertionError("not stored within " + timeout + ": applied " + a + "/" + applied
                        + ", rejected " + r + "/" + rejected + "\n" + service.diagnose());
            }
            Thread.sleep(100);
        }
    }

    private long safeCount(String sql) {
        try {
            return count(sql);
        } catch (SQLException e) {
            return -1;
        }
    }

    /** Everything on a topic, read from the beginning to the current end. */
    List<ConsumerRecord<byte[], byte[]>> readTopic(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "reliability-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                tps.add(new TopicPartition(topic, i));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(all::add);
            }
        }
        return all;
    }

    /**
     * Per partition of {@code policy-changes}: the first offset a restart would read that the store
     * has not already taken (one past the last record applied or rejected), and the offset the
     * service's consumer group has committed. A stop that commits what it applied has the second
     * at least the first everywhere; a partition with no stored record is left out.
     */
    Map<Integer, long[]> storedVersusCommitted() throws Exception {
        Map<Integer, long[]> out = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT kafka_partition, max(kafka_offset) FROM ("
                        + " SELECT kafka_partition, kafka_offset FROM policy_event WHERE kafka_offset IS NOT NULL"
                        + " UNION ALL SELECT kafka_partition, kafka_offset FROM rejection WHERE topic = 'policy-changes'"
                        + ") AS stored GROUP BY kafka_partition")) {
            while (rs.next()) {
                out.put(rs.getInt(1), new long[] {rs.getLong(2) + 1, -1});
            }
        }
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(SERVICE_GROUP)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            committed.forEach((tp, o) -> {
                long[] pair = out.get(tp.partition());
                if (tp.topic().equals("policy-changes") && pair != null && o != null) {
                    pair[1] = o.offset();
                }
            });
        }
        return out;
    }

    /** Compares history, state, notifications and rejections with the workload; returns the figures line. */
    String verify(Workload w, List<ServiceProcess> services) throws Exception {
        Map<String, List<String>> history = new HashMap<>();
        Map<String, String[]> state = new HashMap<>();
        Map<String, TreeSet<String>> exemptions = new HashMap<>();
        Map<String, Integer> rejections = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT policy_id, event_id FROM policy_event ORDER BY id")) {
                while (rs.next()) {
                    history.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT policy_id, status, to_char(effective_until AT TIME ZONE 'UTC',"
                    + " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM policy")) {
                while (rs.next()) {
                    state.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT policy_id, organization FROM exemption WHERE revoked_at IS NULL")) {
                while (rs.next()) {
                    exemptions.computeIfAbsent(rs.getString(1), k -> new TreeSet<>()).add(rs.getString(2));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT reason_code, count(*) FROM rejection GROUP BY reason_code")) {
                while (rs.next()) {
                    rejections.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Workload.Expected> e : w.policies.entrySet()) {
            Workload.Expected expected = e.getValue();
            List<String> actual = history.getOrDefault(e.getKey(), List.of());
            if (!actual.equals(expected.appliedEventIds)) {
                problems.add(e.getKey() + " history " + actual + " != " + expected.appliedEventIds);
            }
            String[] st = state.get(e.getKey());
            if (st == null || !st[0].equals(expected.status) || !st[1].equals(expected.until)) {
                problems.add(e.getKey() + " state " + (st == null ? "missing" : st[0] + " " + st[1]) + " != "
                        + expected.status + " " + expected.until);
            }
            if (!new TreeSet<>(expected.exemptions).equals(exemptions.getOrDefault(e.getKey(), new TreeSet<>()))) {
                problems.add(e.getKey() + " exemptions " + exemptions.get(e.getKey()) + " != " + expected.exemptions);
            }
        }
        if (!rejections.equals(w.expectedRejections) && !new HashMap<>(rejections).equals(new HashMap<>(w.expectedRejections))) {
            problems.add("rejections " + rejections + " != " + w.expectedRejections);
        }

        Map<String, Integer> seen = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readTopic("moratorium-notifications")) {
            var h = r.headers().lastHeader("ce_id");
            seen.merge(new String(h.value(), StandardCharsets.UTF_8), 1, Integer::sum);
        }
        long lost = w.expectedNotifications.keySet().stream().filter(id -> !seen.containsKey(id)).count();
        long unexpected = seen.keySet().stream().filter(id -> !w.expectedNotifications.containsKey(id)).count();
        long duplicateIds = seen.values().stream().filter(n -> n > 1).count();
        long redelivered = seen.values().stream().mapToLong(n -> n - 1).sum();
        long dlq = readTopic("policy-changes-dlq").size();
        if (lost > 0) {
            problems.add(lost + " expected notifications never published");
        }
        if (unexpected > 0 && !w.extraNotificationsAllowed) {
            problems.add(unexpected + " notification ids that no applied event explains");
        }
        if (dlq < w.rejected()) {
            problems.add("only " + dlq + " of " + w.rejected() + " rejected records on policy-changes-dlq");
        }
        long listed = 0;
        for (ServiceProcess s : services) {
            if (s.isAlive()) {
                listed = countRejectionsOverHttp(s);
                if (listed != w.rejected()) {
                    problems.add("/rejections lists " + listed + " of " + w.rejected());
                }
                break;
            }
        }
        String figures = "sent=" + w.records.size() + " applied=" + history.values().stream().mapToInt(List::size).sum()
                + " rejected=" + rejections.values().stream().mapToInt(Integer::intValue).sum()
                + " duplicates_sent=" + w.duplicates + " lost=" + lost + " unexpected_ids=" + unexpected
                + " duplicate_ids=" + duplicateIds + " redelivered=" + redelivered + " dlq_records=" + dlq
                + " rejections_listed=" + listed;
        if (!problems.isEmpty()) {
            throw new AssertionError(figures + "\n" + String.join("\n", problems.subList(0, Math.min(20,
                    problems.size()))));
        }
        return figures;
    }

    private static long countRejectionsOverHttp(ServiceProcess s) throws Exception {
        long total = 0;
        long after = 0;
        while (true) {
            String page = s.get("/rejections?limit=500&after=" + after);
            var list = new com.fasterxml.jackson.databind.ObjectMapper().readTree(page);
            if (list.isEmpty()) {
                return total;
            }
            total += list.size();
            after = list.get(list.size() - 1).get("id").asLong();
        }
    }

    @Override
    public void close() throws Exception {
        for (ServiceProcess service : services) {
            if (service.isAlive()) {
                service.kill();
            }
        }
        producer.close(Duration.ofSeconds(5));
        if (kafka != null) {
            kafka.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        // the broker's log and the database, up to hundreds of MB a test (the services' logs are in target/reliability)
        ScratchDirectories.deleteQuietly(dir);
    }
}
