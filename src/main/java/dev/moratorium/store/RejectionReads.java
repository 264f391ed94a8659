package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.Session;

/**
 * Kept rejections for listing. A record may be up to 64 KiB, and up to 2 MiB when it was rejected
 * as too large, in its key, its value or its headers; so a page of 500 reads none of them whole:
 * the database cuts the key's and value's previews and reports the sizes ({@code substring},
 * {@code octet_length}); the headers' preview was cut when the row was kept ({@link HeaderPreviews}):
 * cutting it here meant parsing the whole headers column of every row listed, 0.24 s of the
 * database's CPU for a record of 2 MiB of headers, 6 s for the dashboard's newest 25 every 3 s.
 */
@ApplicationScoped
public class RejectionReads {

    @Inject
    EntityManager em;

    /**
     * The ids of open rejections after {@code after}, oldest first, of one reason code ({@code null}:
     * any), at most {@code limit}: through the partial indexes of the open ones (V13, V18), so
     * resolved rows and those of other reasons are never read.
     */
    @Transactional
    public List<Long> openIds(String reasonCode, long after, int limit) {
        var query = em.createNativeQuery("SELECT id FROM rejection WHERE status = 'OPEN' AND id > :after"
                + (reasonCode == null ? "" : " AND reason_code = :reason") + " ORDER BY id LIMIT :limit", Long.class)
                .setParameter("after", after).setParameter("limit", limit);
        if (reasonCode != null) {
            query.setParameter("reason", reasonCode);
        }
        @SuppressWarnings("unchecked")
        List<Long> ids = query.getResultList();
        return ids;
    }

    /** Oldest first, after the id {@code after}; {@code status} and {@code reasonCode} null for every one. */
    public List<Listed> list(String status, String reasonCode, long after, int limit, int previewBytes) {
        return list(status, reasonCode, false, after, limit, previewBytes);
    }

    /** Newest first, below the id {@code before} ({@link Long#MAX_VALUE}: from the newest). */
    public List<Listed> newest(String status, String reasonCode, long before, int limit, int previewBytes) {
        return list(status, reasonCode, true, before, limit, previewBytes);
    }

    /**
     * The headers' preview and count: kept with the row since V14; a row kept before is cut here, by
     * {@link HeaderPreviews#previewOf}, which parses its whole headers column (CASE and coalesce
     * evaluate that only for such rows).
     */
    private static final String HEADERS = "CASE WHEN header_count IS NULL THEN "
            + HeaderPreviews.previewOf("headers") + " END, coalesce(header_count, json_array_length(headers))";

    private List<Listed> list(String status, String reasonCode, boolean newestFirst, long cursor, int limit,
            int previewBytes) {
        return em.unwrap(Session.class).doReturningWork(c -> list(c, status, reasonCode, newestFirst, cursor, limit,
                previewBytes));
    }

    /** The list's one statement, on a connection (public for bench/rejection-list, which runs it on its own). */
    public static List<Listed> list(Connection c, String status, boolean newestFirst, long cursor, int limit,
            int previewBytes) throws SQLException {
        return list(c, status, null, newestFirst, cursor, limit, previewBytes);
    }

    /**
     * With a reason code, through the indexes by reason: of the open ones (V18), of all (V22), so a
     * page of the few {@code unknown-policy} rejections never walks past a producer's flood of
     * {@code malformed-json} ones.
     */
    public static List<Listed> list(Connection c, String status, String reasonCode, boolean newestFirst, long cursor,
            int limit, int previewBytes) throws SQLException {
        String sql = "SELECT id, status, reason_code, reason_message, event_id, topic, kafka_partition, kafka_offset,"
                + " substring(record_key FROM 1 FOR ?), octet_length(record_key),"
                + " substring(record_value FROM 1 FOR ?), octet_length(record_value), " + HEADERS + ","
                + " received_at, retry_count, last_retried_at, resolution, header_preview::text"
                + " FROM rejection WHERE id " + (newestFirst ? "<" : ">") + " ?" + (status == null ? "" : " AND status = ?")
                + (reasonCode == null ? "" : " AND reason_code = ?")
                + " ORDER BY id" + (newestFirst ? " DESC" : "") + " LIMIT ?";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            int i = 1;
            s.setInt(i++, previewBytes);
            s.setInt(i++, previewBytes);
            s.setLong(i++, cursor);
            if (status != null) {
                s.setString(i++, status);
            }
            if (reasonCode != null) {
                s.setString(i++, reasonCode);
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
    }

    private static Listed listed(ResultSet rs) throws SQLException {
        long keySize = rs.getLong(10);
        long valueSize = rs.getLong(12);
        boolean hasValue = !rs.wasNull();
        return new Listed(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getInt(7), rs.getLong(8), rs.getBytes(9), keySize, rs.getBytes(11),
                hasValue ? valueSize : 0, headers(rs.getString(19), rs.getString(13), rs.getInt(14)), instant(rs, 15),
                rs.getInt(16), instant(rs, 17), rs.getString(18));
    }

    /** The preview kept with the row; for a row kept before V14, the one the database cut for this read. */
    private static HeaderPreviews.Headers headers(String stored, String cutNow, int count) {
        return stored != null ? HeaderPreviews.fromStored(stored, count) : HeaderPreviews.read(cutNow, count);
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /**
     * A rejection as listed.
     *
     * @param keyHead   the first bytes of the record's key (null when it had none)
     * @param keySize   the key's whole size in bytes
     * @param valueHead the first bytes of the record's value (null when it had none)
     * @param valueSize the value's whole size in bytes
     */
    public record Listed(long id, String status, String reasonCode, String reasonMessage, String eventId, String topic,
            int partition, long offset, byte[] keyHead, long keySize, byte[] valueHead, long valueSize,
            HeaderPreviews.Headers headers,
            Instant receivedAt, int retryCount, Instant lastRetriedAt, String resolution) {
    }
}
