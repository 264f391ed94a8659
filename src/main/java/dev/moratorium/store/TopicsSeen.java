package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.hibernate.Session;

/**
 * What the service last saw of a topic it publishes to: {@code kafka_topic_seen} (V19, V23), one row a
 * topic. Every statement runs in the caller's transaction, as plain JDBC on its connection.
 */
@ApplicationScoped
public class TopicsSeen {

    /** The width of {@code states_at_risk_settings} (V23). */
    static final int SETTINGS_MAX = 300;

    /**
     * A topic's row: its id now, the one it replaced (if any), its partitions now and when the id was
     * first seen, and since when and with which settings it may delete last states (null if it does not).
     */
    public record Seen(String topicId, String previousTopicId, int partitions, int partitionsWhenMade,
            Instant statesAtRiskSince, String statesAtRiskSettings) {
    }

    @Inject
    EntityManager em;

    /**
     * The topic's row, locked until the caller's transaction ends, so that of two replicas that see
     * the same change only the first records it (and acts on it); the second then reads it as
     * recorded. The row lock is waited for at most {@code lockTimeoutMillis}: a replica frozen inside
     * this short transaction must not freeze the others' checks too.
     */
    public Optional<Seen> lock(String topic, long lockTimeoutMillis) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT set_config('lock_timeout', ?, true)")) {
                s.setString(1, lockTimeoutMillis + "ms");
                s.execute();
            }
            try (PreparedStatement s = c.prepareStatement("SELECT topic_id, previous_topic_id, partitions,"
                    + " partitions_when_made, states_at_risk_since, states_at_risk_settings FROM kafka_topic_seen"
                    + " WHERE topic = ? FOR UPDATE")) {
                s.setString(1, topic);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Seen>empty();
                    }
                    Timestamp atRisk = rs.getTimestamp(5);
                    return Optional.of(new Seen(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4),
                            atRisk == null ? null : atRisk.toInstant(), rs.getString(6)));
                }
            }
        });
    }

    /**
     * Records the topic as first seen with this id, or made anew with it (the old id kept as the
     * previous one); false if another replica recorded it first (nothing written then).
     */
    public boolean recordId(String topic, String topicId, String previousTopicId, int partitions) {
        return update("INSERT INTO kafka_topic_seen (topic, topic_id, previous_topic_id, partitions,"
                + " partitions_when_made, first_seen_at, changed_at) VALUES (?, ?, ?, ?, ?, now(), now())"
                + " ON CONFLICT (topic) DO UPDATE SET topic_id = excluded.topic_id,"
                + " previous_topic_id = excluded.previous_topic_id, partitions = excluded.partitions,"
                + " partitions_when_made = excluded.partitions_when_made, first_seen_at = now(), changed_at = now(),"
                // a topic made anew is refilled whole: what the old one may have lost no longer matters
                + " states_at_risk_since = NULL, states_at_risk_settings = NULL"
                + " WHERE kafka_topic_seen.topic_id IS DISTINCT FROM excluded.topic_id",
                topic, topicId, previousTopicId, partitions, partitions) == 1;
    }

    /** Records the topic's partitions now, the id unchanged; false if its id is no longer this one. */
    public boolean recordPartitions(String topic, String topicId, int partitions) {
        return update("UPDATE kafka_topic_seen SET partitions = ?, changed_at = now()"
                + " WHERE topic = ? AND topic_id = ? AND partitions <> ?", partitions, topic, topicId, partitions) == 1;
    }

    /**
     * Records that the topic, seen with these settings, may delete policies' last states; false if
     * that was already recorded (by this replica or another), and then nothing is written.
     */
    public boolean recordStatesAtRisk(String topic, String settings) {
        return update("UPDATE kafka_topic_seen SET states_at_risk_since = now(), states_at_risk_settings = ?,"
                + " changed_at = now() WHERE topic = ? AND states_at_risk_since IS NULL",
                settings.length() > SETTINGS_MAX ? settings.substring(0, SETTINGS_MAX) : settings, topic) == 1;
    }

    /** Clears the record that the topic may delete last states, now that it keeps them again; false if none was there. */
    public boolean clearStatesAtRisk(String topic) {
        return update("UPDATE kafka_topic_seen SET states_at_risk_since = NULL, states_at_risk_settings = NULL,"
                + " changed_at = now() WHERE topic = ? AND states_at_risk_since IS NOT NULL", topic) == 1;
    }

    private int update(String sql, Object... values) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < values.length; i++) {
                    s.setObject(i + 1, values[i]);
                }
                return s.executeUpdate();
            }
        });
    }
}
