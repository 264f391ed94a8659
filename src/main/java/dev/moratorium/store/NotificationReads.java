package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.Session;

/**
 * Committed notifications in sequence order, for the live feed. Plain JDBC on the caller's
 * transaction: the feed reads after every local commit (at most 50 times a second), and through
 * Panache each read built a query, its plan and a managed entity per row that nobody changes.
 */
@ApplicationScoped
public class NotificationReads {

    /**
     * A notification's payload size in bytes, as stored with it since V16; rows written before are
     * measured, which makes PostgreSQL detoast their payloads (about 2.4 ms of its CPU for one of 768 KiB).
     */
    public static final String PAYLOAD_BYTES = "coalesce(payload_bytes, octet_length(payload::text))";

    /**
     * The running sum stops the page where the bytes before a row reach the budget; the window
     * runs over the index scan the inner LIMIT ends, so no more than {@code limit} rows are read,
     * and only the payloads of the rows returned are detoasted (the sum reads the size column).
     */
    private static final String BYTES_CAPPED = "SELECT seq, type, payload, size FROM (SELECT seq, type, payload,"
            + " " + PAYLOAD_BYTES + " AS size, sum(" + PAYLOAD_BYTES + ") OVER (ORDER BY seq) - " + PAYLOAD_BYTES + " AS before"
            + " FROM notification WHERE seq > ? ORDER BY seq LIMIT ?) AS p WHERE before < ? ORDER BY seq";

    /** A stored notification: its sequence (the cursor), its type, its data as stored (a JSON object) and its size in bytes. */
    public record Row(long seq, String type, String payload, long bytes) {
    }

    @Inject
    EntityManager em;

    /**
     * The highest sequence stored, 0 when there is none: where the feed starts. Plain SQL (the
     * primary key's last entry), not HQL: it runs on the start's critical path, and the first HQL
     * statement of a process pays for warming Hibernate's query parser (about 75 ms of the start,
     * in an async-profiler wall-clock profile).
     */
    public long latestSeq() {
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT coalesce(max(seq), 0) FROM notification");
                    ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /**
     * The highest sequence this database has given a notification, committed or not (0 before the
     * first): no cursor it issued can lie past it. The sequence's own last value, not the highest row:
     * retention may have deleted every row, and a transaction still open has not added its own yet.
     */
    public long lastNumbered() {
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM notification_seq");
                    ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /**
     * The first notifications with a sequence above {@code cursor}, oldest first (by the primary
     * key): up to {@code limit} of them, and no more after their payloads reach {@code maxBytes}
     * (at least one). A notification carries its policy's exemptions in force, up to 768 KiB: 500
     * of them were 380 MB as the driver's text and the strings made of it.
     */
    public List<Row> after(long cursor, int limit, long maxBytes) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            List<Row> rows = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(BYTES_CAPPED)) {
                s.setLong(1, cursor);
                s.setInt(2, limit);
                s.setLong(3, maxBytes);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4)));
                    }
                }
            }
            return rows;
        });
    }
}
