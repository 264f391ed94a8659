package dev.moratorium.store;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.wire.WireJson;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hibernate.Session;

/**
 * Policies and their exemptions in PostgreSQL, translated to and from the domain's {@link Policy},
 * for the writers (in the unit of work's transaction) and for one policy's page.
 *
 * <p>Plain JDBC on the transaction's connection, not entities: a writer keeps the states it loaded
 * in its {@code UnitOfWork} and saves each changed policy once, so a persistence context would only
 * add copies (the entity, its snapshot, the domain object) and a dirty check at the flush. With a
 * batch of one record, loading and translating the entities was a fifth of the consumer's
 * transaction (BENCHMARKS.md, "Performance II, fourth pass"). The statements are the same two reads
 * (policies, then their exemptions, each with one array parameter) and one write per changed row.
 */
@ApplicationScoped
public class PolicyStore {

    /**
     * The columns {@link #save} writes, in its parameters' order (policy_id last for the update);
     * public for bench/policy-update, which measures PostgreSQL's side of these statements.
     */
    public static final String UPDATE = "UPDATE policy SET kind = ?, vendor = ?, product = ?, vendor_key = ?,"
            + " product_key = ?, segments = ?::jsonb, segment_keys = ?, status = ?, effective_from = ?,"
            + " effective_until = ?, lifted_at = ?, jurisdiction = ?, reason = ?, source_url = ?, evaluated_at = ?,"
            + " next_due_at = ?, updated_at = ? WHERE policy_id = ?";
    public static final String INSERT = "INSERT INTO policy (kind, vendor, product, vendor_key, product_key,"
            + " segments, segment_keys, status, effective_from, effective_until, lifted_at, jurisdiction, reason,"
            + " source_url, evaluated_at, next_due_at, updated_at, policy_id, created_at)"
            + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_EXEMPTION = "INSERT INTO exemption (organization, organization_key, purpose,"
            + " granted_at, revoked_at, policy_id, position) VALUES (?, ?, ?, ?, ?, ?, ?)";
    private static final String UPDATE_EXEMPTION = "UPDATE exemption SET organization = ?, organization_key = ?,"
            + " purpose = ?, granted_at = ?, revoked_at = ? WHERE policy_id = ? AND position = ?";
    private static final String DELETE_EXEMPTION = "DELETE FROM exemption WHERE policy_id = ? AND position = ?";

    @Inject
    EntityManager em;

    /** The named policies with their exemptions, in two statements; absent ids are not in the map. */
    public Map<String, Policy> load(Collection<String> policyIds) {
        if (policyIds.isEmpty()) {
            return Map.of();
        }
        return em.unwrap(Session.class).doReturningWork(c -> {
            Map<String, Policy> policies = new LinkedHashMap<>();
            for (Policy p : PolicyRows.byIds(c, policyIds)) {
                policies.put(p.policyId(), p);
            }
            return policies;
        });
    }

    /**
     * The named policies, with their exemptions only while they stay within {@code budget} bytes
     * (see PolicyRows#byIdsWithin); the ones past it are named in {@link Loaded#deferred()}.
     */
    public Loaded loadWithin(Collection<String> policyIds, long budget) {
        if (policyIds.isEmpty()) {
            return new Loaded(Map.of(), Set.of());
        }
        return em.unwrap(Session.class).doReturningWork(c -> PolicyRows.byIdsWithin(c, policyIds, budget));
    }

    /** Policies read whole (absent ids are in neither), and those left to read later. */
    public record Loaded(Map<String, Policy> policies, Set<String> deferred) {
    }

    /** Reads the named policies for a reader (one policy's page); lists go through {@link PolicyReads}. */
    public Map<String, Policy> read(Collection<String> policyIds) {
        return load(policyIds);
    }

    public Optional<Policy> find(String policyId) {
        return Optional.ofNullable(read(List.of(policyId)).get(policyId));
    }

    /** The vendor and product a policy was announced for (they never change). */
    public record Product(String vendor, String product) {
    }

    /**
     * The vendor and product of this policy, empty if it was never announced: one row, without the
     * exemptions {@link #find} reads with it (up to a thousand for one policy).
     */
    public Optional<Product> productOf(String policyId) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT vendor, product FROM policy WHERE policy_id = ?")) {
                s.setString(1, policyId);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(new Product(rs.getString(1), rs.getString(2))) : Optional.empty();
                }
            }
        });
    }

    /** Ids of policies after {@code after} in id order (by the primary key's index), at most {@code limit}. */
    public List<String> idsAfter(String after, int limit) {
        return PolicyEntity.getEntityManager().createQuery("select p.policyId from PolicyEntity p"
                + " where p.policyId > :after order by p.policyId", String.class)
                .setParameter("after", after).setMaxResults(limit).getResultList();
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
     * A policy's state to write: {@code previous} is the state it had when loaded in this
     * transaction, or {@code null} for a new policy.
     */
    public record Save(Policy policy, Policy previous, Instant nextDueAt) {
    }

    /**
     * Writes these policies' states and the exemption rows that changed, in JDBC batches. Each
     * policy at most once per transaction (every caller saves a batch's policies once each), after
     * loading it there.
     */
    public void save(List<Save> saves, Instant now) {
        if (saves.isEmpty()) {
            return;
        }
        em.unwrap(Session.class).doWork(c -> {
            try (PreparedStatement update = c.prepareStatement(UPDATE);
                    PreparedStatement insert = c.prepareStatement(INSERT)) {
                int updates = 0;
                int inserts = 0;
                for (Save save : saves) {
                    boolean isNew = save.previous() == null;
                    PreparedStatement s = isNew ? insert : update;
                    bindPolicy(c, s, save.policy(), save.nextDueAt(), now);
                    if (isNew) {
                        SqlValues.setInstant(s, 19, now);
                        inserts++;
                    } else {
                        updates++;
                    }
                    s.addBatch();
                }
                // new policies first: their exemption rows refer to them
                if (inserts > 0) {
                    insert.executeBatch();
                }
                if (updates > 0) {
                    update.executeBatch();
                }
            }
            writeExemptions(c, saves);
        });
    }

    private static void bindPolicy(Connection c, PreparedStatement s, Policy policy, Instant nextDueAt, Instant now)
            throws SQLException {
        ArrayNode segments = WireJson.MAPPER.createArrayNode();
        policy.segments().forEach(segments::add);
        s.setString(1, policy.kind().name());
        s.setString(2, policy.vendor());
        s.setString(3, policy.product());
        s.setString(4, Names.key(policy.vendor()));
        s.setString(5, Names.key(policy.product()));
        s.setString(6, WireJson.string(segments));
        s.setArray(7, c.createArrayOf("text", policy.segments().stream().map(Names::key).toArray(String[]::new)));
        s.setString(8, policy.status().name());
        SqlValues.setInstant(s, 9, policy.effectiveFrom());
        SqlValues.setInstant(s, 10, policy.effectiveUntil());
        SqlValues.setInstant(s, 11, policy.liftedAt());
        s.setString(12, policy.jurisdiction());
        s.setString(13, policy.reason());
        s.setString(14, policy.sourceUrl());
        SqlValues.setInstant(s, 15, policy.evaluatedAt());
        SqlValues.setInstant(s, 16, nextDueAt);
        SqlValues.setInstant(s, 17, now);
        s.setString(18, policy.policyId());
    }

    /**
     * Writes only the exemption rows that differ between the two lists, compared by position: a
     * grant appends a row, a revocation changes one.
     */
    private static void writeExemptions(Connection c, List<Save> saves) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(INSERT_EXEMPTION);
                PreparedStatement update = c.prepareStatement(UPDATE_EXEMPTION);
                PreparedStatement delete = c.prepareStatement(DELETE_EXEMPTION)) {
            int inserts = 0;
            int updates = 0;
            int deletes = 0;
            for (Save save : saves) {
                String policyId = save.policy().policyId();
                List<Exemption> before = save.previous() == null ? List.of() : save.previous().exemptions();
                List<Exemption> after = save.policy().exemptions();
                for (int position = 0; position < after.size(); position++) {
                    Exemption e = after.get(position);
                    if (position >= before.size()) {
                        bindExemption(insert, policyId, position, e);
                        inserts++;
                    } else if (!before.get(position).equals(e)) {
                        bindExemption(update, policyId, position, e);
                        updates++;
                    }
                }
                for (int position = after.size(); position < before.size(); position++) {
                    delete.setString(1, policyId);
                    delete.setInt(2, position);
                    delete.addBatch();
                    deletes++;
                }
            }
            if (deletes > 0) {
                delete.executeBatch();
            }
            if (updates > 0) {
                update.executeBatch();
            }
            if (inserts > 0) {
                insert.executeBatch();
            }
        }
    }

    private static void bindExemption(PreparedStatement s, String policyId, int position, Exemption e)
            throws SQLException {
        s.setString(1, e.organization());
        s.setString(2, Names.key(e.organization()));
        s.setString(3, e.purpose());
        SqlValues.setInstant(s, 4, e.grantedAt());
        SqlValues.setInstant(s, 5, e.revokedAt());
        s.setString(6, policyId);
        s.setInt(7, position);
        s.addBatch();
    }
}
