package dev.moratorium.api;

import dev.moratorium.ingest.HistoryEvents;
import dev.moratorium.ingest.PolicyChangeReader;
import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import dev.moratorium.policy.AsKnownBy;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.readmodel.PolicyIndex;
import dev.moratorium.store.InLists;
import dev.moratorium.store.PolicyEventEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Policies as they were known at an instant ({@code asOf}): each one's history rows replayed
 * through the domain ({@link AsKnownBy}), which keeps only the events with an event time at or
 * before it. The policies of a product come from the in-memory index (a policy's vendor and
 * product never change, so the current index names every policy that product ever had); their
 * rows are read through {@code policy_event_policy_idx (policy_id, id)}, so a request reads only
 * its product's history, never the whole table.
 *
 * <p>The rows read are kept, decoded, per policy, tagged with the index's state of the policy they
 * were read for: every applied event writes the policy, so the index's state is replaced and the
 * next request reads the rows again. While the tag still matches, an as-of answer is a replay in
 * memory without a database query or a worker thread (bench/decisions: the database round trip
 * made as-of requests a tenth as fast as plain ones). At most {@value #MAX_CACHED} policies are kept.
 */
@ApplicationScoped
public class PoliciesAsKnown {

    /** Far below PostgreSQL's 65,535 bind parameters; a product has a handful of policies. */
    private static final int IDS_PER_QUERY = 500;
    /** Bounds the memory kept for histories; past it the kept ones are dropped and read again on demand. */
    static final int MAX_CACHED = 100_000;

    @Inject
    PolicyIndex index;

    @Inject
    PolicyDecider decider;

    @Inject
    PolicyChangeReader reader;

    /** A policy's decoded history, read while the index held {@code current} for it. */
    private record History(Policy current, List<RecordedEvent> events) {
    }

    private final Map<String, History> histories = new ConcurrentHashMap<>();

    /**
     * The policies on this vendor's product as known at {@code asOf}, from the kept histories only;
     * empty when one of them is not kept for the index's current state (then {@link #policiesFor}
     * reads the database).
     */
    public Optional<List<Policy>> keptPoliciesFor(String vendor, String product, Instant asOf) {
        List<Policy> current = index.policiesFor(vendor, product);
        List<Policy> known = new ArrayList<>(current.size());
        for (Policy p : current) {
            History h = histories.get(p.policyId());
            if (h == null || h.current() != p) {
                return Optional.empty();
            }
            AsKnownBy.replay(decider, h.events(), asOf).ifPresent(known::add);
        }
        return Optional.of(known);
    }

    /** The policies on this vendor's product as known at {@code asOf}, in the index's order. */
    @Transactional
    public List<Policy> policiesFor(String vendor, String product, Instant asOf) {
        // the index's states before the rows: a write committed meanwhile makes the tag stale, never the rows
        List<Policy> current = index.policiesFor(vendor, product);
        List<String> ids = current.stream().map(Policy::policyId).toList();
        Map<String, List<RecordedEvent>> read = new LinkedHashMap<>();
        ids.forEach(id -> read.put(id, new ArrayList<>()));
        for (int i = 0; i < ids.size(); i += IDS_PER_QUERY) {
            List<PolicyEventEntity> rows = InLists.select("from PolicyEventEntity where policyId in :ids order by id",
                    PolicyEventEntity.class, ids.subList(i, Math.min(ids.size(), i + IDS_PER_QUERY))).list();
            for (PolicyEventEntity row : rows) {
                HistoryEvents.recorded(reader, row).ifPresent(e -> read.get(row.policyId).add(e));
            }
        }
        if (histories.size() + current.size() > MAX_CACHED) {
            histories.clear();
        }
        List<Policy> known = new ArrayList<>(ids.size());
        for (Policy p : current) {
            List<RecordedEvent> events = List.copyOf(read.get(p.policyId()));
            histories.put(p.policyId(), new History(p, events));
            AsKnownBy.replay(decider, events, asOf).ifPresent(known::add);
        }
        return known;
    }

    /** One policy as known at {@code asOf}; empty when none of its events was known by then. */
    @Transactional
    public Optional<Policy> policy(String policyId, Instant asOf) {
        List<PolicyEventEntity> rows = PolicyEventEntity.list("policyId = ?1 and eventTime <= ?2 order by id",
                policyId, asOf);
        List<RecordedEvent> history = new ArrayList<>(rows.size());
        for (PolicyEventEntity row : rows) {
            HistoryEvents.recorded(reader, row).ifPresent(history::add);
        }
        return AsKnownBy.replay(decider, history, asOf);
    }
}
