package dev.moratorium.api;

import dev.moratorium.ingest.HistoryEvents;
import dev.moratorium.ingest.PolicyChangeReader;
import dev.moratorium.policy.AsKnownBy;
import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.store.PolicyEventEntity;
import dev.moratorium.readmodel.PolicyIndex;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Policies as they were known at an instant ({@code asOf}): each one's history rows with an event
 * time at or before it, replayed through the domain ({@link AsKnownBy}). The policies of a product
 * come from the in-memory index (a policy's vendor and product never change, so the current index
 * names every policy that product ever had); their rows are read through
 * {@code policy_event_policy_idx (policy_id, id)}, so a request reads only its product's history,
 * never the whole table.
 */
@ApplicationScoped
public class PoliciesAsKnown {

    /** Far below PostgreSQL's 65,535 bind parameters; a product has a handful of policies. */
    private static final int IDS_PER_QUERY = 500;

    @Inject
    PolicyIndex index;

    @Inject
    PolicyDecider decider;

    @Inject
    PolicyChangeReader reader;

    /** The policies on this vendor's product as known at {@code asOf}, in the index's order. */
    @Transactional
    public List<Policy> policiesFor(String vendor, String product, Instant asOf) {
        List<String> ids = index.policiesFor(vendor, product).stream().map(Policy::policyId).toList();
        Map<String, List<RecordedEvent>> histories = new LinkedHashMap<>();
        ids.forEach(id -> histories.put(id, new ArrayList<>()));
        for (int i = 0; i < ids.size(); i += IDS_PER_QUERY) {
            List<PolicyEventEntity> rows = PolicyEventEntity.list(
                    "policyId in ?1 and eventTime <= ?2 order by id", ids.subList(i, Math.min(ids.size(), i + IDS_PER_QUERY)),
                    asOf);
            for (PolicyEventEntity row : rows) {
                HistoryEvents.recorded(reader, row).ifPresent(e -> histories.get(row.policyId).add(e));
            }
        }
        List<Policy> known = new ArrayList<>(ids.size());
        histories.values().forEach(history -> AsKnownBy.replay(decider, history, asOf).ifPresent(known::add));
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
