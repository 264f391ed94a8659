package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.hibernate.Session;

/**
 * The outbox as the relay reads it: the next rows to publish in id order, and the published ones
 * deleted. Both run in the caller's transaction as plain JDBC on its connection, the counterpart of
 * {@link AppendOnlyRows#insertOutbox}: the rows are sent and deleted by id, never changed, so they
 * need no persistence context, and a round runs at least once per committed write — through
 * Panache and an HQL {@code in} list the two statements allocated 19 kB a round at 200 events/s
 * (BENCHMARKS.md, "eighth pass"). The rows come back as unmanaged {@link OutboxEntity} objects,
 * with what a Kafka record needs (not {@code createdAt}).
 */
@ApplicationScoped
public class PendingOutbox {

    @Inject
    EntityManager em;

    /**
     * The next rows after {@code afterId}, oldest first (by the primary key): up to {@code limit}
     * rows, and only as many as start within {@code maxBytes} of payload — the first row always, the
     * others while the payloads before them sum to less. A dead letter can be 2 MiB: 500 of them are
     * more than the pod's whole heap, and a round that read them all died on OutOfMemoryError at
     * every start. The sizes are summed in PostgreSQL ({@code octet_length} of a stored value reads
     * its length, not the value), so only the payloads a round publishes cross the network.
     */
    public List<OutboxEntity> after(long afterId, int limit, long maxBytes) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            List<OutboxEntity> rows = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT id, topic, record_key, payload, headers FROM"
                    + " (SELECT id, topic, record_key, payload, headers, coalesce(sum(coalesce(octet_length(payload), 0))"
                    + " OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS bytes_before"
                    + " FROM (SELECT id, topic, record_key, payload, headers FROM outbox WHERE id > ? ORDER BY id LIMIT ?) AS next)"
                    + " AS sized WHERE bytes_before < ? ORDER BY id")) {
                s.setLong(1, afterId);
                s.setInt(2, limit);
                s.setLong(3, Math.max(1, maxBytes));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        OutboxEntity row = new OutboxEntity();
                        row.id = rs.getLong(1);
                        row.topic = rs.getString(2);
                        row.recordKey = rs.getBytes(3);
                        row.payload = rs.getBytes(4);
                        row.headers = rs.getString(5);
                        rows.add(row);
                    }
                }
            }
            return rows;
        });
    }

    /** Deletes the rows with these ids (those still there); the number deleted. */
    public int delete(Collection<Long> ids) {
        if (ids.isEmpty()) {
            return 0;
        }
        return em.unwrap(Session.class).doReturningWork(c -> {
            Array array = c.createArrayOf("bigint", ids.toArray());
            try (PreparedStatement s = c.prepareStatement("DELETE FROM outbox WHERE id = any(?)")) {
                s.setArray(1, array);
                return s.executeUpdate();
            } finally {
                array.free();
            }
        });
    }

    /**
     * The unpublished rows, counted up to {@code cap} (at least that many when it returns
     * {@code cap}): a few index entries, however long the outbox is. Must run in a transaction.
     */
    public long countUpTo(int cap) {
        return ((Number) em.createNativeQuery("SELECT count(*) FROM (SELECT 1 FROM outbox LIMIT :cap) AS o")
                .setParameter("cap", cap).getSingleResult()).longValue();
    }
}
