package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Outbox rows set aside because the broker refused them for good ({@code outbox_parked}). Moving a
 * row is plain SQL, so a parked payload (megabytes, maybe) never passes through the JVM, and a list
 * carries only a preview of each, its headers' cut once when the row is parked.
 */
@ApplicationScoped
public class ParkedOutbox {

    /** A parked row as listed: its payload's size and first bytes, not the payload. */
    public record Parked(long id, String topic, byte[] keyHead, long keySize, HeaderPreviews.Headers headers,
            Instant createdAt, String reason, Instant parkedAt, long payloadSize, byte[] payloadHead) {
    }

    @Inject
    EntityManager em;

    @Inject
    SequenceBlock sequences;

    @Inject
    WriterLock writerLock;

    /** In the caller's transaction: moves one outbox row here with its reason; false if it was gone. */
    public boolean park(long outboxId, String reason) {
        // the headers' preview is cut here, once, not by every list (V15)
        int moved = em.createNativeQuery("INSERT INTO outbox_parked"
                + " (id, topic, record_key, payload, headers, created_at, reason, parked_at, header_preview, header_count)"
                + " SELECT id, topic, record_key, payload, headers, created_at, :reason, clock_timestamp(), "
                + HeaderPreviews.previewOf("headers") + "::json, json_array_length(headers) FROM outbox WHERE id = :id")
                .setParameter("reason", reason).setParameter("id", outboxId).executeUpdate();
        em.createNativeQuery("DELETE FROM outbox WHERE id = :id").setParameter("id", outboxId).executeUpdate();
        return moved == 1;
    }

    /**
     * The headers' preview and count, as cut when the row was parked; a row parked before V15 is cut
     * here (coalesce evaluates that only for such rows).
     */
    private static final String HEADERS = "coalesce(header_preview::text, CASE WHEN header_count IS NULL THEN "
            + HeaderPreviews.previewOf("headers") + " END), coalesce(header_count, json_array_length(headers))";

    /** Oldest first, after {@code after}. */
    public List<Parked> list(long after, int limit, int previewBytes) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("SELECT id, topic, substring(record_key FROM 1 FOR :preview),"
                + " coalesce(octet_length(record_key), 0), " + HEADERS + ", created_at,"
                + " reason, parked_at, coalesce(octet_length(payload), 0), substring(payload FROM 1 FOR :preview)"
                + " FROM outbox_parked WHERE id > :after ORDER BY id LIMIT :limit")
                .setParameter("preview", previewBytes).setParameter("after", after).setParameter("limit", limit)
                .getResultList();
        List<Parked> parked = new ArrayList<>(rows.size());
        for (Object[] r : rows) {
            parked.add(new Parked(((Number) r[0]).longValue(), (String) r[1], (byte[]) r[2], ((Number) r[3]).longValue(),
                    HeaderPreviews.read((String) r[4], ((Number) r[5]).intValue()), SqlValues.instant(r[6]), (String) r[7],
                    SqlValues.instant(r[8]), ((Number) r[9]).longValue(), (byte[]) r[10]));
        }
        return parked;
    }

    /** The highest parked id; 0 when none is parked. */
    public long maxId() {
        return ((Number) em.createNativeQuery("SELECT coalesce(max(id), 0) FROM outbox_parked").getSingleResult())
                .longValue();
    }

    /** The ids after {@code after} and up to {@code upTo}, in order, of one topic when {@code topic} is given. */
    public List<Long> ids(long after, long upTo, Optional<String> topic, int limit) {
        jakarta.persistence.Query query = em.createNativeQuery("SELECT id FROM outbox_parked WHERE id > :after"
                + " AND id <= :upTo" + (topic.isPresent() ? " AND topic = :topic" : "") + " ORDER BY id LIMIT :limit")
                .setParameter("after", after).setParameter("upTo", upTo).setParameter("limit", limit);
        topic.ifPresent(t -> query.setParameter("topic", t));
        @SuppressWarnings("unchecked")
        List<Number> ids = query.getResultList();
        return ids.stream().map(Number::longValue).toList();
    }

    /**
     * The parked rows, counted up to {@code cap} (a gauge read every few seconds by every replica
     * must not read a whole table: a broker that refuses a topic for good parks every row for it);
     * {@code cap} means at least that many.
     */
    public long countUpTo(int cap) {
        return ((Number) em.createNativeQuery("SELECT count(*) FROM (SELECT 1 FROM outbox_parked LIMIT :cap) AS p")
                .setParameter("cap", cap).getSingleResult()).longValue();
    }

    /** Where a parked row was going; its key only when it is short enough to name a policy. */
    public record Destination(String topic, Optional<String> policyKey) {
    }

    /**
     * In the caller's transaction: the parked row's topic and, if at most 128 bytes, its key (a
     * dead letter's key can be megabytes, and only a state row's key, a policy id, is asked for);
     * the row is locked until the transaction ends, so two redrives of it do not both publish.
     */
    public Optional<Destination> destination(long id) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("SELECT topic, CASE WHEN octet_length(record_key) <= 128"
                + " THEN record_key END FROM outbox_parked WHERE id = :id FOR UPDATE")
                .setParameter("id", id).getResultList();
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        byte[] key = (byte[]) rows.get(0)[1];
        return Optional.of(new Destination((String) rows.get(0)[0],
                Optional.ofNullable(key).map(k -> new String(k, StandardCharsets.UTF_8))));
    }

    /**
     * Removes a parked row for good (an operator decided it must not be published).
     *
     * @return the topic it was going to, or empty if no row is parked under {@code id}
     */
    @Transactional
    public Optional<String> drop(long id) {
        @SuppressWarnings("unchecked")
        List<String> topics = em.createNativeQuery("DELETE FROM outbox_parked WHERE id = :id RETURNING topic")
                .setParameter("id", id).getResultList();
        return topics.stream().findFirst();
    }

    /** In the caller's transaction: removes a parked row, whose place something else took. */
    public void remove(long id) {
        em.createNativeQuery("DELETE FROM outbox_parked WHERE id = :id").setParameter("id", id).executeUpdate();
    }

    /**
     * Puts a parked row back into the outbox under a new id — taken
     * under the writers' lock, so it follows every row committed before — and removes it from here.
     *
     * @return the new outbox id, or empty if no row is parked under {@code id}
     */
    @Transactional
    public Optional<Long> redrive(long id) {
        writerLock.acquire();
        long newId = sequences.next("outbox_seq", 1)[0];
        // created_at is when it was queued (again): it measures the publication delay the health check watches
        int moved = em.createNativeQuery("INSERT INTO outbox (id, topic, record_key, payload, headers, created_at)"
                + " SELECT :newId, topic, record_key, payload, headers, clock_timestamp() FROM outbox_parked"
                + " WHERE id = :id")
                .setParameter("newId", newId).setParameter("id", id).executeUpdate();
        if (moved == 0) {
            return Optional.empty();
        }
        remove(id);
        return Optional.of(newId);
    }
}
