package dev.moratorium.embedded;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The whole local system but the service: a real PostgreSQL and a real Kafka broker with the
 * contract's topics. Dev mode starts it from {@link EmbeddedConfigSourceFactory}, tests from their
 * test resource; both through this one class.
 */
public final class EmbeddedInfrastructure implements AutoCloseable {

    private final EmbeddedPostgresServer postgres;
    private final EmbeddedKafkaBroker kafka;
    private final long startMillis;

    private EmbeddedInfrastructure(EmbeddedPostgresServer postgres, EmbeddedKafkaBroker kafka, long startMillis) {
        this.postgres = postgres;
        this.kafka = kafka;
        this.startMillis = startMillis;
    }

    /**
     * @param kafkaPort    0 for any free port
     * @param postgresPort 0 for any free port
     * @param dataDir      holds {@code kafka/} and {@code postgres/}; kept between runs
     */
    public static EmbeddedInfrastructure start(int kafkaPort, int postgresPort, Path dataDir, int partitions)
            throws Exception {
        return start(kafkaPort, postgresPort, dataDir, partitions, Optional.empty());
    }

    /** @param scram when present, the broker's clients must authenticate (see {@link ScramListener}) */
    public static EmbeddedInfrastructure start(int kafkaPort, int postgresPort, Path dataDir, int partitions,
            Optional<ScramListener> scram) throws Exception {
        long started = System.nanoTime();
        PostgresMajor.setAsideIfAnother(dataDir, postgresPort);
        EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(kafkaPort, dataDir.resolve("kafka"), scram);
        EmbeddedPostgresServer postgres;
        try {
            postgres = EmbeddedPostgresServer.start(postgresPort, dataDir.resolve("postgres"));
            kafka.createTopics(TopicLayout.topics(partitions));
        } catch (Exception | Error e) {
            kafka.close();
            throw e;
        }
        return new EmbeddedInfrastructure(postgres, kafka, (System.nanoTime() - started) / 1_000_000);
    }

    /** The standard Quarkus settings that point the service at this infrastructure. */
    public Map<String, String> config() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        config.put("quarkus.datasource.jdbc.url", postgres.jdbcUrl());
        config.put("quarkus.datasource.username", EmbeddedPostgresServer.USER);
        config.put("quarkus.datasource.password", "");
        config.put("moratorium.embedded.started-in-ms", String.valueOf(startMillis));
        return config;
    }

    public EmbeddedKafkaBroker kafka() {
        return kafka;
    }

    public EmbeddedPostgresServer postgres() {
        return postgres;
    }

    @Override
    public void close() throws Exception {
        try {
            kafka.close();
        } finally {
            postgres.close();
        }
    }

    /** How long broker, database and topics took to be ready. */
    public long startMillis() {
        return startMillis;
    }
}
