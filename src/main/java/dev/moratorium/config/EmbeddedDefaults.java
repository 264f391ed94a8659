package dev.moratorium.config;

/**
 * The embedded infrastructure's defaults, written once: {@link MoratoriumConfig} declares them, and
 * the embedded broker and database read them before any mapping exists (they are started from a
 * config source, ahead of Flyway and Hibernate).
 */
public final class EmbeddedDefaults {

    public static final String KAFKA_PORT = "9092";
    public static final String POSTGRES_PORT = "15432";
    public static final String PARTITIONS = "3";

    private EmbeddedDefaults() {
    }
}
