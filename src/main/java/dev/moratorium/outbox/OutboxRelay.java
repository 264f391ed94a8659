package dev.moratorium.outbox;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.store.OutboxEntity;
import dev.moratorium.store.ParkedOutbox;
import dev.moratorium.store.PendingOutbox;
import dev.moratorium.store.ReadOnlyConnections;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.ReplicaName;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.wire.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jboss.logging.Logger;

/**
 * Publishes committed outbox rows to Kafka, in id order, then deletes them.
 *
 * <p>Sending happens outside any database transaction (a Kafka send inside a JTA transaction can
 * inherit its context), with a plain Kafka producer built from the standard {@code kafka.*}
 * settings: its lifecycle is ours, so it still runs after the consumer has finished its last
 * batch at shutdown, and the outbox is drained before the process exits. A crash after the send and before the delete publishes the rows again,
 * with the same ids — at-least-once delivery, de-duplicable by subscribers.
 *
 * <p>One round is one transaction: it deletes what the previous round published (and sets aside
 * what the broker refused), then reads the next rows. At a trickle of events that halves the
 * relay's transactions, each with its connection, its lease statement and its commit (BENCHMARKS.md,
 * "tenth pass"). When no commit follows within {@code moratorium.outbox.settle-delay}, a round
 * runs anyway, so published rows never linger longer than that. A round reads at most
 * {@code moratorium.outbox.batch-size} rows and, of large ones (dead letters of up to 2 MiB), only
 * what fits {@code moratorium.outbox.round-bytes}: the pod's heap bounds a round, not the backlog.
 *
 * <p>One replica at a time holds the publishing lease ({@link OutboxLease}), so rows of one policy
 * always leave in order, and the lease is fenced: a round is sent only while the lease has more
 * than the acknowledgement wait left, every record's fate is known within that wait
 * ({@link RelayTimeouts}), and the published rows are deleted only if the lease is still held in
 * the deleting transaction. A relay that stalls (a slow broker, a paused JVM) therefore never
 * publishes alongside the replica that took over; it finds its lease lost, deletes nothing, and
 * the new holder publishes those rows again (at least once, as after a crash).
 *
 * <p>A row the broker refuses for good ({@link SendFailure}) is set aside in {@code outbox_parked}
 * in the same transaction as the deletion, and the relay goes on with the next rows, so one bad
 * row never stops publication; rows of the same policy after it still leave in id order. An
 * outage (a retriable error, no acknowledgement in time) stops the round at the first row it
 * affects: the rows before it are settled by the next round, the rest are sent again after a backoff.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "Outbox relay round failed");

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    @Inject
    MoratoriumConfig config;

    @Inject
    ChangeSignal signal;

    @Inject
    OutboxLease lease;

    @Inject
    ReadOnlyConnections readOnlyConnections;

    @Inject
    PendingOutbox pending;

    @Inject
    ParkedOutbox parked;

    @Inject
    ParkedRowsGauge parkedRows;

    @Inject
    MeterRegistry registry;

    /** The lease holder's name: host (the pod) and process, so an operator can tell who publishes. */
    private final String holder = ReplicaName.create();
    private volatile KafkaProducer<byte[], byte[]> producer;
    private volatile RelayTimeouts timeouts;
    /** Rows that met a {@link SendFailure.Kind#SUSPECT} error, and how many rounds in a row they did. */
    private final Map<Long, Integer> suspects = new ConcurrentHashMap<>();
    /**
     * The highest id this relay has published (or set aside) while holding the lease; the next
     * round deletes it. Rows are deleted as soon as they are settled, so the head of the outbox's
     * primary-key index is a run of dead entries until vacuum removes them; a query from the start
     * walks all of them (measured 0.7 ms a round at 200 events/s). Ids follow commit order (they
     * are taken under the writers' lock), so no row below this one can still appear, and the query
     * starts after it.
     */
    private volatile long publishedUpTo;
    /** What the last round published or set aside, settled in the next round's transaction. */
    private volatile Settlement unsettled = Settlement.NONE;
    private volatile boolean running;
    private volatile Thread thread;

    void start(@Observes StartupEvent event) {
        // fails the start when the lease is not longer than the acknowledgement wait
        timeouts = new RelayTimeouts(config.outbox().lease(), config.outbox().ackTimeout());
        // at 0 from the start, so dashboards and alerts see the series before the first row is set aside
        for (String topic : List.of(Topics.NOTIFICATIONS, Topics.STATE, Topics.DEAD_LETTER)) {
            registry.counter("moratorium.outbox.parked", "topic", topic);
        }
        producer = new KafkaProducer<>(producerConfig());
        running = true;
        thread = new Thread(this::loop, "outbox-relay");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * At shutdown, once the consumer has stopped (see ShutdownSequence) and while the database is
     * still open: stop the loop and publish everything committed.
     */
    public void drain() {
        running = false;
        signal.changed();
        Thread t = thread;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            int drained = 0;
            for (int sent = publishRound().settled(); sent > 0; sent = publishRound().settled()) {
                drained += sent;
            }
            LOG.debugf("Outbox drained at shutdown: %d records", drained);
        } catch (RuntimeException e) {
            LOG.warnf("Outbox not drained at shutdown (%s); the next start publishes the rest",
                    Sanitize.forLog(e.getMessage()));
        }
    }

    void close(@Observes @BeforeDestroyed(ApplicationScoped.class) Object event) {
        running = false;
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    private Map<String, Object> producerConfig() {
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.keySet().removeIf(k -> k.startsWith("group.") || k.startsWith("auto.offset")
                || k.contains("deserializer") || k.startsWith("enable.auto.commit"));
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // A dead letter is an input record (up to Topics.INPUT_MAX_BYTES) plus one header; the output
        // topics accept Topics.OUTPUT_MAX_BYTES, and so may the producer.
        config.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.OUTPUT_MAX_BYTES);
        // A round hands the producer all its rows at once and then waits for their acknowledgements,
        // so lingering batches nothing more; it only delayed every notification (Kafka 4's default is 5 ms).
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        timeouts.applyTo(config);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "moratorium-outbox-relay");
        return config;
    }


    /** This relay's name in {@code outbox_lease.holder}. */
    public String holder() {
        return holder;
    }

    private void loop() {
        Duration backoff = Duration.ofMillis(200);
        while (running) {
            try {
                long seen = signal.version();
                Round round = publishRound();
                backoff = Duration.ofMillis(200);
                failureLog.succeeded();
                if (round.readAll()) {
                    // A commit after the round's read signals after `seen`, so this returns at once
                    // for it; a round that read everything need not read again to find nothing (at
                    // a trickle of events that empty round was a third of the relay's transactions).
                    // Rows it published wait for the next round's transaction, at most the settle delay.
                    Duration poll = config.outbox().poll();
                    Duration settle = config.outbox().settleDelay();
                    signal.awaitChangeAfter(seen, unsettled.isEmpty() || poll.compareTo(settle) < 0 ? poll : settle);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                readOnlyConnections.renewIfReadOnly(e);
                failureLog.failed("retrying in " + backoff.toMillis() + " ms: " + Sanitize.forLog(e.getMessage()));
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10)
                        : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * What a round did: how many rows went out or were set aside (deleted by the next round), and
     * whether it read and settled every row there was (neither the batch nor the byte budget filled,
     * none left unsent), so the next round can wait for a commit.
     */
    record Round(int settled, boolean readAll) {
        static final Round NOTHING = new Round(0, true);
    }

    /**
     * Rows whose fate the broker told: published (to delete) and refused (to set aside). The
     * next round's transaction settles them under the lease's fence. Only what that needs is kept,
     * not the rows: a round's payloads (a dead letter can be 2 MiB) are not held into the next one.
     */
    private record Settlement(List<Settled> published, List<Settled> refused) {
        static final Settlement NONE = new Settlement(List.of(), List.of());

        static Settlement of(Outcome outcome) {
            List<Settled> published = new ArrayList<>(outcome.published.size());
            for (OutboxEntity row : outcome.published) {
                published.add(new Settled(row.id, row.topic, typeOf(row), null));
            }
            List<Settled> refused = new ArrayList<>(outcome.refused.size());
            outcome.refused.forEach((row, reason) -> refused.add(new Settled(row.id, row.topic, null, reason)));
            return new Settlement(published, refused);
        }

        boolean isEmpty() {
            return published.isEmpty() && refused.isEmpty();
        }

        long lastId() {
            long last = 0;
            for (List<Settled> rows : List.of(published, refused)) {
                for (Settled row : rows) {
                    last = Math.max(last, row.id());
                }
            }
            return last;
        }
    }

    /** A settled row: its id, topic and ce_type (published) or the broker's reason (refused). */
    private record Settled(long id, String topic, String type, String reason) {
    }

    /** How a round's transaction began: the lease, the previous round's settlement, the rows read. */
    private record RoundStart(boolean held, boolean settled, boolean lostWhileUnsettled, List<OutboxEntity> rows) {
    }

    /** Settles the previous round and publishes one batch. */
    Round publishRound() {
        Duration leaseLength = timeouts.lease();
        // Taken before the lease is: this process's idea of when the lease ends is never later than
        // the database's (a monotonic clock, which also runs on while the JVM is paused).
        long leaseEnds = System.nanoTime() + leaseLength.toNanos();
        long sendUntil = leaseEnds - timeouts.ackTimeout().toNanos();
        Settlement settling = unsettled;
        long readAfter = publishedUpTo;
        RoundStart start = QuarkusTransaction.requiringNew().call(() -> {
            boolean settled = false;
            boolean lost = false;
            if (!settling.isEmpty()) {
                // the fence of the previous round's rows, and this round's lease, in one statement
                settled = lease.renewIfStillHeld(holder, leaseLength);
                lost = !settled;
                if (settled) {
                    pending.delete(settling.published().stream().map(Settled::id).toList());
                    settling.refused().forEach(row -> parked.park(row.id(), row.reason()));
                }
            }
            if (!settled && !lease.acquire(holder, leaseLength)) {
                return new RoundStart(false, false, lost, List.of());
            }
            // a lease lost and taken again: whoever held it meanwhile may have left rows unsent
            return new RoundStart(true, settled, lost,
                    pending.after(lost ? 0 : readAfter, config.outbox().batchSize(),
                            config.outbox().roundBytes().asLongValue()));
        });
        unsettled = Settlement.NONE; // settled, or void with the lease it was published under
        if (start.settled()) {
            afterSettling(settling);
        }
        if (start.lostWhileUnsettled()) {
            publishedUpTo = 0;
            LOG.warnf("Outbox lease lost during a round (a slow broker or a paused process): %d published rows"
                    + " not deleted; the replica holding the lease publishes them again", settling.published().size());
        }
        if (!start.held()) {
            // another replica publishes; when this one takes over, it starts from the head
            publishedUpTo = 0;
            return Round.NOTHING;
        }
        List<OutboxEntity> rows = start.rows();
        if (rows.isEmpty()) {
            return Round.NOTHING;
        }
        List<Future<RecordMetadata>> acks = new ArrayList<>(rows.size());
        for (OutboxEntity row : rows) {
            // The fence before sending: only while the lease outlasts the wait for this record.
            if (System.nanoTime() >= sendUntil) {
                break;
            }
            acks.add(send(row));
        }
        if (acks.isEmpty()) {
            LOG.warnf("Outbox round not sent: the lease has less than the acknowledgement wait (%s) left",
                    timeouts.ackTimeout());
            return Round.NOTHING;
        }
        Outcome outcome = await(rows.subList(0, acks.size()), acks, leaseEnds);
        if (!outcome.published.isEmpty() || !outcome.refused.isEmpty()) {
            unsettled = Settlement.of(outcome);
            // ids are commit order: the next read starts after these, which stay until it settles them
            publishedUpTo = unsettled.lastId();
        }
        if (outcome.outage != null) {
            throw new IllegalStateException("Kafka did not acknowledge the outbox batch: " + outcome.outage);
        }
        int settled = outcome.published.size() + outcome.refused.size();
        return new Round(settled, settled == rows.size() && !cutShort(rows));
    }

    /**
     * Whether the read may have left rows behind: it filled the batch, or its payloads reached the
     * byte budget (a row after them would have been left for the next round).
     */
    private boolean cutShort(List<OutboxEntity> rows) {
        if (rows.size() >= config.outbox().batchSize()) {
            return true;
        }
        long bytes = 0;
        for (OutboxEntity row : rows) {
            bytes += row.payload == null ? 0 : row.payload.length;
        }
        return bytes >= config.outbox().roundBytes().asLongValue();
    }

    private Future<RecordMetadata> send(OutboxEntity row) {
        try {
            return producer.send(toRecord(row));
        } catch (RuntimeException e) {
            // send() reports most problems through the future, some by throwing: the same to us
            return CompletableFuture.failedFuture(e);
        }
    }

    /** What a round did, in id order up to the first row whose fate is an outage or unknown. */
    private static final class Outcome {
        final List<OutboxEntity> published = new ArrayList<>();
        final Map<OutboxEntity, String> refused = new LinkedHashMap<>();
        String outage;
    }

    private Outcome await(List<OutboxEntity> rows, List<Future<RecordMetadata>> acks, long deadline) {
        Outcome outcome = new Outcome();
        for (int i = 0; i < acks.size(); i++) {
            OutboxEntity row = rows.get(i);
            try {
                acks.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                outcome.published.add(row);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                outcome.outage = "interrupted while waiting for Kafka";
                return outcome;
            } catch (TimeoutException e) {
                outcome.outage = "no acknowledgement within the lease";
                return outcome;
            } catch (ExecutionException e) {
                SendFailure.Kind kind = SendFailure.classify(e);
                if (kind == SendFailure.Kind.SUSPECT
                        && suspects.merge(row.id, 1, Integer::sum) >= SendFailure.SUSPECT_ATTEMPTS) {
                    kind = SendFailure.Kind.REFUSED;
                }
                if (kind != SendFailure.Kind.REFUSED) {
                    outcome.outage = SendFailure.describe(e);
                    return outcome;
                }
                outcome.refused.put(row, SendFailure.describe(e));
            }
        }
        return outcome;
    }

    /** After the transaction that deleted the published rows and set the refused ones aside. */
    private void afterSettling(Settlement settled) {
        for (Settled row : settled.published()) {
            suspects.remove(row.id());
            registry.counter("moratorium.records.published", "topic", row.topic(), "type", row.type()).increment();
        }
        for (Settled row : settled.refused()) {
            suspects.remove(row.id());
            registry.counter("moratorium.outbox.parked", "topic", row.topic()).increment();
            LOG.warnf("Outbox row %d for %s set aside (GET /outbox/parked): the broker refused it: %s", row.id(),
                    row.topic(), Sanitize.forLog(row.reason()));
        }
        if (!settled.refused().isEmpty()) {
            parkedRows.refresh();
        }
    }

    /** The ce_type of a notification; "state" or "dead-letter" for the other topics. */
    private static String typeOf(OutboxEntity row) {
        if (Topics.NOTIFICATIONS.equals(row.topic)) {
            for (RawHeader h : HeaderCodec.decode(row.headers)) {
                if ("ce_type".equals(h.key())) {
                    return new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
        }
        return Topics.STATE.equals(row.topic) ? "state" : "dead-letter";
    }

    private static ProducerRecord<byte[], byte[]> toRecord(OutboxEntity row) {
        RecordHeaders headers = new RecordHeaders();
        for (RawHeader h : HeaderCodec.decode(row.headers)) {
            headers.add(h.key(), h.value());
        }
        return new ProducerRecord<>(row.topic, null, row.recordKey, row.payload, headers);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
