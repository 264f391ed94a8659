package dev.moratorium.ingest;

import dev.moratorium.policy.Decision;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.policy.PolicyEvent;
import dev.moratorium.store.AppendOnlyRows;
import dev.moratorium.store.PolicyEventEntity;
import dev.moratorium.store.RedeliveryChecks;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import dev.moratorium.wire.Utf8;
import dev.moratorium.wire.TraceContext;
import dev.moratorium.write.UnitOfWork;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides a list of records in a unit of work: reads each, de-duplicates by event id, lets the
 * domain decide against the state this unit of work holds, and writes history rows. Policies and
 * known event ids are loaded once for the list. Rejections are returned to the caller, which
 * decides how to keep them. It decides the records in order until the unit of work is full
 * ({@link UnitOfWork#isFull()}): the results are for that first part of the list.
 */
@ApplicationScoped
public class PolicyChangeApplier {

    @Inject
    PolicyChangeReader reader;

    @Inject
    PolicyDecider decider;

    @Inject
    AppendOnlyRows appendOnly;

    @Inject
    RedeliveryChecks redelivery;

    public List<RecordResult> apply(UnitOfWork unit, List<RawRecord> records) {
        List<ReadResult> reads = records.stream().map(reader::read).toList();
        Set<String> policyIds = new LinkedHashSet<>();
        Set<String> eventIds = new HashSet<>();
        for (ReadResult read : reads) {
            if (read instanceof ReadResult.Read r) {
                policyIds.add(r.event().policyId());
                eventIds.add(r.event().meta().id());
            }
        }
        unit.load(policyIds);
        Set<String> applied = redelivery.appliedEventIds(eventIds);

        List<RecordResult> results = new ArrayList<>(records.size());
        List<PolicyEventEntity> history = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            if (i > 0 && unit.isFull()) {
                // the records after this are decided in the next transaction (PolicyChangeIngestor);
                // the first always is here, whatever the load held, so that each transaction goes on
                break;
            }
            RawRecord record = records.get(i);
            ReadResult read = reads.get(i);
            if (read instanceof ReadResult.Unreadable u) {
                results.add(new RecordResult.Rejected(record, u.eventId(), u.rejection()));
                continue;
            }
            ReadResult.Read r = (ReadResult.Read) read;
            PolicyEvent event = r.event();
            String eventId = event.meta().id();
            if (!applied.add(eventId)) {
                results.add(new RecordResult.Duplicate(record, eventId, event.type().wireName()));
                continue;
            }
            var current = unit.current(event.policyId());
            Decision decision = decider.decide(current, event, unit.nowFor(current.orElse(null)));
            if (decision instanceof Decision.Rejected rejected) {
                applied.remove(eventId); // a rejected id may still be applied later, e.g. on retry
                results.add(new RecordResult.Rejected(record, eventId, rejected.rejection()));
                continue;
            }
            Decision.Applied ok = (Decision.Applied) decision;
            unit.apply(ok.outcome(), traceContext(record));
            history.add(historyRow(event, r.dataJson(), record, unit.now()));
            results.add(new RecordResult.Applied(record, eventId, event.type().wireName()));
        }
        appendOnly.insertHistory(history);
        return results;
    }

    /** Only W3C-valid trace headers are carried on (see TraceContext). */
    private static List<RawHeader> traceContext(RawRecord record) {
        return TraceContext.carried(record.headers());
    }

    private static PolicyEventEntity historyRow(PolicyEvent event, String dataJson, RawRecord record, Instant now) {
        PolicyEventEntity row = new PolicyEventEntity();
        row.eventId = event.meta().id();
        row.policyId = event.policyId();
        row.type = event.type().wireName();
        row.source = event.meta().source();
        row.eventTime = event.meta().time();
        row.data = dataJson;
        row.dataBytes = Utf8.length(dataJson);
        row.receivedAt = now;
        row.kafkaPartition = record.partition() < 0 ? null : record.partition();
        row.kafkaOffset = record.offset() < 0 ? null : record.offset();
        return row;
    }
}
