package dev.moratorium.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyKind;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.wire.WireJson;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Policies and their exemptions in PostgreSQL, translated to and from the domain's {@link Policy}. */
@ApplicationScoped
public class PolicyStore {

    /**
     * Loads the named policies for a writer, in two queries (policies, then their exemptions); the
     * rows stay in the persistence context, where {@link #save} finds them.
     */
    public Map<String, Policy> load(Collection<String> policyIds) {
        return load(policyIds, false);
    }

    /**
     * Reads the named policies for a reader: read-only rows, which Hibernate neither snapshots nor
     * dirty-checks at commit. For a few ids only (one policy's page); lists go through
     * {@link PolicyReads}, whose statements do not grow with the state.
     */
    public Map<String, Policy> read(Collection<String> policyIds) {
        return load(policyIds, true);
    }

    private Map<String, Policy> load(Collection<String> policyIds, boolean readOnly) {
        if (policyIds.isEmpty()) {
            return Map.of();
        }
        List<PolicyEntity> entities = InLists.select("from PolicyEntity where policyId in :ids",
                PolicyEntity.class, policyIds).setReadOnly(readOnly).list();
        return toDomain(entities, readOnly);
    }

    public Optional<Policy> find(String policyId) {
        return Optional.ofNullable(read(List.of(policyId)).get(policyId));
    }

    /** Ids of policies with a time-driven change due at or before {@code now}, oldest due first (by index). */
    public List<String> dueIds(Instant now, int limit) {
        return PolicyEntity.getEntityManager().createQuery("select p.policyId from PolicyEntity p"
                + " where p.nextDueAt <= :now order by p.nextDueAt", String.class)
                .setParameter("now", now).setMaxResults(limit).getResultList();
    }

    /** Moves a policy's next time-driven change to {@code at} (a policy the store refused, tried again later). */
    public void postponeDue(String policyId, Instant at) {
        PolicyEntity.update("nextDueAt = ?1 where policyId = ?2 and nextDueAt is not null", at, policyId);
    }

    /**
     * Writes the policy's state and the exemption rows that changed. Call it at most once per policy
     * in a transaction (every caller saves a batch's policies once each), after loading it there.
     *
     * @param previous the state it had when loaded, or {@code null} for a new policy
     */
    public void save(Policy policy, Policy previous, Instant nextDueAt, Instant now) {
        PolicyEntity entity = previous == null ? null : PolicyEntity.findById(policy.policyId());
        boolean isNew = entity == null;
        if (isNew) {
            entity = new PolicyEntity();
            entity.policyId = policy.policyId();
            entity.createdAt = now;
        }
        entity.kind = policy.kind().name();
        entity.vendor = policy.vendor();
        entity.product = policy.product();
        entity.vendorKey = Names.key(policy.vendor());
        entity.productKey = Names.key(policy.product());
        ArrayNode segments = WireJson.MAPPER.createArrayNode();
        policy.segments().forEach(segments::add);
        entity.segments = WireJson.string(segments);
        entity.segmentKeys = policy.segments().stream().map(Names::key).toArray(String[]::new);
        entity.status = policy.status().name();
        entity.effectiveFrom = policy.effectiveFrom();
        entity.effectiveUntil = policy.effectiveUntil();
        entity.liftedAt = policy.liftedAt();
        entity.jurisdiction = policy.jurisdiction();
        entity.reason = policy.reason();
        entity.sourceUrl = policy.sourceUrl();
        entity.evaluatedAt = policy.evaluatedAt();
        entity.nextDueAt = nextDueAt;
        entity.updatedAt = now;
        if (isNew) {
            entity.persist();
        }
        writeExemptions(policy.policyId(), previous == null ? List.of() : previous.exemptions(), policy.exemptions());
    }

    /**
     * Writes only the exemption rows that differ between the two lists, compared by position. The
     * rows of a policy loaded in this transaction are already in the persistence context, so
     * finding one costs no query.
     */
    private static void writeExemptions(String policyId, List<Exemption> before, List<Exemption> after) {
        for (int position = 0; position < after.size(); position++) {
            Exemption e = after.get(position);
            if (position >= before.size()) {
                ExemptionEntity row = new ExemptionEntity();
                row.policyId = policyId;
                row.position = position;
                fill(row, e);
                row.persist();
            } else if (!before.get(position).equals(e)) {
                fill(ExemptionEntity.findById(new ExemptionEntity.Key(policyId, position)), e);
            }
        }
        for (int position = after.size(); position < before.size(); position++) {
            ExemptionEntity.findById(new ExemptionEntity.Key(policyId, position)).delete();
        }
    }

    private static void fill(ExemptionEntity row, Exemption e) {
        row.organization = e.organization();
        row.organizationKey = Names.key(e.organization());
        row.purpose = e.purpose();
        row.grantedAt = e.grantedAt();
        row.revokedAt = e.revokedAt();
    }

    private Map<String, Policy> toDomain(List<PolicyEntity> entities, boolean readOnly) {
        if (entities.isEmpty()) {
            return Map.of();
        }
        List<String> ids = entities.stream().map(e -> e.policyId).toList();
        Map<String, List<Exemption>> exemptions = new HashMap<>();
        List<ExemptionEntity> rows = InLists.select(
                "from ExemptionEntity where policyId in :ids order by policyId, position", ExemptionEntity.class, ids)
                .setReadOnly(readOnly).list();
        for (ExemptionEntity row : rows) {
            exemptions.computeIfAbsent(row.policyId, k -> new ArrayList<>())
                    .add(new Exemption(row.organization, row.purpose, row.grantedAt, row.revokedAt));
        }
        Map<String, Policy> policies = new LinkedHashMap<>();
        for (PolicyEntity e : entities) {
            List<String> segments = new ArrayList<>();
            for (JsonNode s : WireJson.parse(e.segments)) {
                segments.add(s.asText());
            }
            policies.put(e.policyId, new Policy(e.policyId, PolicyKind.valueOf(e.kind), e.vendor, e.product, segments,
                    PolicyStatus.valueOf(e.status), e.effectiveFrom, e.effectiveUntil, e.liftedAt,
                    exemptions.getOrDefault(e.policyId, List.of()), e.jurisdiction, e.reason, e.sourceUrl,
                    e.evaluatedAt));
        }
        return policies;
    }
}
