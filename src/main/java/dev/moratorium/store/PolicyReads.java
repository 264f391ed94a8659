package dev.moratorium.store;

import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.Session;
import org.hibernate.jdbc.ReturningWork;

/**
 * The read side's queries on policies, each bounded by what it returns rather than by how many
 * policies exist: filters and order in SQL on indexed columns, keyset cursors, exemptions only for
 * the policies read, counts bounded or kept by the database.
 */
@ApplicationScoped
public class PolicyReads {

    @Inject
    EntityManager em;

    /** Up to {@code limit} policies whose version is above {@code afterVersion}, in version order. */
    public Chunk changedSince(long afterVersion, int limit) {
        return work(c -> {
            List<Policy> policies = new ArrayList<>();
            PolicyRows.Shared shared = new PolicyRows.Shared();
            long last = afterVersion;
            try (PreparedStatement s = c.prepareStatement("SELECT " + PolicyRows.COLUMNS + ", version FROM policy"
                    + " WHERE version > ? ORDER BY version LIMIT ?")) {
                s.setLong(1, afterVersion);
                s.setInt(2, limit);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        policies.add(PolicyRows.policy(rs, shared));
                        last = rs.getLong(14);
                    }
                }
            }
            return new Chunk(PolicyRows.withExemptions(c, policies, shared), last);
        });
    }

    /**
     * One page of the policies matching the filter, by policy id: after the cursor {@code after}
     * (a keyset: an index range, whatever the depth) or at {@code offset} (read and skipped).
     *
     * @param countCap how many matching policies {@code total} counts at most when it must count
     */
    public PolicyPage page(PolicyFilter filter, String after, int offset, int size, int countCap) {
        return work(c -> {
            Where where = where(filter);
            StringBuilder sql = new StringBuilder("SELECT ").append(PolicyRows.COLUMNS).append(" FROM policy WHERE ")
                    .append(where.sql());
            List<Object> params = new ArrayList<>(where.params());
            if (after != null) {
                sql.append(" AND policy_id > ?");
                params.add(after);
            }
            sql.append(" ORDER BY policy_id LIMIT ? OFFSET ?");
            params.add(size + 1);
            params.add(offset);
            List<Policy> rows = new ArrayList<>();
            PolicyRows.Shared shared = new PolicyRows.Shared();
            try (PreparedStatement s = prepare(c, sql.toString(), params); ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(PolicyRows.policy(rs, shared));
                }
            }
            boolean more = rows.size() > size;
            List<Policy> items = PolicyRows.withExemptions(c, more ? rows.subList(0, size) : rows, shared);
            String next = more ? items.get(items.size() - 1).policyId() : null;
            Count total = after == null && offset == 0 && !more ? new Count(items.size(), true) : count(c, filter, where, countCap);
            return new PolicyPage(items, total.value(), total.exact(), next);
        });
    }

    /**
     * Without name filters the count per status is kept by the database (V5), so it is exact and
     * free; otherwise matching rows are counted up to the cap, a bounded index read.
     */
    private static Count count(Connection c, PolicyFilter filter, Where where, int cap) throws SQLException {
        if (filter.vendor() == null && filter.product() == null && filter.segment() == null) {
            List<Object> params = filter.status() == null ? List.of() : List.of(filter.status().name());
            String sql = "SELECT coalesce(sum(policies), 0) FROM policy_status_count"
                    + (filter.status() == null ? "" : " WHERE status = ?");
            return new Count(single(c, sql, params), true);
        }
        List<Object> params = new ArrayList<>(where.params());
        params.add(cap + 1);
        long counted = single(c, "SELECT count(*) FROM (SELECT 1 FROM policy WHERE " + where.sql() + " LIMIT ?) AS m", params);
        return counted > cap ? new Count(cap, false) : new Count(counted, true);
    }

    private static Where where(PolicyFilter filter) {
        StringBuilder sql = new StringBuilder("true");
        List<Object> params = new ArrayList<>();
        if (filter.status() != null) {
            sql.append(" AND status = ?");
            params.add(filter.status().name());
        }
        if (filter.vendor() != null) {
            sql.append(" AND vendor_key = ?");
            params.add(Names.key(filter.vendor()));
        }
        if (filter.product() != null) {
            sql.append(" AND product_key = ?");
            params.add(Names.key(filter.product()));
        }
        if (filter.segment() != null) {
            // covers the segment: named in the policy's segments, or the policy is for everyone
            sql.append(" AND segment_keys && ARRAY[?::text, '").append(Names.EVERYONE).append("']");
            params.add(Names.key(filter.segment()));
        }
        return new Where(sql.toString(), params);
    }

    private static long single(Connection c, String sql, List<Object> params) throws SQLException {
        try (PreparedStatement s = prepare(c, sql, params); ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, List<Object> params) throws SQLException {
        PreparedStatement s = c.prepareStatement(sql);
        for (int i = 0; i < params.size(); i++) {
            s.setObject(i + 1, params.get(i));
        }
        return s;
    }

    private <T> T work(ReturningWork<T> work) {
        return em.unwrap(Session.class).doReturningWork(work);
    }

    private record Where(String sql, List<Object> params) {
    }

    private record Count(long value, boolean exact) {
    }

    /** Policies read in version order, and the version of the last one (the next chunk's start). */
    public record Chunk(List<Policy> policies, long lastVersion) {
    }

    public record PolicyFilter(PolicyStatus status, String vendor, String product, String segment) {
    }

    /**
     * @param total      matching policies, exact when {@code totalExact}; else the count cap, a lower bound
     * @param next       the cursor for the next page ({@code after}), or {@code null} on the last page
     */
    public record PolicyPage(List<Policy> items, long total, boolean totalExact, String next) {
    }
}
