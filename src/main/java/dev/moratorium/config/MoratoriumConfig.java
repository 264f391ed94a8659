package dev.moratorium.config;

import io.quarkus.runtime.configuration.MemorySize;
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

    WriterSettings writers();

    ApiSettings api();

    EmbeddedSettings embedded();

    HealthSettings health();

    SecuritySettings security();

    RetentionSettings retention();

    StateTopicSettings stateTopic();

    IngestSettings ingest();

    /** Where the consumer of {@code policy-changes} resumes a partition it is given (ingest.RetentionGapCheck). */
    interface IngestSettings {
        /**
         * {@code database}: where the database's records of the partition end, whatever the group's
         * committed offset says (a database restored from a backup applies again what came after it).
         * {@code group}: at the group's committed offset, as a Kafka consumer does, and the database's
         * positions are set there: to follow an operator's {@code kafka-consumer-groups --reset-offsets},
         * for one start.
         */
        @WithDefault("database")
        ResumeFrom resumeFrom();

        enum ResumeFrom {
            DATABASE,
            GROUP
        }
    }

    /**
     * How {@code moratorium-state} is watched for being made anew, given partitions in place or set to
     * delete records (ops.StateTopicWatch).
     */
    interface StateTopicSettings {
        /** How often each replica asks the broker for the topic's id, partitions, cleanup.policy and retention. */
        @WithDefault("60s")
        Duration checkEvery();

        /** Publish every policy's current state again when the topic is found made anew (empty). */
        @WithDefault("true")
        boolean republishWhenMadeAnew();

        /**
         * Publish every policy's current state again when the topic, found set to delete records
         * (cleanup.policy with delete and a retention limit), is found keeping them again: the broker
         * may have deleted some meanwhile.
         */
        @WithDefault("true")
        boolean republishAfterStatesAtRisk();

        /**
         * How long the replica running a republication keeps it without queuing a chunk or renewing
         * it, before another may go on with it (it died or froze). Best longer than
         * {@code moratorium.writers.lock-timeout}: a chunk that waits longer for the writers' lock loses
         * the run (and is rolled back) to a replica that then waits for the same lock.
         */
        @WithDefault("60s")
        Duration republishLease();
    }

    /** How long rows that only grow are kept in PostgreSQL; {@code P0D} keeps them for ever. */
    interface RetentionSettings {
        /** Published notifications (the topic is the durable log); default 30 days. */
        @WithDefault("P30D")
        Duration notifications();

        /** Rejections resolved (applied or found applied on retry) this long ago; default 90 days. */
        @WithDefault("P90D")
        Duration resolvedRejections();

        /** How often retention runs (read by the scheduler of {@code store.Retention}). */
        @WithDefault("10m")
        Duration interval();
    }

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

        /**
         * Heap the access index may give to policies' exemptions (counted as PolicyReads
         * counts them: UTF-8 bytes of names and purposes, and a record's worth for each). A policy
         * whose exemptions would pass it, or that keeps more than 64 KiB of them, is held without
         * them, and a decision naming an organization on it reads that organization's exemptions
         * from the database. Within the limits a producer may reach, 1,000 exemptions of 512 Ki
         * characters in all, 200 such policies held whole took more than the pod's 160 MB heap,
         * and the service could not start. Default 24M, beside the 64M of as-of histories.
         */
        @WithDefault("24M")
        MemorySize exemptionsHeld();
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

        /**
         * How often each replica asks the broker whether policy-changes exists and its consumer may
         * read it and its group (ops.ConsumerGrantsWatch); readiness follows within this much.
         */
        @WithDefault("15s")
        Duration grantsCheckEvery();
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
        /** Rows published per round, at most. */
        @WithDefault("500")
        int batchSize();

        /**
         * Payload bytes read per round, at most (a round always reads its first row): notifications
         * are about a kilobyte, so a round of them is bound by {@link #batchSize()}; dead letters
         * can be 2 MiB each, and a batch of them would be more than the pod's heap. The driver may
         * hold a payload more than once while reading it (as hex text, then as bytes), and the
         * producer copies it into its buffer, so a round needs a few times this much heap.
         */
        @WithDefault("4M")
        MemorySize roundBytes();

        /**
         * How long one replica holds the right to publish before another may take it over (when it
         * stops renewing: it died or froze). Must be longer than {@link #ackTimeout()}: a round is
         * sent only while the lease has more than the acknowledgement wait left (see OutboxRelay).
         */
        @WithDefault("45s")
        Duration lease();

        /**
         * How long a round waits for the broker: every record's fate (acknowledged or failed) is
         * known within it, because the relay's producer timeouts are derived from it (see
         * RelayTimeouts). Shorter than {@link #lease()}.
         */
        @WithDefault("30s")
        Duration ackTimeout();

        /** How often the outbox is checked when nothing wakes the relay. */
        @WithDefault("1s")
        Duration poll();

        /**
         * How long published rows may wait for the next round's transaction to delete them: a
         * round settles the previous one's rows together with its own read, so a trickle of events
         * costs one relay transaction per round, not two. When no commit wakes the relay within this
         * delay, a round runs for them alone. A crash meanwhile publishes them again (at least once,
         * same ids), as a crash between a send and its deletion always did.
         */
        @WithDefault("50ms")
        Duration settleDelay();
    }

    /**
     * Bounds on every writer's transaction (the ones that take the writers' lock), applied with
     * {@code SET LOCAL}: a holder that freezes (a paused JVM, a lost network) is cut off by
     * PostgreSQL and its lock released in bounded time, instead of stopping every writer in the
     * cluster.
     */
    interface WriterSettings {
        /** How long a writer waits for the writers' lock before giving up (an outage: it is retried). */
        @WithDefault("10s")
        Duration lockTimeout();

        /** How long any one statement of a writer's transaction may run. */
        @WithDefault("30s")
        Duration statementTimeout();

        /** How long a writer's transaction may sit idle (its client not answering) before PostgreSQL ends its session. */
        @WithDefault("60s")
        Duration idleInTransactionTimeout();
    }

    interface ApiSettings {
        @WithDefault("50")
        int defaultPageSize();

        @WithDefault("500")
        int maxPageSize();

        /** Live notification streams one replica serves at once; past it, 503 with Retry-After. */
        @WithDefault("200")
        int maxStreams();

        /**
         * A quiet live stream sends a comment line this often, so that proxies and load balancers
         * (nginx's 60 s read timeout, the HTTP server's own idle timeout) do not cut it, and a client
         * that vanished without closing its connection is found once these writes fail (when TCP stops
         * retransmitting), not only at the next notification, and frees its place.
         */
        @WithDefault("15s")
        Duration streamHeartbeat();

        /**
         * A live stream whose client has taken nothing for this long while there was more to send
         * (its connection's buffers full: a frozen process, a suspended browser tab) is ended, and
         * with it the page it held and its turn to catch up from the database; a client still alive
         * reconnects with Last-Event-ID. Sixteen frozen clients reading from far back held every
         * turn, and the other streams catching up waited, until Mutiny's buffer of ticks overflowed.
         * And a long list's answer is cut (StallGuard), giving back its place: eight clients that
         * asked for long lists and read nothing held every place for 30 minutes.
         */
        @WithDefault("60s")
        Duration clientStall();
        /**
         * Answers of the lists and policies (GET under /moratoria, /notifications, /rejections,
         * /outbox/parked, /subscriptions) made or waiting to leave for their clients at once, per
         * replica; past them a request is told 503 busy at once. 5,000 clients asking at once for a
         * policy of 58 kB ended the service on OutOfMemoryError: ended answers wait, whole, for their
         * connections' event loops (AnswersInFlight).
         */
        @WithDefault("128")
        int answersInFlight();
        /**
         * Of those places, the most one connection holds at once. An HTTP/1.1 connection asks one
         * thing at a time; an HTTP/2 connection multiplexes up to 100 streams, and one client that
         * read nothing held all 128 places with two connections (AnswersInFlight).
         */
        @WithDefault("16")
        int answersInFlightPerConnection();
        /**
         * {@code GET /moratoria} counts matching policies only up to this many (a bounded read: at
         * 10,000 a filter that one policy in seven matches cost a 33 ms p99 at a million policies,
         * at 1,000 it costs 8 ms; bench/scale);
         * beyond it {@code total} is this cap and {@code totalExact} false. Without filters, or
         * with {@code status} only, the count is exact and free (kept per status by the database).
         */
        @WithDefault("1000")
        int countCap();

        /**
         * The deepest offset {@code page × size} may reach: an offset is paid by reading and
         * skipping every row before it. Deeper pages are walked with the {@code after} cursor.
         */
        @WithDefault("10000")
        int maxOffset();

        /**
         * The heap, estimated, that as-of answers may hold (see readmodel.PoliciesAsKnown): decoded
         * histories, the checkpoints of policies too long to keep (at most half of it; each answer
         * then reads the rows after one), and what reads in progress collect. 0 holds nothing: each
         * as-of answer reads its product's rows. Default 64M, sized for the 160 MB heap of k8s/base.
         */
        @WithDefault("64M")
        MemorySize asOfKeptHistories();
    }

    interface EmbeddedSettings {
        /** Start a real Kafka broker and PostgreSQL inside the JVM (dev profile). */
        @WithDefault("false")
        boolean enabled();

        @WithDefault(EmbeddedDefaults.KAFKA_PORT)
        int kafkaPort();

        @WithDefault(EmbeddedDefaults.POSTGRES_PORT)
        int postgresPort();

        @WithDefault(EmbeddedDefaults.PARTITIONS)
        int partitions();

        /** Where broker and database keep their data; default {@code target/embedded}. */
        Optional<String> dataDir();

        /** Set by the embedded infrastructure itself: the absolute data directory. */
        Optional<String> dataDirResolved();

        /** Set by the embedded infrastructure itself: how long broker and database took to start. */
        Optional<Long> startedInMs();
    }
}
