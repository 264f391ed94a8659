package dev.moratorium.store;

import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Instant;
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

    /** The rows of these policies, each policy's in the order they were applied (interleaved by id). */
    public void forEachOf(List<String> policyIds, Consumer<PolicyEventEntity> use) {
        for (int i = 0; i < policyIds.size(); i += IDS_PER_QUERY) {
            streamed(InLists.select("from PolicyEventEntity where policyId in :ids order by id", PolicyEventEntity.class,
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
     * summed from the size column: no row's data is read).
     */
    private static final String PAGE_ENDS = "SELECT id, before < ?3, before + bytes FROM (SELECT id, sum(" + DATA_BYTES
            + ") OVER (ORDER BY id) - " + DATA_BYTES + " AS before, " + DATA_BYTES + " AS bytes FROM policy_event"
            + " WHERE policy_id = ?1 AND id > ?2 ORDER BY id LIMIT ?4) AS p ORDER BY id";

    /**
     * Where a keyset page of one policy's rows after the row id {@code after} ends: up to
     * {@code limit} rows, in the order they were applied, and no more once their data reach
     * {@code maxBytes} (at least one row); the same cost at any depth. Only sizes are read: the
     * rows themselves are read by {@link #rows} as the page is written (an event is up to 64 KiB,
     * and 500 of them, parsed for one page, ended the service).
     */
    public PageEnd pageEnd(String policyId, long after, int limit, long maxBytes) {
        @SuppressWarnings("unchecked")
        List<Object[]> ends = em.createNativeQuery(PAGE_ENDS).setParameter(1, policyId).setParameter(2, after)
                .setParameter(3, maxBytes).setParameter(4, limit + 1).getResultList();
        long last = after;
        long bytes = 0;
        int taken = 0;
        for (Object[] end : ends) {
            if (taken == limit || !Boolean.TRUE.equals(end[1])) {
                break;
            }
            last = ((Number) end[0]).longValue();
            bytes = ((Number) end[2]).longValue();
            taken++;
        }
        return new PageEnd(last, taken, bytes, ends.size() > taken);
    }

    /**
     * A page's rows: one policy's after the row id {@code after} up to {@code last}, in the order
     * they were applied, left out of the persistence context (they are written once).
     */
    public List<PolicyEventEntity> rows(String policyId, long after, long last, int limit) {
        List<PolicyEventEntity> rows = PolicyEventEntity.<PolicyEventEntity>find("policyId = ?1 and id > ?2 and id <= ?3",
                Sort.ascending("id"), policyId, after, last).page(Page.ofSize(limit)).list();
        rows.forEach(em::detach);
        return rows;
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
