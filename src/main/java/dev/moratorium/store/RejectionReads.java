package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.Session;

/**
 * Kept rejections for listing. A record may be up to 64 KiB (and more when it was rejected as
 * too large), so a page of 500 must not read whole values: the database cuts the preview and
 * reports the size ({@code substring}, {@code octet_length}).
 */
@ApplicationScoped
public class RejectionReads {

    @Inject
    EntityManager em;

    /** Oldest first, after the id {@code after}; {@code status} null for every status. */
    public List<Listed> list(String status, long after, int limit, int previewBytes) {
        String sql = "SELECT id, status, reason_code, reason_message, event_id, topic, kafka_partition, kafka_offset,"
                + " record_key, substring(record_value FROM 1 FOR ?), octet_length(record_value), headers::text,"
                + " received_at, retry_count, last_retried_at, resolution"
                + " FROM rejection WHERE id > ?" + (status == null ? "" : " AND status = ?") + " ORDER BY id LIMIT ?";
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                int i = 1;
                s.setInt(i++, previewBytes);
                s.setLong(i++, after);
                if (status != null) {
                    s.setString(i++, status);
                }
                s.setInt(i, limit);
                List<Listed> rows = new ArrayList<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        rows.add(listed(rs));
                    }
                }
                return rows;
            }
        });
    }

    private static Listed listed(ResultSet rs) throws SQLException {
        long valueSize = rs.getLong(11);
        boolean hasValue = !rs.wasNull();
        return new Listed(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getInt(7), rs.getLong(8), rs.getBytes(9), rs.getBytes(10),
                hasValue ? valueSize : 0, rs.getString(12), instant(rs, 13), rs.getInt(14), instant(rs, 15),
                rs.getString(16));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /**
     * A rejection as listed.
     *
     * @param valueHead the first bytes of the record's value (null when it had none)
     * @param valueSize the value's whole size in bytes
     */
    public record Listed(long id, String status, String reasonCode, String reasonMessage, String eventId, String topic,
            int partition, long offset, byte[] key, byte[] valueHead, long valueSize, String headers,
            Instant receivedAt, int retryCount, Instant lastRetriedAt, String resolution) {
    }
}
