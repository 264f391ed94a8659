package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.hibernate.Session;

/**
 * What an ingest transaction asks before it decides a polled batch: which of its event ids are
 * already applied, and which of its records are already kept as rejections. Both run in every
 * ingest transaction, also for a batch of one record, so they are plain JDBC on the transaction's
 * connection with one fixed statement text each: as HQL with an {@code in} list, every batch size
 * was a new SQL text, planned and translated again (the already-applied check alone allocated
 * 12 kB per transaction at 200 events/s; BENCHMARKS.md, "eighth pass"). Neither table has rows of
 * this transaction waiting in Hibernate when they run: both are asked first.
 */
@ApplicationScoped
public class RedeliveryChecks {

    @Inject
    EntityManager em;

    /** The ids among {@code eventIds} that the history already holds (by its unique index). */
    public Set<String> appliedEventIds(Collection<String> eventIds) {
        Set<String> applied = new HashSet<>();
        if (eventIds.isEmpty()) {
            return applied;
        }
        em.unwrap(Session.class).doWork(c -> {
            Array ids = c.createArrayOf("text", eventIds.toArray());
            try (PreparedStatement s = c.prepareStatement("SELECT event_id FROM policy_event WHERE event_id = any(?)")) {
                s.setArray(1, ids);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        applied.add(rs.getString(1));
                    }
                }
            } finally {
                ids.free();
            }
        });
        return applied;
    }

    /** The offsets of one partition kept as rejections of the topic's present incarnation, and its number. */
    public record KeptRejections(int generation, Set<Long> offsets) {
    }

    /**
     * The offsets from {@code min} to {@code max} of one topic's partition that are kept as
     * rejections of the topic's present incarnation ({@code read_position_topic.generation}, raised
     * when the topic is made anew: its offsets start again at 0, and the old topic's rejections are
     * not its records read again), with that incarnation's number, which a rejection kept now takes:
     * one range of the rejection table's unique index, whatever the table holds.
     */
    public KeptRejections keptOffsets(String topic, int partition, long min, long max) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            Set<Long> kept = new HashSet<>();
            int generation = 0;
            try (PreparedStatement s = c.prepareStatement("SELECT g.generation, r.kafka_offset FROM (SELECT"
                    + " coalesce(max(generation), 0) AS generation FROM read_position_topic WHERE topic = ?) g"
                    + " LEFT JOIN rejection r ON r.topic = ? AND r.topic_generation = g.generation"
                    + " AND r.kafka_partition = ? AND r.kafka_offset BETWEEN ? AND ?")) {
                s.setString(1, topic);
                s.setString(2, topic);
                s.setInt(3, partition);
                s.setLong(4, min);
                s.setLong(5, max);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        generation = rs.getInt(1);
                        long offset = rs.getLong(2);
                        if (!rs.wasNull()) {
                            kept.add(offset);
                        }
                    }
                }
            }
            return new KeptRejections(generation, kept);
        });
    }
}
