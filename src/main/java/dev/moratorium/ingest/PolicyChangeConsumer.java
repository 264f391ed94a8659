package dev.moratorium.ingest;

import dev.moratorium.wire.Topics;
import dev.moratorium.store.TableStatistics;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.write.Isolation;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 * the record is acknowledged when this method returns, after the transaction committed).
 *
 * <p>When the database is unavailable the batch is retried with backoff rather than skipped or
 * dead-lettered: the records are fine, the service is not. Meanwhile the partition is paused by
 * back-pressure, so the consumer stays in its group.
 */
@ApplicationScoped
public class PolicyChangeConsumer {

    private static final Logger LOG = Logger.getLogger(PolicyChangeConsumer.class);
    /** Bounds the wait after the database is back: the batch is retried within 5 s of its return. */
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    @Inject
    PolicyChangeIngestor ingestor;

    @Inject
    Clock clock;

    @Inject
    IngestMetrics metrics;

    @Inject
    KafkaClientService kafkaClients;

    @Inject
    TableStatistics statistics;

    private final AtomicBoolean stalled = new AtomicBoolean();
    private final ReentrantLock inFlight = new ReentrantLock();
    private volatile boolean closing;

    @Incoming(Topics.POLICY_CHANGES)
    @Blocking
    public void consume(ConsumerRecords<byte[], byte[]> batch) throws InterruptedException {
        inFlight.lock();
        try {
            if (closing) {
                // Not acknowledged, so its offsets are not committed: the next start reads it again.
                throw new ShuttingDown(batch.count());
            }
            apply(batch);
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

    private void apply(ConsumerRecords<byte[], byte[]> batch) throws InterruptedException {
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
            return;
        }
        long started = System.nanoTime();
        List<RecordResult> results = ingestWithRetry(records);
        statistics.applied((int) results.stream().filter(RecordResult.Applied.class::isInstance).count());
        count(results, System.nanoTime() - started);
    }

    /** True while a batch cannot be stored (the database is down); {@code KafkaConsumerHealthCheck} reports it. */
    public boolean isStalled() {
        return stalled.get();
    }

    private List<RecordResult> ingestWithRetry(List<RawRecord> records) throws InterruptedException {
        Duration backoff = Duration.ofMillis(250);
        for (int attempt = 1;; attempt++) {
            try {
                List<RecordResult> results = ingestIsolatingRefusedRecords(records);
                if (stalled.compareAndSet(true, false)) {
                    LOG.infof("Ingest resumed after %d attempts", attempt);
                }
                return results;
            } catch (RuntimeException e) {
                if (closing) {
                    throw new ShuttingDown(records.size());
                }
                stalled.set(true);
                LOG.warnf("Could not store a batch of %d records from %s (attempt %d), retrying in %d ms: %s",
                        records.size(), records.get(0).topic(), attempt, backoff.toMillis(), rootMessage(e));
                Thread.sleep(backoff.toMillis());
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * The whole batch in one transaction when it can be; a record the store refuses (a data error,
     * not an outage) is found by splitting the batch and rejected on its own, and the others apply.
     * An outage is thrown, and the whole batch retried: what already committed is then recognised
     * as applied or kept.
     */
    private List<RecordResult> ingestIsolatingRefusedRecords(List<RawRecord> records) {
        List<RecordResult> results = new ArrayList<>(records.size());
        Isolation.write(records, part -> results.addAll(ingestor.ingest(part)),
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

    /** A batch left for the next start because the service is stopping; not a failure of the records. */
    static final class ShuttingDown extends RuntimeException {
        ShuttingDown(int records) {
            super("the service is shutting down; a batch of " + records
                    + " records stays uncommitted and is read again at the next start", null, false, false);
        }
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
