package dev.moratorium.ingest;

import dev.moratorium.wire.Topics;
import dev.moratorium.store.ReadOnlyConnections;
import dev.moratorium.store.TableStatistics;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.write.Isolation;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The Kafka adapter for {@code policy-changes}: takes a polled batch as raw bytes, hands it to the
 * ingestor (one database transaction) and returns; the offsets are committed only after that
 * (commit strategy {@code throttled}: an offset is committed once its record is acknowledged, and
 * the record is acknowledged when the stage this method returns completes, after the transaction
 * committed).
 *
 * <p>When the database is unavailable the batch is retried with backoff rather than skipped or
 * dead-lettered: the records are fine, the service is not. Meanwhile the partition is paused by
 * back-pressure, so the consumer stays in its group.
 */
@ApplicationScoped
public class PolicyChangeConsumer {

    private static final Logger LOG = Logger.getLogger(PolicyChangeConsumer.class);
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "Could not store a batch");
    /** Bounds the wait after the database is back: the batch is retried within 5 s of its return. */
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    @Inject
    PolicyChangeIngestor ingestor;

    @Inject
    ReadOnlyConnections readOnlyConnections;

    @Inject
    Clock clock;

    @Inject
    IngestMetrics metrics;

    @Inject
    KafkaClientService kafkaClients;

    @Inject
    TableStatistics statistics;

    @Inject
    @Identifier(RetentionGapCheck.NAME)
    RetentionGapCheck retentionGaps;

    private final AtomicBoolean stalled = new AtomicBoolean();
    private final ReentrantLock inFlight = new ReentrantLock();
    private volatile boolean closing;

    /**
     * The batch is acknowledged when the returned stage completes, after its transaction committed.
     * A batch refused because the service is stopping gets a stage that never completes: neither
     * acknowledged (its offsets stay uncommitted, the next start reads it again) nor nacked — a nack
     * of a 500-record batch logged 500 ERROR and 500 WARN lines on every stop under traffic.
     */
    @Incoming(Topics.POLICY_CHANGES)
    @Blocking
    public CompletionStage<Void> consume(ConsumerRecords<byte[], byte[]> batch) throws InterruptedException {
        inFlight.lock();
        try {
            if (closing || !apply(batch)) {
                LOG.infof("Left a batch of %d records uncommitted: the service is stopping; the next start reads"
                        + " them again", batch.count());
                return new CompletableFuture<>();
            }
            return CompletableFuture.completedFuture(null);
        } finally {
            inFlight.unlock();
        }
    }

    /**
     * The first step of shutdown, while the database is still open: stop fetching, let the batch
     * in flight commit, and refuse any batch already fetched (it stays uncommitted).
     */
    public void stopAndAwaitInFlight(Duration timeout) throws InterruptedException {
        closing = true;
        try {
            kafkaClients.getConsumer(Topics.POLICY_CHANGES).pause().await().atMost(Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            LOG.debugf("Consumer not paused: %s", e.getMessage());
        }
        if (inFlight.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            inFlight.unlock();
        }
    }

    /** False if the batch was not stored because the service began to stop while the database was out. */
    private boolean apply(ConsumerRecords<byte[], byte[]> batch) throws InterruptedException {
        retentionGaps.read(batch);
        Instant readAt = clock.instant();
        List<RawRecord> records = new ArrayList<>(batch.count());
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            List<RawHeader> headers = new ArrayList<>();
            for (Header h : r.headers()) {
                headers.add(new RawHeader(h.key(), h.value()));
            }
            records.add(new RawRecord(r.topic(), r.partition(), r.offset(), r.key(), r.value(), headers, readAt));
        }
        if (records.isEmpty()) {
            return true;
        }
        long started = System.nanoTime();
        Optional<List<RecordResult>> results = ingestWithRetry(records);
        if (results.isEmpty()) {
            return false;
        }
        statistics.applied((int) results.get().stream().filter(RecordResult.Applied.class::isInstance).count());
        count(results.get(), System.nanoTime() - started);
        return true;
    }

    /** True while a batch cannot be stored (the database is down); {@code KafkaConsumerHealthCheck} reports it. */
    public boolean isStalled() {
        return stalled.get();
    }

    /** The batch's results, or empty if the service began to stop while the batch could not be stored. */
    private Optional<List<RecordResult>> ingestWithRetry(List<RawRecord> records) throws InterruptedException {
        Duration backoff = Duration.ofMillis(250);
        for (int attempt = 1;; attempt++) {
            try {
                List<RecordResult> results = ingestIsolatingRefusedRecords(records);
                stalled.set(false);
                failureLog.succeeded();
                return Optional.of(results);
            } catch (RuntimeException e) {
                if (closing) {
                    return Optional.empty();
                }
                stalled.set(true);
                readOnlyConnections.renewIfReadOnly(e);
                failureLog.failed(String.format("%d records from %s (attempt %d), retrying in %d ms: %s",
                        records.size(), records.get(0).topic(), attempt, backoff.toMillis(), rootMessage(e)));
                Thread.sleep(backoff.toMillis());
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * The whole batch in one transaction when it can be (in several when its rows would hold more
     * than a transaction's budget, {@code UnitOfWork.isFull}); a record the store refuses (a data error,
     * not an outage) is found by splitting the batch and rejected on its own, and the others apply.
     * An outage is thrown, and the whole batch retried: what already committed is then recognised
     * as applied or kept.
     */
    private List<RecordResult> ingestIsolatingRefusedRecords(List<RawRecord> records) {
        List<RecordResult> results = new ArrayList<>(records.size());
        Isolation.write(records, part -> results.addAll(ingestor.ingestAll(part)),
                (record, failure) -> results.add(ingestor.refuse(record, failure)));
        return results;
    }

    private void count(List<RecordResult> results, long nanos) {
        for (RecordResult result : results) {
            if (result instanceof RecordResult.Applied a) {
                metrics.consumed(a.type(), "applied");
            } else if (result instanceof RecordResult.Duplicate d) {
                metrics.consumed(d.type(), "duplicate");
                LOG.debugf("Duplicate event id ignored: %s", Sanitize.forLog(d.eventId()));
            } else if (result instanceof RecordResult.Rejected r) {
                metrics.consumed("-", "rejected");
                metrics.rejected(r.rejection().reason().code());
            } else if (result instanceof RecordResult.AlreadyRejected) {
                metrics.consumed("-", "already-rejected");
            }
        }
        metrics.batch(results.size(), nanos);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        // A database error may quote a value from a record (a duplicate key, a value too long).
        return t.getClass().getSimpleName() + ": " + Sanitize.forLog(t.getMessage());
    }
}
