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

    /** A stored notification: its sequence (the cursor), its type, and its data as stored (a JSON object). */
    public record Row(long seq, String type, String payload) {
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

    /** Up to {@code limit} notifications with a sequence above {@code cursor}, oldest first (by the primary key). */
    public List<Row> after(long cursor, int limit) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            List<Row> rows = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT seq, type, payload FROM notification WHERE seq > ? ORDER BY seq LIMIT ?")) {
                s.setLong(1, cursor);
                s.setInt(2, limit);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3)));
                    }
                }
            }
            return rows;
        });
    }
}
