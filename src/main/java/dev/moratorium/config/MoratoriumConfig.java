package dev.moratorium.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Every {@code moratorium.*} setting, typed. Kafka and datasource settings are the standard Quarkus ones. */
@ConfigMapping(prefix = "moratorium")
public interface MoratoriumConfig {

    ClockSettings clock();

    /** Lead times before a moratorium's end at which {@code access.expiry-approaching} is sent. */
    @WithDefault("P30D,P7D")
    List<Duration> reminders();

    NotificationSettings notifications();

    OutboxSettings outbox();

    ApiSettings api();

    EmbeddedSettings embedded();

    HealthSettings health();

    SecuritySettings security();

    IndexSettings index();

    interface IndexSettings {
        /**
         * Readiness fails when the access index's last successful refresh is older than this
         * (refreshes normally succeed every 200 ms; only failing ones let it age).
         */
        @WithDefault("30s")
        Duration maxLag();

        /** Policies read per statement while loading or refreshing the index (keyset by version). */
        @WithDefault("5000")
        int chunkSize();
    }

    interface SecuritySettings {
        /**
         * Reads (the JSON API and the dashboard) need role {@code moratorium-viewer} or {@code moratorium-admin}.
         * Off by default: the decisions are not secret, and gateways ask {@code /access} on every call.
         * Writes always need {@code moratorium-admin}; health and metrics are always open.
         */
        @WithDefault("false")
        boolean restrictReads();
    }

    interface HealthSettings {
        /** Readiness fails when the oldest unpublished outbox row is older than this. */
        @WithDefault("120s")
        Duration outboxMaxAge();
    }

    interface ClockSettings {
        /** An RFC 3339 instant the service clock starts at (then runs at normal speed); absent: real time. */
        Optional<String> start();

        /** How often due boundaries are looked for; the contract allows 5 s from a boundary to its notification. */
        @WithDefault("1s")
        Duration tick();
    }

    interface NotificationSettings {
        /** The CloudEvent {@code source} of notifications. */
        @WithDefault("urn:moratorium-service")
        String source();
    }

    interface OutboxSettings {
        /** Rows published per round. */
        @WithDefault("500")
        int batchSize();

        /** How long one replica holds the right to publish before another may take it over. */
        @WithDefault("15s")
        Duration lease();

        /** How often the outbox is checked when nothing wakes the relay. */
        @WithDefault("1s")
        Duration poll();
    }

    interface ApiSettings {
        @WithDefault("50")
        int defaultPageSize();

        @WithDefault("500")
        int maxPageSize();

        /**
         * {@code GET /moratoria} counts matching policies only up to this many (a bounded read);
         * beyond it {@code total} is this cap and {@code totalExact} false. Without filters, or
         * with {@code status} only, the count is exact and free (kept per status by the database).
         */
        @WithDefault("10000")
        int countCap();

        /**
         * The deepest offset {@code page × size} may reach: an offset is paid by reading and
         * skipping every row before it. Deeper pages are walked with the {@code after} cursor.
         */
        @WithDefault("10000")
        int maxOffset();
    }

    interface EmbeddedSettings {
        /** Start a real Kafka broker and PostgreSQL inside the JVM (dev profile). */
        @WithDefault("false")
        boolean enabled();

        @WithDefault("9092")
        int kafkaPort();

        @WithDefault("15432")
        int postgresPort();

        @WithDefault("3")
        int partitions();

        /** Where broker and database keep their data; default {@code target/embedded}. */
        Optional<String> dataDir();

        /** Set by the embedded infrastructure itself: the absolute data directory. */
        Optional<String> dataDirResolved();

        /** Set by the embedded infrastructure itself: how long broker and database took to start. */
        Optional<Long> startedInMs();
    }
}
