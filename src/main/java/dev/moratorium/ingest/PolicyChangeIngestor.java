package dev.moratorium.ingest;

import dev.moratorium.config.Topics;
import dev.moratorium.outbox.OutboxWriter;
import dev.moratorium.store.RejectionEntity;
import dev.moratorium.wire.HeaderCodec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * One transaction per consumed batch: the applied events' state, history and outbox rows, and the
 * rejected records (kept, and queued unchanged for {@code policy-changes-dlq}), commit together.
 * A redelivered batch changes nothing: applied ids are skipped and a rejection is recognised by
 * the topic, partition and offset it was read from.
 */
@ApplicationScoped
public class PolicyChangeIngestor {

    private static final Logger LOG = Logger.getLogger(PolicyChangeIngestor.class);

    @Inject
    PolicyChangeApplier applier;

    @Inject
    OutboxWriter outbox;

    @Transactional
    public List<RecordResult> ingest(List<RawRecord> records) {
        List<RecordResult> results = applier.apply(records);
        if (results.stream().noneMatch(RecordResult.Rejected.class::isInstance)) {
            return results;
        }
        Set<String> kept = keptRejections(records);
        OutboxWriter.Batch deadLetters = outbox.batch();
        for (RecordResult result : results) {
            if (result instanceof RecordResult.Rejected rejected && kept.add(source(result.record()))) {
                keep(rejected, deadLetters);
            }
        }
        deadLetters.persist();
        return results;
    }

    private static void keep(RecordResult.Rejected rejected, OutboxWriter.Batch deadLetters) {
        RawRecord record = rejected.record();
        RejectionEntity row = new RejectionEntity();
        row.topic = record.topic();
        row.kafkaPartition = record.partition();
        row.kafkaOffset = record.offset();
        row.recordKey = record.key();
        row.recordValue = record.value();
        row.headers = HeaderCodec.encode(record.headers());
        row.reasonCode = rejected.rejection().reason().code();
        row.reasonMessage = rejected.rejection().message();
        row.eventId = rejected.eventId() == null ? null : truncate(rejected.eventId(), 512);
        row.receivedAt = record.readAt();
        row.status = RejectionEntity.OPEN;
        row.persist();
        deadLetters.deadLetter(record, rejected.rejection());
        // The reason may quote the record (a type, a key, a time): one line, so it cannot forge log entries.
        LOG.infof("Rejected %s-%d@%d: %s", record.topic(), record.partition(), record.offset(),
                Sanitize.forLog(rejected.rejection().deadLetterReason()));
    }

    /** Rejections already kept for these records (a redelivery after a crash). */
    private static Set<String> keptRejections(List<RawRecord> records) {
        long min = records.stream().mapToLong(RawRecord::offset).min().orElse(0);
        long max = records.stream().mapToLong(RawRecord::offset).max().orElse(-1);
        List<Object[]> rows = RejectionEntity.getEntityManager().createQuery(
                "select r.topic, r.kafkaPartition, r.kafkaOffset from RejectionEntity r"
                        + " where r.topic = :topic and r.kafkaOffset between :min and :max", Object[].class)
                .setParameter("topic", Topics.POLICY_CHANGES).setParameter("min", min).setParameter("max", max)
                .getResultList();
        Set<String> kept = new HashSet<>();
        for (Object[] r : rows) {
            kept.add(r[0] + "-" + r[1] + "@" + r[2]);
        }
        return kept;
    }

    private static String source(RawRecord record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
