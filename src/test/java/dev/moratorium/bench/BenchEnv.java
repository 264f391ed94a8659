package dev.moratorium.bench;

import dev.moratorium.embedded.EmbeddedKafkaBroker;
import dev.moratorium.embedded.EmbeddedPostgresServer;
import dev.moratorium.embedded.Ports;
import dev.moratorium.embedded.TopicLayout;
import dev.moratorium.testing.ScratchDirectories;
import dev.moratorium.testing.TestKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What every benchmark runs against: a real Kafka broker (KRaft, in this JVM) and a real
 * PostgreSQL (its own processes), both fresh, on free localhost ports, with the contract's topics
 * (3 partitions each) — the same classes dev mode, the tests and the reliability harness use.
 */
final class BenchEnv implements AutoCloseable {

    static final int PARTITIONS = 3;

    final Path dir;
    final EmbeddedKafkaBroker kafka;
    final String jdbcUrl;
    private final AutoCloseable postgres;
    private final KafkaProducer<byte[], byte[]> producer;
    private boolean closed;

    private BenchEnv(Path dir, EmbeddedKafkaBroker kafka, String jdbcUrl, AutoCloseable postgres) {
        this.dir = dir;
        this.kafka = kafka;
        this.jdbcUrl = jdbcUrl;
        this.postgres = postgres;
        producer = TestKafka.producer(kafka.bootstrapServers(), Map.of(ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000));
    }

    static BenchEnv start() throws Exception {
        Path dir = ScratchDirectories.create("moratorium-bench-");
        EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(Ports.free(), dir.resolve("kafka"));
        List<NewTopic> topics = new ArrayList<>(TopicLayout.topics(PARTITIONS));
        topics.add(new NewTopic(PassthroughBaseline.OUTPUT_TOPIC, PARTITIONS, (short) 1));
        topics.add(new NewTopic(KafkaPerfTools.TOPIC, PARTITIONS, (short) 1));
        kafka.createTopics(topics);
        Map<String, String> settings = new HashMap<>();
        if (statementStatistics()) {
            // which statements, how often, how long
            settings.put("shared_preload_libraries", "pg_stat_statements");
        }
        if (!synchronousCommit()) {
            // to measure what the durable commit costs: the asynchronous commit zonky defaults to
            settings.put("synchronous_commit", "off");
        }
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(Ports.free(), dir.resolve("postgres"), settings);
        if (statementStatistics()) {
            try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement st = c.createStatement()) {
                st.execute("CREATE EXTENSION pg_stat_statements");
            }
        }
        BenchEnv env = new BenchEnv(dir, kafka, postgres.jdbcUrl(), postgres);
        OnExit.close(env);
        return env;
    }

    /**
     * {@code BENCH_PG_SYNCHRONOUS_COMMIT=off}: PostgreSQL acknowledges a commit before its WAL is
     * flushed, as the embedded server did before a40e8f8; for comparing with the passes before it.
     */
    static boolean synchronousCommit() {
        return !"off".equals(System.getenv("BENCH_PG_SYNCHRONOUS_COMMIT"));
    }

    /** {@code BENCH_PG_STATEMENTS=1}: PostgreSQL keeps pg_stat_statements, printed by {@link #statementReport()}. */
    static boolean statementStatistics() {
        return "1".equals(System.getenv("BENCH_PG_STATEMENTS"));
    }

    /**
     * The statements PostgreSQL spent the most time on (with BENCH_PG_STATEMENTS=1), else "": by time,
     * not by calls, so a rare statement that reads a whole table is not left below the frequent ones.
     */
    String statementReport() throws SQLException {
        if (!statementStatistics()) {
            return "";
        }
        StringBuilder b = new StringBuilder("-- PostgreSQL statements (pg_stat_statements): calls, rows, total ms, ms per call, slowest call (ms), query\n");
        try (Connection c = jdbc(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT calls, rows, round(total_exec_time::numeric, 0), round(mean_exec_time::numeric, 3),"
                        + " round(max_exec_time::numeric, 1), left(regexp_replace(query, '\\s+', ' ', 'g'), 150)"
                        + " FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'"
                        + " ORDER BY total_exec_time DESC LIMIT 30")) {
            while (rs.next()) {
                b.append(String.format("%9d %9d %8s ms %8s %8s  %s%n", rs.getLong(1), rs.getLong(2), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6)));
            }
        }
        try (Connection c = jdbc(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT sum(calls), round(sum(total_exec_time)::numeric, 0) FROM pg_stat_statements")) {
            rs.next();
            b.append(String.format("%9d statements in all, %s ms executing%n", rs.getLong(1), rs.getString(2)));
        }
        // How the tables were read: sequential scans of a large table, or dead rows piling up, show here.
        b.append("-- tables: seq scans, rows read by them, index scans, live rows, dead rows, autovacuums, autoanalyzes\n");
        try (Connection c = jdbc(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_live_tup, n_dead_tup, autovacuum_count,"
                        + " autoanalyze_count FROM pg_stat_user_tables ORDER BY seq_tup_read DESC LIMIT 8")) {
            while (rs.next()) {
                b.append(String.format("  %-22s %7d %12d %9d %9d %9d %4d %4d%n", rs.getString(1), rs.getLong(2),
                        rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8)));
            }
        }
        return b.toString();
    }

    BenchService service(String name, Map<String, String> extraEnv) throws IOException {
        return new BenchService(name, kafka.bootstrapServers(), jdbcUrl, extraEnv);
    }

    /** Produces the records to {@code policy-changes} as structured CloudEvents and waits for every ack. */
    void produce(List<BenchWorkload.Rec> records) throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
        for (BenchWorkload.Rec r : records) {
            acks.add(send(r));
        }
        for (Future<RecordMetadata> ack : acks) {
            ack.get();
        }
    }

    Future<RecordMetadata> send(BenchWorkload.Rec r) {
        return producer.send(record(r));
    }

    static ProducerRecord<byte[], byte[]> record(BenchWorkload.Rec r) {
        return TestKafka.structured(r.key(), r.value());
    }

    /** A reader of {@code moratorium-notifications} positioned at its current end: what is published from now on. */
    KafkaConsumer<byte[], byte[]> notificationsFromNow() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
        List<TopicPartition> tps = new ArrayList<>();
        for (int i = 0; i < PARTITIONS; i++) {
            tps.add(new TopicPartition("moratorium-notifications", i));
        }
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position); // resolve the end offsets now, before anything is produced
        return consumer;
    }

    /** An upstream producer that sends each event at once (no linger), acks=all: for latency, not throughput. */
    KafkaProducer<byte[], byte[]> eagerProducer() {
        return TestKafka.producer(kafka.bootstrapServers(), Map.of(ProducerConfig.LINGER_MS_CONFIG, 0));
    }

    /**
     * The same, for a producer that commits a transaction per event (as a Kafka Streams or outbox
     * producer with exactly-once does): each commit leaves a marker at the next offset.
     */
    KafkaProducer<byte[], byte[]> transactionalProducer() {
        KafkaProducer<byte[], byte[]> producer = TestKafka.producer(kafka.bootstrapServers(), Map.of(
                ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-" + UUID.randomUUID()));
        producer.initTransactions();
        return producer;
    }

    /** Requests of this kind the broker (in this JVM) has answered so far, every version. */
    static long brokerRequests(String request) {
        try {
            javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            long count = 0;
            for (javax.management.ObjectName name : server.queryNames(new javax.management.ObjectName(
                    "kafka.network:type=RequestMetrics,name=RequestsPerSec,request=" + request + ",*"), null)) {
                count += ((Number) server.getAttribute(name, "Count")).longValue();
            }
            return count;
        } catch (javax.management.JMException e) {
            throw new IllegalStateException(e);
        }
    }

    Connection jdbc() throws SQLException {
        return DriverManager.getConnection(jdbcUrl);
    }

    long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    Instant instant(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            java.sql.Timestamp t = rs.getTimestamp(1);
            return t == null ? null : t.toInstant();
        }
    }

    /** The earliest {@code policy_event.received_at} at or after {@code since} (null if none). */
    Instant firstReceivedSince(Connection c, Instant since) throws SQLException {
        try (java.sql.PreparedStatement s = c.prepareStatement(
                "SELECT min(received_at) FROM policy_event WHERE received_at >= ?")) {
            s.setTimestamp(1, java.sql.Timestamp.from(since));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                java.sql.Timestamp t = rs.getTimestamp(1);
                return t == null ? null : t.toInstant();
            }
        }
    }

    /** The number of records on a topic (sum of its partitions' end offsets). */
    long topicSize(String topic) throws Exception {
        try (Admin admin = kafka.admin()) {
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            for (int i = 0; i < PARTITIONS; i++) {
                latest.put(new TopicPartition(topic, i), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
        }
    }

    /**
     * Waits until {@code expected} events are in policy_event and the outbox is empty; returns the
     * instant it saw that (polled every {@code every}).
     */
    Instant awaitApplied(long expected, Duration timeout, Duration every) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection c = jdbc(); java.sql.PreparedStatement firstOutboxRow = c.prepareStatement(
                "SELECT id FROM outbox WHERE id >= ? ORDER BY id LIMIT 1")) {
            AppliedEvents history = new AppliedEvents();
            long applied = 0;
            long outboxFrom = 0;
            while (true) {
                // The first outbox row from the last one seen, by the primary key: the relay deletes rows
                // in id order and ids are commit order, so none appears below it (a re-driven parked row
                // too: ParkedOutbox gives it a new id under the writers' lock). A plain "any row?"
                // (SELECT 1 FROM outbox LIMIT 1) scans the heap from its start, through every row the
                // relay deleted since the last vacuum: 14.5 ms a poll, a fifth of PostgreSQL's time in
                // a replay (pg_stat_statements), taken from the service it measures.
                // policy_event is counted only when it might be done, and only its new rows.
                firstOutboxRow.setLong(1, outboxFrom);
                boolean outboxEmpty;
                try (ResultSet rs = firstOutboxRow.executeQuery()) {
                    outboxEmpty = !rs.next();
                    if (!outboxEmpty) {
                        outboxFrom = rs.getLong(1);
                    }
                }
                if (outboxEmpty) {
                    applied = history.count(c);
                    if (applied >= expected) {
                        return Instant.now();
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("not caught up within " + timeout + ": applied " + applied + " of "
                            + expected + ", outbox " + count(c, "SELECT count(*) FROM outbox"));
                }
                Thread.sleep(every.toMillis());
            }
        }
    }

    /** The embedded PostgreSQL's processes (postmaster and its backends). */
    List<ProcessHandle> postgresProcesses() {
        String dataDir = dir.resolve("postgres").toString();
        List<ProcessHandle> found = new ArrayList<>();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(cl -> cl.contains(dataDir)).orElse(false))
                .forEach(p -> {
                    found.add(p);
                    p.descendants().forEach(found::add);
                });
        return found;
    }

    /** Once, by its owner or {@link OnExit}: whichever comes second waits for the first to finish. */
    @Override
    public synchronized void close() throws Exception {
        if (closed) {
            return;
        }
        closed = true;
        OnExit.closed(this);
        producer.close(Duration.ofSeconds(5));
        try {
            kafka.close();
        } finally {
            postgres.close();
            ScratchDirectories.deleteQuietly(dir);
        }
    }

    // --- the machine ------------------------------------------------------------------------------

    /** The 1-, 5- and 15-minute load averages, as /proc/loadavg and uptime print them. */
    static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The 1-minute load average. */
    static double load1() {
        try {
            return Double.parseDouble(load().split(" ")[0]);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    static Json machine() {
        Json m = new Json();
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        try {
            String mem = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .findFirst().orElse("MemTotal: 0 kB");
            m.put("mem_gib", Json.round(Long.parseLong(mem.replaceAll("\\D", "")) / 1024.0 / 1024.0, 1));
        } catch (IOException e) {
            m.put("mem_gib", null);
        }
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("date", Instant.now().toString());
        m.put("load_at_start", load());
        m.put("pg_synchronous_commit", synchronousCommit()); // every figure moves with it (BENCHMARKS.md, fourteenth pass)
        return m;
    }

    /** Prints a figure with the load at the moment it was taken. */
    static void figure(String name, String value) {
        System.out.printf("%-44s %s   (load %s)%n", name, value, load());
    }
}
