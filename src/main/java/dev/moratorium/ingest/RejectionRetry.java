package dev.moratorium.ingest;

import dev.moratorium.store.RejectionEntity;
import dev.moratorium.wire.HeaderCodec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Re-runs a kept rejected record through the same path as a consumed one — for example once the
 * policy it refers to exists. Applied or found already applied: the rejection is resolved.
 * Rejected again: its reason is brought up to date (the record is already in the DLQ once).
 */
@ApplicationScoped
public class RejectionRetry {

    @Inject
    PolicyChangeApplier applier;

    @Inject
    Clock clock;

    /** @return the retried rejection, or empty if there is none with this id */
    @Transactional
    public Optional<Retried> retry(long id) {
        RejectionEntity row = RejectionEntity.findById(id);
        if (row == null) {
            return Optional.empty();
        }
        if (RejectionEntity.RESOLVED.equals(row.status)) {
            return Optional.of(new Retried(row, "already-resolved"));
        }
        RawRecord record = new RawRecord(row.topic, row.kafkaPartition, row.kafkaOffset, row.recordKey,
                row.recordValue, HeaderCodec.decode(row.headers), row.receivedAt);
        RecordResult result = applier.apply(List.of(record)).get(0);
        row.retryCount++;
        row.lastRetriedAt = clock.instant();
        String outcome;
        if (result instanceof RecordResult.Applied a) {
            row.status = RejectionEntity.RESOLVED;
            row.resolution = "applied on retry as event \"" + a.eventId() + "\"";
            outcome = "applied";
        } else if (result instanceof RecordResult.Duplicate d) {
            row.status = RejectionEntity.RESOLVED;
            row.resolution = "event \"" + d.eventId() + "\" had already been applied";
            outcome = "duplicate";
        } else {
            RecordResult.Rejected r = (RecordResult.Rejected) result;
            row.reasonCode = r.rejection().reason().code();
            row.reasonMessage = r.rejection().message();
            outcome = "rejected";
        }
        return Optional.of(new Retried(row, outcome));
    }

    /** @param outcome {@code applied}, {@code duplicate}, {@code rejected} or {@code already-resolved} */
    public record Retried(RejectionEntity rejection, String outcome) {
    }
}
