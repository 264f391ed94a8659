package dev.moratorium.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyKind;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.wire.WireJson;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Policies read with plain JDBC for the read side (the access index, the paged list): no entities
 * in a persistence context, and a policy's exemptions fetched for a whole set of policies with one
 * array parameter ({@code policy_id = any(?)}), so no statement grows with the state.
 */
final class PolicyRows {

    /** The policy columns in the order {@link #policy} reads them. */
    static final String COLUMNS = "policy_id, kind, vendor, product, segments::text, status, effective_from,"
            + " effective_until, lifted_at, jurisdiction, reason, source_url, evaluated_at";
    /** How many columns {@link #COLUMNS} names: a statement's own columns follow them. */
    static final int COLUMN_COUNT = 13;

    private PolicyRows() {
    }

    /** A row of {@link #COLUMNS}, without its exemptions (see {@link #withExemptions}). */
    static Policy policy(ResultSet rs, Shared shared) throws SQLException {
        String policyId = rs.getString(1);
        List<String> segments = new ArrayList<>();
        for (JsonNode s : WireJson.parse(rs.getString(5))) {
            segments.add(shared.of(s.asText()));
        }
        return new Policy(policyId, PolicyKind.valueOf(rs.getString(2)), shared.of(rs.getString(3)),
                shared.of(rs.getString(4)), shared.of(List.copyOf(segments)), PolicyStatus.valueOf(rs.getString(6)),
                instant(rs, 7, shared), instant(rs, 8, shared), instant(rs, 9, shared), List.of(),
                shared.of(rs.getString(10)), shared.of(rs.getString(11)), shared.of(rs.getString(12)),
                instant(rs, 13, shared));
    }

    /** The named policies with their exemptions, in two statements; ids not stored are left out. */
    static List<Policy> byIds(Connection c, Collection<String> policyIds) throws SQLException {
        List<Policy> rows = new ArrayList<>(policyIds.size());
        Shared shared = new Shared();
        Array ids = c.createArrayOf("text", policyIds.toArray());
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM policy WHERE policy_id = any(?)")) {
            s.setArray(1, ids);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(policy(rs, shared));
                }
            }
        } finally {
            ids.free();
        }
        return withExemptions(c, rows, shared);
    }

    /** These policies with their exemptions, read with one statement. */
    static List<Policy> withExemptions(Connection c, List<Policy> policies, Shared shared) throws SQLException {
        Map<String, List<Exemption>> exemptions = exemptions(c, policies.stream().map(Policy::policyId).toList(),
                shared);
        if (exemptions.isEmpty()) {
            return policies;
        }
        List<Policy> complete = new ArrayList<>(policies.size());
        for (Policy p : policies) {
            List<Exemption> own = exemptions.get(p.policyId());
            complete.add(own == null ? p : p.withExemptions(shared.of(List.copyOf(own))));
        }
        return complete;
    }

    /** The exemptions of these policies, in list order, with one statement and one parameter. */
    private static Map<String, List<Exemption>> exemptions(Connection c, List<String> policyIds, Shared shared)
            throws SQLException {
        Map<String, List<Exemption>> byPolicy = new HashMap<>();
        if (policyIds.isEmpty()) {
            return byPolicy;
        }
        Array ids = c.createArrayOf("text", policyIds.toArray());
        try (PreparedStatement s = c.prepareStatement("SELECT policy_id, organization, purpose, granted_at, revoked_at"
                + " FROM exemption WHERE policy_id = any(?) ORDER BY policy_id, position")) {
            s.setArray(1, ids);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    byPolicy.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                            .add(shared.of(new Exemption(shared.of(rs.getString(2)), shared.of(rs.getString(3)),
                                    instant(rs, 4, shared), instant(rs, 5, shared))));
                }
            }
        } finally {
            ids.free();
        }
        return byPolicy;
    }

    private static Instant instant(ResultSet rs, int column, Shared shared) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : shared.of(t.toInstant());
    }

    /**
     * Equal values read by one statement, shared as one object. The access index holds every
     * policy, and most of a policy's fields repeat across policies (vendor, product, segments,
     * dates, exemptions); sharing them roughly halves the heap per policy (LargeStateTest measures it).
     * Every shared value is immutable (strings, instants, immutable lists, records of those).
     */
    static final class Shared {
        private final Map<Object, Object> values = new HashMap<>();

        @SuppressWarnings("unchecked")
        <T> T of(T value) {
            return value == null ? null : (T) values.computeIfAbsent(value, v -> v);
        }
    }
}
