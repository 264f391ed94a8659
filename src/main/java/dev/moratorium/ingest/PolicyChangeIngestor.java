package dev.moratorium.ingest;

import dev.moratorium.outbox.OutboxWriter;
import dev.moratorium.policy.Rejection;
import dev.moratorium.policy.RejectionReason;
import dev.moratorium.store.HeaderPreviews;
import dev.moratorium.store.ReadPositionRows;
import dev.moratorium.store.RedeliveryChecks;
import dev.moratorium.store.RejectionEntity;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.write.PolicyWrites;
import dev.moratorium.write.StoreFault;
import dev.moratorium.write.UnitOfWork;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Ingests consumed records, each call one unit of work: the applied events' state, history and
 * outbox rows, and the rejected records (kept, and queued unchanged for {@code policy-changes-dlq}),
 * commit together. A redelivered record changes nothing: an applied event id is skipped, and a
 * record already kept as a rejection — recognised by the topic, partition and offset it was read
 * from, in the topic's present incarnation — is not decided again.
 */
@ApplicationScoped
public class PolicyChangeIngestor {

    private static final Logger LOG = Logger.getLogger(PolicyChangeIngestor.class);
    /** The rejection table's event_id column. */
    private static final int MAX_EVENT_ID = 512;

    @Inject
    PolicyWrites writes;

    @Inject
    PolicyChangeApplier applier;

    @Inject
    PolicyChangeReader reader;

    @Inject
    RedeliveryChecks redelivery;

    @Inject
    ReadPositionRows readPositions;

    /**
     * The records' results in their order, for as many as one transaction holds: all of them, or a
     * first part when their rows filled the unit of work ({@link UnitOfWork#isFull()}). The caller
     * ingests the rest in another call ({@link #ingestAll}).
     */
    public List<RecordResult> ingest(List<RawRecord> records) {
        return writes.write(unit -> {
            KeptRejections kept = keptRejections(records);
            List<RawRecord> fresh = records.stream().filter(r -> !kept.contains(r)).toList();
            Map<RawRecord, RecordResult> decided = new IdentityHashMap<>();
            for (RecordResult result : applier.apply(unit, fresh)) {
                decided.put(result.record(), result);
                if (result instanceof RecordResult.Rejected rejected && kept.add(result.record())) {
                    keep(rejected, kept.generation(result.record()), unit.outbox(), true);
                }
            }
            List<RecordResult> results = new ArrayList<>(records.size());
            for (RawRecord r : records) {
                RecordResult result = decided.get(r);
                if (result == null && !kept.contains(r)) {
                    break; // not reached: the unit of work was full
                }
                results.add(result != null ? result : new RecordResult.AlreadyRejected(r));
            }
            keepReadPositions(results.stream().map(RecordResult::record).toList());
            return results;
        });
    }

    /**
     * Every record's result, in as many transactions as their rows need (each one {@link #ingest}).
     * A failure is thrown as it comes; the transactions before it stay committed, and the records
     * they applied are recognised as applied when the list is ingested again.
     */
    public List<RecordResult> ingestAll(List<RawRecord> records) {
        List<RecordResult> results = new ArrayList<>(records.size());
        List<RawRecord> left = records;
        while (!left.isEmpty()) {
            List<RecordResult> part = ingest(left);
            if (part.isEmpty()) {
                throw new IllegalStateException("a transaction decided none of " + left.size() + " records");
            }
            results.addAll(part);
            left = left.subList(part.size(), left.size());
        }
        return results;
    }

    /**
     * The one record the store refused (found by {@code Isolation}): rejected {@code invalid-field}
     * with the store's reason, kept and dead-lettered like any rejection, so the records behind it
     * go on. It never reaches the state: the transaction that tried it was rolled back.
     */
    public RecordResult refuse(RawRecord record, RuntimeException failure) {
        String state = StoreFault.sqlState(failure);
        Rejection rejection = Rejection.of(RejectionReason.INVALID_FIELD, "the store cannot hold a value of this record ("
                + Sanitize.forMessage(rootMessage(failure)) + (state == null ? "" : ", SQLState " + state)
                + "); see the limits of each field in docs/contract.md");
        LOG.warnf("The store refused %s-%d@%d, rejected as invalid-field: %s", record.topic(), record.partition(),
                record.offset(), Sanitize.forLog(rootMessage(failure)));
        String eventId = eventIdOf(record);
        try {
            return writes.write(unit -> keepUnlessKept(unit, new RecordResult.Rejected(record, eventId, rejection), true));
        } catch (RuntimeException e) {
            if (StoreFault.of(e) == StoreFault.OUTAGE) {
                throw e;
            }
            // Even the record's headers are refused: keep it without them (key and value are bytes, always storable).
            return writes.write(unit -> keepUnlessKept(unit, new RecordResult.Rejected(record, null, rejection), false));
        }
    }

    private RecordResult keepUnlessKept(UnitOfWork unit, RecordResult.Rejected rejected, boolean withHeaders) {
        keepReadPositions(List.of(rejected.record()));
        KeptRejections kept = keptRejections(List.of(rejected.record()));
        if (!kept.contains(rejected.record())) {
            keep(rejected, kept.generation(rejected.record()), unit.outbox(), withHeaders);
            return rejected;
        }
        return new RecordResult.AlreadyRejected(rejected.record());
    }

    private String eventIdOf(RawRecord record) {
        try {
            ReadResult read = reader.read(record);
            return read instanceof ReadResult.Read r ? r.event().meta().id() : ((ReadResult.Unreadable) read).eventId();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void keep(RecordResult.Rejected rejected, int topicGeneration, OutboxWriter.Batch deadLetters,
            boolean withHeaders) {
        RawRecord record = rejected.record();
        RejectionEntity row = new RejectionEntity();
        row.topic = record.topic();
        row.topicGeneration = topicGeneration;
        row.kafkaPartition = record.partition();
        row.kafkaOffset = record.offset();
        row.recordKey = record.key();
        row.recordValue = record.value();
        List<RawHeader> headers = withHeaders ? record.headers() : List.of();
        row.headers = HeaderCodec.encode(headers);
        // cut once here, where the headers are in memory, so that a list never parses them whole
        HeaderPreviews.Headers preview = HeaderPreviews.of(headers);
        row.headerPreview = HeaderPreviews.stored(preview);
        row.headerCount = preview.count();
        row.reasonCode = rejected.rejection().reason().code();
        row.reasonMessage = rejected.rejection().message();
        // an id is echoed for people; one the store could not hold (NUL, too long) is kept escaped and cut
        row.eventId = rejected.eventId() == null ? null : Sanitize.forColumn(rejected.eventId(), MAX_EVENT_ID);
        row.receivedAt = record.readAt();
        row.status = RejectionEntity.OPEN;
        row.persist();
        deadLetters.deadLetter(record, rejected.rejection());
        // The reason may quote the record (a type, a key, a time): one line, so it cannot forge log entries.
        LOG.infof("Rejected %s-%d@%d: %s", record.topic(), record.partition(), record.offset(),
                Sanitize.forLog(rejected.rejection().deadLetterReason()));
    }

    /**
     * Where these records, decided in this transaction, leave their partitions: the offset after each
     * one's last, kept with the state they made (see {@link ReadPositionRows}).
     */
    private void keepReadPositions(List<RawRecord> decided) {
        Map<String, Map<Integer, Long>> next = new HashMap<>();
        for (RawRecord r : decided) {
            next.computeIfAbsent(r.topic(), t -> new HashMap<>()).merge(r.partition(), r.offset() + 1, Math::max);
        }
        next.forEach(readPositions::record);
    }

    /**
     * Rejections already kept for these records, by where they were read, among those of their topic's
     * present incarnation: one indexed range per topic and partition (the rejection table's unique
     * key), whatever the table holds.
     */
    private KeptRejections keptRejections(List<RawRecord> records) {
        Map<String, long[]> ranges = new HashMap<>();
        Map<String, RawRecord> partitions = new HashMap<>();
        for (RawRecord r : records) {
            String partition = r.topic() + "-" + r.partition();
            partitions.putIfAbsent(partition, r);
            long[] range = ranges.computeIfAbsent(partition, k -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
            range[0] = Math.min(range[0], r.offset());
            range[1] = Math.max(range[1], r.offset());
        }
        KeptRejections kept = new KeptRejections();
        for (Map.Entry<String, long[]> e : ranges.entrySet()) {
            RawRecord first = partitions.get(e.getKey());
            RedeliveryChecks.KeptRejections found = redelivery.keptOffsets(first.topic(), first.partition(),
                    e.getValue()[0], e.getValue()[1]);
            kept.generations.put(first.topic(), found.generation());
            for (long offset : found.offsets()) {
                kept.sources.add(e.getKey() + "@" + offset);
            }
        }
        return kept;
    }

    /** The rejections kept for a batch's records, and the incarnation of each topic a new one is kept under. */
    private static final class KeptRejections {
        final Set<String> sources = new HashSet<>();
        final Map<String, Integer> generations = new HashMap<>();

        boolean contains(RawRecord r) {
            return sources.contains(source(r));
        }

        boolean add(RawRecord r) {
            return sources.add(source(r));
        }

        int generation(RawRecord r) {
            return generations.getOrDefault(r.topic(), 0);
        }
    }

    private static String source(RawRecord record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
