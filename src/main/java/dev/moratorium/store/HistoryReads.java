package dev.moratorium.store;

import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.hibernate.query.SelectionQuery;

/**
 * Reads of policies' histories, all through {@code policy_event_policy_idx (policy_id, id)}. A
 * policy's history has no length limit (a moratorium extended again and again, each time to a
 * later end), so a whole history is never returned as a list: it is streamed from a cursor,
 * {@value #FETCH_SIZE} rows a round trip, each row leaving the persistence context once used, so
 * that neither the driver nor Hibernate holds it all. Every method runs in the caller's transaction.
 */
@ApplicationScoped
public class HistoryReads {

    /** Far below PostgreSQL's 65,535 bind parameters; a product has a handful of policies. */
    private static final int IDS_PER_QUERY = 500;
    /** Rows per round trip of the cursor. */
    static final int FETCH_SIZE = 500;
    /**
     * Histories streamed at once, per replica. The driver holds a round trip's rows whole, and an
     * event's data is up to 64 KiB, so a round trip may be 32 MB: six as-of reads at once over
     * histories of 301 such events took 11.4 s, the heap 138 of 160 MB full after a full collection
     * (the packaged service with the deployment's JVM options); two at a time, all six answered in
     * 2.1-3.8 s, at most 70 MB after a full collection. Fewer rows a round trip would bound
     * that too, but a long history of small events paid for it: 100 made LargeStateTest's as-of
     * replays of 80,000 events take twice as long. The cores are two; more at once would only share them.
     */
    static final int STREAMS = 2;

    private final Semaphore streams = new Semaphore(STREAMS, true);

    @Inject
    EntityManager em;

    @Inject
    ReadConnections connections;

    /**
     * The rows of these policies, policy after policy, each policy's in the order they were applied:
     * a reader replays one policy at a time, and holds only its answer of those finished (read
     * interleaved by id, every policy of a product was replayed at once, whole).
     */
    public void forEachOf(List<String> policyIds, Consumer<PolicyEventEntity> use) {
        for (int i = 0; i < policyIds.size(); i += IDS_PER_QUERY) {
            streamed(InLists.select("from PolicyEventEntity where policyId in :ids order by policyId, id",
                    PolicyEventEntity.class,
                    policyIds.subList(i, Math.min(policyIds.size(), i + IDS_PER_QUERY))), use);
        }
    }

    /**
     * One policy's rows after the row id {@code after} whose event time is at or before {@code asOf},
     * in the order they were applied ({@code Long.MIN_VALUE}: from the first).
     */
    public void forEachAfterUpTo(String policyId, long after, Instant asOf, Consumer<PolicyEventEntity> use) {
        streamed(Panache.getSession().createSelectionQuery(
                "from PolicyEventEntity where policyId = :id and id > :after and eventTime <= :asOf order by id",
                PolicyEventEntity.class).setParameter("id", policyId).setParameter("after", after)
                .setParameter("asOf", asOf), use);
    }

    /** One policy's rows after the row id {@code after}, in the order they were applied. */
    public void forEachAfter(String policyId, long after, Consumer<PolicyEventEntity> use) {
        streamed(Panache.getSession().createSelectionQuery(
                "from PolicyEventEntity where policyId = :id and id > :after order by id", PolicyEventEntity.class)
                .setParameter("id", policyId).setParameter("after", after), use);
    }

    /** A history row's data size in bytes: stored with it since V17, measured on rows written before. */
    private static final String DATA_BYTES = "coalesce(data_bytes, octet_length(data::text))";

    /**
     * Where a page ends: of the first {@code limit + 1} rows after the cursor, each one's id, whether
     * it starts within the byte budget, and the bytes up to its end (the bytes of the rows before it,
     * summed from the size column: no row's data is read). Parameters: the budget, the policy, the
     * cursor, the rows.
     */
    private static final String PAGE_ENDS = "SELECT id, before < ?, before + bytes FROM (SELECT id, sum(" + DATA_BYTES
            + ") OVER (ORDER BY id) - " + DATA_BYTES + " AS before, " + DATA_BYTES + " AS bytes FROM policy_event"
            + " WHERE policy_id = ? AND id > ? ORDER BY id LIMIT ?) AS p ORDER BY id";

    /**
     * Where a keyset page of one policy's rows after the row id {@code after} ends: up to
     * {@code limit} rows, in the order they were applied, and no more once their data reach
     * {@code maxBytes} (at least one row); the same cost at any depth. Only sizes are read: the
     * rows themselves are read by {@link #rows} as the page is written (an event is up to 64 KiB,
     * and 500 of them, parsed for one page, ended the service). Like {@link #rows}, on a connection
     * of its own (ReadConnections), not the caller's transaction: a long page waits for its place.
     */
    public PageEnd pageEnd(String policyId, long after, int limit, long maxBytes) {
        return connections.read(c -> {
            try (PreparedStatement s = c.prepareStatement(PAGE_ENDS)) {
                s.setLong(1, maxBytes);
                s.setString(2, policyId);
                s.setLong(3, after);
                s.setInt(4, limit + 1);
                long last = after;
                long bytes = 0;
                int taken = 0;
                int read = 0;
                boolean ended = false;
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        read++;
                        ended = ended || taken == limit || !rs.getBoolean(2);
                        if (!ended) {
                            last = rs.getLong(1);
                            bytes = rs.getLong(3);
                            taken++;
                        }
                    }
                }
                return new PageEnd(last, taken, bytes, read > taken);
            }
        });
    }

    /** A history row as a page shows it. */
    public record Row(long id, String eventId, String type, Instant eventTime, String data, Instant receivedAt) {
    }

    /** A page's rows: one policy's after the row id {@code after} up to {@code last}, in the order they were applied. */
    public List<Row> rows(String policyId, long after, long last, int limit) {
        return connections.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT id, event_id, type, event_time, data::text, received_at"
                    + " FROM policy_event WHERE policy_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?")) {
                s.setString(1, policyId);
                s.setLong(2, after);
                s.setLong(3, last);
                s.setInt(4, limit);
                List<Row> rows = new ArrayList<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3),
                                rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5),
                                rs.getObject(6, OffsetDateTime.class).toInstant()));
                    }
                }
                return rows;
            }
        });
    }

    /**
     * Where a page ends: its last row id ({@code after} when it has none), how many rows it has,
     * their data's bytes, and whether rows follow it.
     */
    public record PageEnd(long last, int rows, long bytes, boolean more) {
    }

    private void streamed(SelectionQuery<PolicyEventEntity> query, Consumer<PolicyEventEntity> use) {
        streams.acquireUninterruptibly();
        try (Stream<PolicyEventEntity> rows = query.setFetchSize(FETCH_SIZE).setReadOnly(true).stream()) {
            rows.forEach(row -> {
                use.accept(row);
                em.detach(row);
            });
        } finally {
            streams.release();
        }
    }
}
