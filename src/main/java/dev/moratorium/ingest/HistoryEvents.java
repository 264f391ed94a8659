package dev.moratorium.ingest;

import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import dev.moratorium.store.PolicyEventEntity;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Applied events read back from their history rows, for replaying a policy as known by a day.
 * A row is turned into the binary-mode CloudEvent it stands for and read by the same
 * {@link PolicyChangeReader} as live records, so the history means what the live event meant.
 */
public final class HistoryEvents {

    private HistoryEvents() {
    }

    /**
     * The row as a recorded event, or empty if today's reader refuses it: a row applied before a
     * rule existed (a jurisdiction that names no country) is left out of the replay, as an event
     * that would now be rejected.
     */
    public static Optional<RecordedEvent> recorded(PolicyChangeReader reader, PolicyEventEntity row) {
        List<RawHeader> headers = List.of(
                header("ce_specversion", "1.0"),
                header("ce_id", row.eventId),
                header("ce_type", row.type),
                header("ce_source", row.source),
                header("ce_time", row.eventTime.toString()),
                header("content-type", "application/json"));
        RawRecord record = new RawRecord("policy_event", -1, -1, bytes(row.policyId), bytes(row.data), headers,
                row.eventTime);
        return reader.read(record) instanceof ReadResult.Read read
                ? Optional.of(new RecordedEvent(read.event(), row.receivedAt)) : Optional.empty();
    }

    private static RawHeader header(String key, String value) {
        return new RawHeader(key, bytes(value));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
