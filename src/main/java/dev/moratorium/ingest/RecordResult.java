package dev.moratorium.ingest;

import dev.moratorium.policy.Rejection;
import dev.moratorium.wire.RawRecord;

/** What became of one record. */
public sealed interface RecordResult {

    RawRecord record();

    /**
     * @param type the event's CloudEvent type. Not the outcome: a poll's results are kept until the
     *             poll is done, and an outcome holds the policy's state, exemptions and all (a
     *             megabyte at the limits); 200 of them took more than the pod's heap.
     */
    record Applied(RawRecord record, String eventId, String type) implements RecordResult {
    }

    /** An event id that was already applied: changes nothing, emits nothing (CONTRACT.md §1 rule 1). */
    record Duplicate(RawRecord record, String eventId, String type) implements RecordResult {
    }

    record Rejected(RawRecord record, String eventId, Rejection rejection) implements RecordResult {
    }

    /**
     * A record read again (a redelivery after a crash or a rebalance) that is already kept as a
     * rejection: it is not decided again, whatever changed since; only
     * {@code POST /rejections/{id}/retry} re-runs it.
     */
    record AlreadyRejected(RawRecord record) implements RecordResult {
    }
}
