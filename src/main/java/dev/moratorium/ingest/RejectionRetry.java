package dev.moratorium.ingest;

import dev.moratorium.policy.RejectionReason;
import dev.moratorium.store.RejectionEntity;
import dev.moratorium.store.RejectionReads;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawRecord;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.write.PolicyWrites;
import dev.moratorium.write.StoreFault;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Re-runs a kept rejected record through the same path as a consumed one — for example once the
 * policy it refers to exists. Applied or found already applied: the rejection is resolved.
 * Rejected again (by a rule, or by the store): its reason is brought up to date (the record is
 * already in the DLQ once).
 */
@ApplicationScoped
public class RejectionRetry {

    @Inject
    PolicyWrites writes;

    @Inject
    PolicyChangeApplier applier;

    @Inject
    RejectionReads reads;

    /** @return the retried rejection, or empty if there is none with this id */
    public Optional<Retried> retry(long id) {
        try {
            return writes.write(unit -> {
                RejectionEntity row = RejectionEntity.findById(id);
                if (row == null) {
                    return Optional.empty();
                }
                if (RejectionEntity.RESOLVED.equals(row.status)) {
                    return Optional.of(new Retried(row, "already-resolved"));
                }
                RawRecord record = new RawRecord(row.topic, row.kafkaPartition, row.kafkaOffset, row.recordKey,
                        row.recordValue, HeaderCodec.decode(row.headers), row.receivedAt);
                RecordResult result = applier.apply(unit, List.of(record)).get(0);
                return Optional.of(new Retried(row, settle(row, result, unit.now())));
            });
        } catch (RuntimeException e) {
            if (StoreFault.of(e) == StoreFault.OUTAGE) {
                throw e;
            }
            return writes.write(unit -> {
                RejectionEntity row = RejectionEntity.findById(id);
                retried(row, unit.now());
                row.reasonCode = RejectionReason.INVALID_FIELD.code();
                row.reasonMessage = "the store cannot hold a value of this record (" + Sanitize.forMessage(e.getMessage())
                        + (StoreFault.sqlState(e) == null ? "" : ", SQLState " + StoreFault.sqlState(e)) + ")";
                return Optional.of(new Retried(row, "rejected"));
            });
        }
    }

    /** What a retry of the open rejections did: how many of each outcome, and where to go on. */
    public record RetriedOpen(int tried, int applied, int duplicate, int rejected, Long next) {
    }

    /**
     * Retries the open rejections after {@code after}, oldest first (a policy's announcement before
     * its grants), of one reason code ({@code null}: any), at most {@code limit}: each in its own
     * unit of work, as {@link #retry} does, so one the store refuses stays rejected and the next is
     * tried. An outage ends the call; what was retried before it stays done.
     *
     * @return {@code next} is the last id tried when {@code limit} were (more may follow), else null
     */
    public RetriedOpen retryOpen(String reasonCode, long after, int limit) {
        int applied = 0;
        int duplicate = 0;
        int rejected = 0;
        List<Long> ids = reads.openIds(reasonCode, after, limit);
        for (long id : ids) {
            switch (retry(id).map(Retried::outcome).orElse("already-resolved")) {
                case "applied" -> applied++;
                case "duplicate" -> duplicate++;
                case "rejected" -> rejected++;
                default -> { } // resolved meanwhile (another caller's retry)
            }
        }
        return new RetriedOpen(ids.size(), applied, duplicate, rejected,
                ids.size() == limit ? ids.get(ids.size() - 1) : null);
    }

    private static String settle(RejectionEntity row, RecordResult result, Instant now) {
        retried(row, now);
        if (result instanceof RecordResult.Applied a) {
            row.status = RejectionEntity.RESOLVED;
            row.resolution = "applied on retry as event \"" + Sanitize.forMessage(a.eventId()) + "\"";
            return "applied";
        } else if (result instanceof RecordResult.Duplicate d) {
            row.status = RejectionEntity.RESOLVED;
            row.resolution = "event \"" + Sanitize.forMessage(d.eventId()) + "\" had already been applied";
            return "duplicate";
        }
        RecordResult.Rejected r = (RecordResult.Rejected) result;
        row.reasonCode = r.rejection().reason().code();
        row.reasonMessage = r.rejection().message();
        return "rejected";
    }

    private static void retried(RejectionEntity row, Instant now) {
        row.retryCount++;
        row.lastRetriedAt = now;
    }

    /** @param outcome {@code applied}, {@code duplicate}, {@code rejected} or {@code already-resolved} */
    public record Retried(RejectionEntity rejection, String outcome) {
    }
}
