package dev.moratorium.store;

import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.wire.Utf8;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hibernate.jdbc.ReturningWork;

/**
 * The read side's queries on policies, each bounded by what it returns rather than by how many
 * policies exist: filters and order in SQL on indexed columns, keyset cursors, exemptions only for
 * the policies read, counts bounded or kept by the database.
 */
@ApplicationScoped
public class PolicyReads {

    @Inject
    ReadConnections connections;

    /**
     * Up to {@code limit} policies whose version is above {@code afterVersion}, in version order,
     * each with its exemptions if {@code held} takes them ({@link #EXEMPTION_BYTES}, asked in that
     * order); the others come without them, named in {@link Chunk#withoutExemptions()}, and their
     * exemptions are not read at all: a policy may keep a megabyte of them.
     */
    public Chunk changedSince(long afterVersion, int limit, HeldExemptions held) {
        return work(c -> {
            List<Policy> rows = new ArrayList<>();
            List<String> whole = new ArrayList<>();
            Set<String> without = new HashSet<>();
            PolicyRows.Shared shared = new PolicyRows.Shared();
            long last = afterVersion;
            try (PreparedStatement s = c.prepareStatement("SELECT " + PolicyRows.COLUMNS + ", p.version, "
                    + EXEMPTION_BYTES + " FROM policy p WHERE p.version > ? ORDER BY p.version LIMIT ?")) {
                s.setLong(1, afterVersion);
                s.setInt(2, limit);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        Policy row = PolicyRows.policy(rs, shared);
                        rows.add(row);
                        last = rs.getLong(PolicyRows.COLUMN_COUNT + 1);
                        long bytes = rs.getLong(PolicyRows.COLUMN_COUNT + 2);
                        if (bytes == 0 || held.takes(row, bytes)) {
                            whole.add(row.policyId());
                        } else {
                            without.add(row.policyId());
                        }
                    }
                }
            }
            if (without.isEmpty()) {
                return new Chunk(PolicyRows.withExemptions(c, rows, shared), without, last);
            }
            List<Policy> kept = new ArrayList<>(rows.size());
            Map<String, Policy> completed = new HashMap<>();
            for (Policy p : PolicyRows.withExemptions(c, rows.stream().filter(p -> !without.contains(p.policyId()))
                    .toList(), shared)) {
                completed.put(p.policyId(), p);
            }
            for (Policy row : rows) {
                kept.add(completed.getOrDefault(row.policyId(), row));
            }
            return new Chunk(kept, without, last);
        });
    }

    /** Decides, policy by policy, whether a reader keeps a policy's exemptions in memory. */
    @FunctionalInterface
    public interface HeldExemptions {
        /** @param exemptionBytes its {@link #EXEMPTION_BYTES}, above 0 */
        boolean takes(Policy row, long exemptionBytes);
    }

    /**
     * The exemptions these policies grant one organization (its {@link Names#key}), revoked ones
     * too, by policy id: what a decision about that organization reads of a policy whose
     * exemptions are not kept in memory.
     */
    public Map<String, List<Exemption>> exemptionsOf(List<String> policyIds, String organizationKey) {
        return work(c -> PolicyRows.exemptionsOf(c, policyIds, organizationKey));
    }

    /**
     * Bytes a policy's exemptions are counted for: the UTF-8 of each organization and purpose (from
     * the column headers: {@code octet_length} neither decompresses nor fetches a stored value), and
     * {@value #EXEMPTION_OVERHEAD} for each exemption's objects. No fewer than the heap they take once
     * read: a Java string takes a byte a character in Latin-1, two otherwise, and no character is
     * fewer bytes in UTF-8. {@link #exemptionBytes} counts a policy in memory the same way.
     */
    static final String EXEMPTION_BYTES = "coalesce((SELECT sum(octet_length(e.organization)"
            + " + octet_length(coalesce(e.purpose, '')) + " + PolicyReads.EXEMPTION_OVERHEAD + ")"
            + " FROM exemption e WHERE e.policy_id = p.policy_id), 0)";

    /** An exemption's record, its list slot and its instants, roughly, on a 64-bit JVM. */
    public static final int EXEMPTION_OVERHEAD = 128;

    /** {@link #EXEMPTION_BYTES} of a policy in memory. */
    public static long exemptionBytes(Policy p) {
        long bytes = 0;
        for (Exemption e : p.exemptions()) {
            bytes += exemptionBytes(e);
        }
        return bytes;
    }

    /** {@link #EXEMPTION_BYTES}' count of one exemption. */
    public static long exemptionBytes(Exemption e) {
        return Utf8.length(e.organization()) + (e.purpose() == null ? 0 : Utf8.length(e.purpose())) + EXEMPTION_OVERHEAD;
    }

    /**
     * What a policy's read costs, in bytes of text: its reason and source and every exemption it
     * keeps, revoked ones too (they are read with it). Sizes from the column headers
     * ({@code octet_length} does not decompress or fetch a stored value), through the exemptions' key.
     */
    static final String TEXT_BYTES = "octet_length(coalesce(p.reason, '')) + octet_length(coalesce(p.source_url, ''))"
            + " + coalesce((SELECT sum(octet_length(e.organization) + octet_length(coalesce(e.purpose, '')))"
            + " FROM exemption e WHERE e.policy_id = p.policy_id), 0)";

    /**
     * One page of the policies matching the filter, by policy id: after the cursor {@code after} (a
     * keyset: an index range, whatever the depth) or at {@code offset} (read and skipped). Each
     * policy comes with its {@link #TEXT_BYTES}, and the page whole, exemptions included, only when
     * their sum is at most {@code wholeBytes} (two statements, as a page always took); otherwise the
     * page is ids and sizes, and its policies are read a few at a time ({@link #policies}) as the
     * answer is written: a policy may keep a megabyte of exemptions.
     *
     * @param countCap how many matching policies {@code total} counts at most when it must count
     */
    public PagePlan plan(PolicyFilter filter, String after, int offset, int size, int countCap, long wholeBytes) {
        return work(c -> {
            Where where = where(filter);
            StringBuilder sql = new StringBuilder("SELECT ").append(PolicyRows.COLUMNS).append(", ").append(TEXT_BYTES)
                    .append(" FROM policy p WHERE ").append(where.sql());
            List<Object> params = new ArrayList<>(where.params());
            if (after != null) {
                sql.append(" AND p.policy_id > ?");
                params.add(after);
            }
            sql.append(" ORDER BY p.policy_id LIMIT ? OFFSET ?");
            params.add(size + 1);
            params.add(offset);
            List<Policy> rows = new ArrayList<>();
            List<Sized> sizes = new ArrayList<>();
            PolicyRows.Shared shared = new PolicyRows.Shared();
            try (PreparedStatement s = prepare(c, sql.toString(), params); ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Policy row = PolicyRows.policy(rs, shared);
                    rows.add(row);
                    sizes.add(new Sized(row.policyId(), rs.getLong(PolicyRows.COLUMN_COUNT + 1)));
                }
            }
            boolean more = rows.size() > size;
            List<Sized> items = more ? List.copyOf(sizes.subList(0, size)) : sizes;
            String next = more ? items.get(items.size() - 1).policyId() : null;
            Count total = after == null && offset == 0 && !more ? new Count(items.size(), true) : count(c, filter, where, countCap);
            long bytes = items.stream().mapToLong(Sized::bytes).sum();
            List<Policy> whole = bytes > wholeBytes ? null
                    : PolicyRows.withExemptions(c, more ? rows.subList(0, size) : rows, shared);
            return new PagePlan(items, whole, total.value(), total.exact(), next);
        });
    }

    /**
     * One policy with its {@link #TEXT_BYTES}: whole, exemptions included, when they are at most
     * {@code wholeBytes} (two statements, as it always took), else null (see {@link #policies}).
     */
    public Optional<SizedPolicy> policy(String policyId, long wholeBytes) {
        return work(c -> {
            PolicyRows.Shared shared = new PolicyRows.Shared();
            Policy row;
            long bytes;
            try (PreparedStatement s = c.prepareStatement("SELECT " + PolicyRows.COLUMNS + ", " + TEXT_BYTES
                    + " FROM policy p WHERE p.policy_id = ?")) {
                s.setString(1, policyId);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<SizedPolicy>empty();
                    }
                    row = PolicyRows.policy(rs, shared);
                    bytes = rs.getLong(PolicyRows.COLUMN_COUNT + 1);
                }
            }
            return Optional.of(new SizedPolicy(bytes,
                    bytes > wholeBytes ? null : PolicyRows.withExemptions(c, List.of(row), shared).get(0)));
        });
    }

    /** A policy's {@link #TEXT_BYTES}, and the policy when it was read whole. */
    public record SizedPolicy(long bytes, Policy whole) {
    }

    /** These policies with their exemptions, in the order given; ids no longer stored are left out. */
    public List<Policy> policies(List<String> policyIds) {
        return work(c -> {
            Map<String, Policy> byId = new HashMap<>();
            for (Policy p : PolicyRows.byIds(c, policyIds)) {
                byId.put(p.policyId(), p);
            }
            return policyIds.stream().map(byId::get).filter(p -> p != null).toList();
        });
    }

    /** Whether the policy is stored. */
    public boolean exists(String policyId) {
        return work(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM policy WHERE policy_id = ?")) {
                s.setString(1, policyId);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** One policy's {@link #TEXT_BYTES}; empty if no such policy is stored. */
    public Optional<Long> textBytes(String policyId) {
        return work(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT " + TEXT_BYTES + " FROM policy p WHERE p.policy_id = ?")) {
                s.setString(1, policyId);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getLong(1)) : Optional.<Long>empty();
                }
            }
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

    /** On a connection of its own, given back when the read ends (see ReadConnections). */
    private <T> T work(ReturningWork<T> work) {
        return connections.read(work);
    }

    private record Where(String sql, List<Object> params) {
    }

    private record Count(long value, boolean exact) {
    }

    /**
     * Policies read in version order, those of them read without their exemptions, and the version
     * of the last one (the next chunk's start).
     */
    public record Chunk(List<Policy> policies, Set<String> withoutExemptions, long lastVersion) {
    }

    public record PolicyFilter(PolicyStatus status, String vendor, String product, String segment) {
    }

    /**
     * @param whole      the page's policies, exemptions included, when it was small enough to read whole; else null
     * @param total      matching policies, exact when {@code totalExact}; else the count cap, a lower bound
     * @param next       the cursor for the next page ({@code after}), or {@code null} on the last page
     */
    public record PagePlan(List<Sized> items, List<Policy> whole, long total, boolean totalExact, String next) {
    }

    /** A policy's id and its {@link #TEXT_BYTES}. */
    public record Sized(String policyId, long bytes) {
    }
}
