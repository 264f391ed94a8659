package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.hibernate.Session;

/**
 * The offset of each partition's next record, kept in the database by the transactions that decide
 * the records before it (V25). Kafka's committed offset is written after the database commits and
 * lives apart from it: after a crash it is behind (the records in between are read again and found
 * applied), and after the database is restored from a backup it is ahead, and the records between the
 * backup and it would never be read again. Plain JDBC on the transaction's connection, one fixed
 * statement each, as the other reads and writes of every ingest transaction ({@link RedeliveryChecks}).
 */
@ApplicationScoped
public class ReadPositionRows {

    @Inject
    EntityManager em;

    /**
     * Sets each partition's next offset, as this transaction leaves it. Set, not raised: transactions
     * decide a partition's records in their order, and a topic made anew starts again at 0.
     */
    public void record(String topic, Map<Integer, Long> nextOffsets) {
        write(topic, nextOffsets, "DO UPDATE SET next_offset = excluded.next_offset");
    }

    /**
     * Moves partitions' positions, in a transaction of its own, where no record decides them: past
     * records deleted before the service read them.
     */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public void moveTo(String topic, Map<Integer, Long> nextOffsets) {
        record(topic, nextOffsets);
    }

    /**
     * Sets the positions of partitions the database has none for yet, where they resume now (the
     * group's offset, or the partition's first; see {@link #heldDataBeforePositions}), so that a backup
     * taken from then on has one for every partition read: without it, a partition that got no record
     * since would resume at the group's offset after a restore. A position already kept stays.
     */
    public void adopt(String topic, Map<Integer, Long> nextOffsets) {
        write(topic, nextOffsets, "DO NOTHING");
    }

    private void write(String topic, Map<Integer, Long> nextOffsets, String onConflict) {
        if (nextOffsets.isEmpty()) {
            return;
        }
        // the two arrays from one pass over the entries, so that each offset stands beside its partition
        Object[] numbers = new Object[nextOffsets.size()];
        Object[] next = new Object[nextOffsets.size()];
        int i = 0;
        for (Map.Entry<Integer, Long> e : nextOffsets.entrySet()) {
            numbers[i] = e.getKey();
            next[i++] = e.getValue();
        }
        em.unwrap(Session.class).doWork(c -> {
            Array partitions = c.createArrayOf("int4", numbers);
            Array offsets = c.createArrayOf("int8", next);
            try (PreparedStatement s = c.prepareStatement("INSERT INTO read_position (topic, kafka_partition, next_offset)"
                    + " SELECT ?, p, o FROM unnest(?::int4[], ?::int8[]) AS t (p, o)"
                    + " ON CONFLICT (topic, kafka_partition) " + onConflict)) {
                s.setString(1, topic);
                s.setArray(2, partitions);
                s.setArray(3, offsets);
                s.executeUpdate();
            } finally {
                partitions.free();
                offsets.free();
            }
        });
    }

    /**
     * Where these partitions resume, and the id of the topic whose positions were dropped when the
     * topic is another than the one they were kept for (null when they were not).
     */
    public record Resumption(Map<Integer, Long> offsets, String droppedTopicId) {
    }

    /**
     * Where each of these partitions resumes, in one transaction of its own: its kept position; for a
     * partition without one, its first offset, as nothing of it was decided here, unless the database
     * held data before it kept positions (the first start after V25), which decided it up to the group's
     * committed offset. A position given so is kept at once ({@link #adopt}).
     *
     * <p>Positions are of one topic, named by its id (V26): kept for another topic of this name (deleted
     * and created again, or another cluster's copy), they are dropped, and each partition resumes where
     * the group committed on this topic, else at its first offset; the old positions would have skipped
     * the new topic's first records. A {@code topicId} of null (the broker not asked) leaves them as
     * they are.
     *
     * @param topicId   the topic's id as the broker gives it now, or null
     * @param committed the group's committed offsets (a partition it never committed is absent)
     * @param first     the partitions' first offsets
     */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public Resumption resumeAt(String topic, String topicId, Collection<Integer> partitions,
            Map<Integer, Long> committed, Map<Integer, Long> first) {
        String dropped = topicId == null ? null : takeFor(topic, topicId);
        Map<Integer, Long> resume = new HashMap<>(of(topic, partitions));
        boolean groupDecided = dropped != null || resume.size() < partitions.size() && heldDataBeforePositions();
        Map<Integer, Long> adopted = new HashMap<>();
        for (int partition : partitions) {
            Long from = groupDecided && committed.containsKey(partition) ? committed.get(partition) : first.get(partition);
            if (!resume.containsKey(partition) && from != null) {
                adopted.put(partition, from);
            }
        }
        adopt(topic, adopted);
        resume.putAll(adopted);
        return new Resumption(resume, dropped);
    }

    /**
     * Sets these partitions' positions where they resume by the group's committed offsets, in a
     * transaction of its own ({@code moratorium.ingest.resume-from=group}), as the topic
     * {@code topicId}'s when it is given.
     */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public void follow(String topic, String topicId, Map<Integer, Long> nextOffsets) {
        if (topicId != null) {
            takeFor(topic, topicId);
        }
        record(topic, nextOffsets);
    }

    /**
     * Makes the kept positions the topic {@code topicId}'s: those of another topic of the name are
     * deleted, and that topic's id returned; null when they were of this one. A new topic is the
     * name's next generation, whose rejections are told from the old topic's ({@link RedeliveryChecks}).
     * The first time a topic is named, the positions kept (V25's) are taken as its own. The row is
     * locked: replicas assigned partitions at once agree on which positions are dropped.
     */
    private String takeFor(String topic, String topicId) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO read_position_topic (topic, topic_id) VALUES (?, ?)"
                    + " ON CONFLICT (topic) DO NOTHING")) {
                s.setString(1, topic);
                s.setString(2, topicId);
                s.executeUpdate();
            }
            String kept;
            try (PreparedStatement s = c.prepareStatement("SELECT topic_id FROM read_position_topic WHERE topic = ?"
                    + " FOR UPDATE")) {
                s.setString(1, topic);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    kept = rs.getString(1);
                }
            }
            if (kept.equals(topicId)) {
                return null;
            }
            try (PreparedStatement drop = c.prepareStatement("DELETE FROM read_position WHERE topic = ?");
                    PreparedStatement name = c.prepareStatement("UPDATE read_position_topic SET topic_id = ?,"
                            + " generation = generation + 1 WHERE topic = ?")) {
                drop.setString(1, topic);
                drop.executeUpdate();
                name.setString(1, topicId);
                name.setString(2, topic);
                name.executeUpdate();
            }
            return kept;
        });
    }

    /**
     * Whether the database held records' effects before it kept positions (V25): then a partition
     * without one was decided before, up to the group's committed offset; otherwise nothing of it was.
     */
    boolean heldDataBeforePositions() {
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT held_data FROM read_position_origin");
                    ResultSet rs = s.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        });
    }

    /** The next offsets kept for these partitions of the topic; a partition never decided here has none. */
    public Map<Integer, Long> of(String topic, Collection<Integer> partitions) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            Map<Integer, Long> kept = new HashMap<>();
            Array wanted = c.createArrayOf("int4", partitions.toArray());
            try (PreparedStatement s = c.prepareStatement("SELECT kafka_partition, next_offset FROM read_position"
                    + " WHERE topic = ? AND kafka_partition = any(?)")) {
                s.setString(1, topic);
                s.setArray(2, wanted);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        kept.put(rs.getInt(1), rs.getLong(2));
                    }
                }
            } finally {
                wanted.free();
            }
            return kept;
        });
    }
}
