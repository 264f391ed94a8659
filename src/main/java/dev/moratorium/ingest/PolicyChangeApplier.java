package dev.moratorium.ingest;

import dev.moratorium.outbox.OutboxWriter;
import dev.moratorium.policy.Decision;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.policy.PolicyEvent;
import dev.moratorium.store.PolicyEventEntity;
import dev.moratorium.store.PolicyStore;
import dev.moratorium.store.WriterLock;
import dev.moratorium.wire.TraceContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Applies a batch of records inside the caller's transaction: reads each, de-duplicates by event
 * id, lets the domain decide, and writes state, history and outbox rows. Policies and known event
 * ids are loaded once per batch, and each policy is written once, however many of its events the
 * batch holds. Rejections are returned to the caller, which decides how to keep them.
 */
@ApplicationScoped
public class PolicyChangeApplier {

    @Inject
    PolicyChangeReader reader;

    @Inject
    PolicyDecider decider;

    @Inject
    PolicyStore policies;

    @Inject
    OutboxWriter outbox;

    @Inject
    WriterLock writerLock;

    @Inject
    Clock clock;

    /** Must run inside a transaction. */
    public List<RecordResult> apply(List<RawRecord> records) {
        writerLock.acquire();
        Instant now = clock.instant();
        List<ReadResult> reads = records.stream().map(reader::read).toList();

        Set<String> policyIds = new LinkedHashSet<>();
        Set<String> eventIds = new HashSet<>();
        for (ReadResult read : reads) {
            if (read instanceof ReadResult.Read r) {
                policyIds.add(r.event().policyId());
                eventIds.add(r.event().meta().id());
            }
        }
        Map<String, Policy> loaded = policies.load(policyIds);
        Map<String, Policy> current = new HashMap<>(loaded);
        Set<String> applied = alreadyApplied(eventIds);

        List<RecordResult> results = new ArrayList<>(records.size());
        List<PolicyEventEntity> history = new ArrayList<>();
        OutboxWriter.Batch published = outbox.batch();
        for (int i = 0; i < records.size(); i++) {
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
            Decision decision = decider.decide(Optional.ofNullable(current.get(event.policyId())), event, now);
            if (decision instanceof Decision.Rejected rejected) {
                applied.remove(eventId); // a rejected id may still be applied later, e.g. on retry
                results.add(new RecordResult.Rejected(record, eventId, rejected.rejection()));
                continue;
            }
            Decision.Applied ok = (Decision.Applied) decision;
            current.put(event.policyId(), ok.outcome().state());
            history.add(historyRow(event, r.dataJson(), record, now));
            published.write(ok.outcome(), now, traceContext(record));
            results.add(new RecordResult.Applied(record, eventId, event.type().wireName(), ok.outcome()));
        }
        for (Map.Entry<String, Policy> entry : current.entrySet()) {
            Policy before = loaded.get(entry.getKey());
            if (before == null || !before.equals(entry.getValue())) {
                Policy after = entry.getValue();
                policies.save(after, before, decider.time().nextDueAt(after).orElse(null), now);
            }
        }
        PolicyEventEntity.persist(history);
        published.persist();
        return results;
    }

    private static Set<String> alreadyApplied(Set<String> eventIds) {
        if (eventIds.isEmpty()) {
            return new HashSet<>();
        }
        List<String> found = PolicyEventEntity.getEntityManager()
                .createQuery("select e.eventId from PolicyEventEntity e where e.eventId in :ids", String.class)
                .setParameter("ids", eventIds).getResultList();
        return new HashSet<>(found);
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
        row.receivedAt = now;
        row.kafkaPartition = record.partition() < 0 ? null : record.partition();
        row.kafkaOffset = record.offset() < 0 ? null : record.offset();
        return row;
    }
}
