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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
        Shared shared = new Shared();
        Array ids = c.createArrayOf("text", policyIds.toArray());
        List<Policy> rows;
        try {
            rows = rows(c, ids, shared);
        } finally {
            ids.free();
        }
        return withExemptions(c, rows, shared);
    }

    /** The rows of the policies named in {@code ids} (a text array), without their exemptions. */
    private static List<Policy> rows(Connection c, Array ids, Shared shared) throws SQLException {
        List<Policy> rows = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM policy WHERE policy_id = any(?)")) {
            s.setArray(1, ids);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(policy(rs, shared));
                }
            }
        }
        return rows;
    }

    /**
     * The named policies, as {@link #byIds}, but with exemptions read only while their bytes
     * ({@link PolicyReads#exemptionBytes}) stay within {@code budget}, and at least the first
     * policy's: the others are named in {@link PolicyStore.Loaded#deferred()}, for the caller to read
     * when it needs them. A policy may keep a megabyte of exemptions, and a poll's 500 records may
     * name 500 such policies. The exemptions are streamed (a cursor inside the writer's transaction),
     * so nothing past the stop is fetched.
     */
    static PolicyStore.Loaded byIdsWithin(Connection c, Collection<String> policyIds, long budget)
            throws SQLException {
        Shared shared = new Shared();
        Array ids = c.createArrayOf("text", policyIds.toArray());
        try {
            List<Policy> rows = rows(c, ids, shared);
            Map<String, List<Exemption>> byPolicy = new HashMap<>();
            Set<String> complete = new HashSet<>();
            boolean cut = false;
            try (PreparedStatement s = c.prepareStatement("SELECT policy_id, organization, purpose, granted_at,"
                    + " revoked_at FROM exemption WHERE policy_id = any(?) ORDER BY policy_id, position")) {
                s.setArray(1, ids);
                s.setFetchSize(STREAMED_ROWS);
                try (ResultSet rs = s.executeQuery()) {
                    String open = null;
                    long bytes = 0;
                    while (rs.next()) {
                        String id = rs.getString(1);
                        if (!id.equals(open)) {
                            if (open != null) {
                                complete.add(open);
                                if (bytes > budget) {
                                    cut = true;
                                    break;
                                }
                            }
                            open = id;
                        }
                        Exemption e = shared.of(new Exemption(shared.of(rs.getString(2)), shared.of(rs.getString(3)),
                                instant(rs, 4, shared), instant(rs, 5, shared)));
                        bytes += PolicyReads.exemptionBytes(e);
                        byPolicy.computeIfAbsent(id, k -> new ArrayList<>()).add(e);
                    }
                    if (!cut && open != null) {
                        complete.add(open);
                    }
                }
            }
            Map<String, Policy> loaded = new LinkedHashMap<>();
            Set<String> deferred = new HashSet<>();
            for (Policy p : rows) {
                List<Exemption> own = byPolicy.get(p.policyId());
                if (cut && !complete.contains(p.policyId())) {
                    deferred.add(p.policyId()); // not reached; or it has none, which the stop could not tell
                } else {
                    loaded.put(p.policyId(), own == null ? p : p.withExemptions(shared.of(List.copyOf(own))));
                }
            }
            return new PolicyStore.Loaded(loaded, deferred);
        } finally {
            ids.free();
        }
    }

    /**
     * Exemption rows fetched at a time by {@link #byIdsWithin}: a poll's 500 policies of a few
     * exemptions each in a few round trips, and at most some 12 MB of the longest purposes.
     */
    private static final int STREAMED_ROWS = 1_000;

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
        return exemptions(c, policyIds, null, shared);
    }

    /**
     * The exemptions these policies grant one organization ({@code organizationKey}, its
     * {@link dev.moratorium.policy.Names#key}, as PolicyStore writes it beside each), in list order:
     * revoked ones too, as a decision and its explanation read them. A policy keeps at most 1,000
     * exemptions, so the primary key's range of each policy bounds the rows looked at.
     */
    static Map<String, List<Exemption>> exemptionsOf(Connection c, List<String> policyIds, String organizationKey)
            throws SQLException {
        return exemptions(c, policyIds, organizationKey, new Shared());
    }

    private static Map<String, List<Exemption>> exemptions(Connection c, List<String> policyIds,
            String organizationKey, Shared shared) throws SQLException {
        Map<String, List<Exemption>> byPolicy = new HashMap<>();
        if (policyIds.isEmpty()) {
            return byPolicy;
        }
        Array ids = c.createArrayOf("text", policyIds.toArray());
        try (PreparedStatement s = c.prepareStatement("SELECT policy_id, organization, purpose, granted_at, revoked_at"
                + " FROM exemption WHERE policy_id = any(?)" + (organizationKey == null ? "" : " AND organization_key = ?")
                + " ORDER BY policy_id, position")) {
            s.setArray(1, ids);
            if (organizationKey != null) {
                s.setString(2, organizationKey);
            }
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
