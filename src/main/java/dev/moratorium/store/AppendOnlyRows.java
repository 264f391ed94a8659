package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.PreparedStatement;
import java.sql.Types;
import java.util.List;
import org.hibernate.Session;

/**
 * Rows that are only ever inserted in the transaction that writes them — the history, the
 * notifications and the outbox — written as plain JDBC batches on the transaction's connection.
 * Through Hibernate each of them was a managed entity: an entry in the persistence context, a
 * snapshot for dirty checking at the flush, an action in the insert queue — bookkeeping for rows
 * nobody reads back in that transaction (about 1,500 of them per polled batch of 500 events). The
 * statements are the same multi-row INSERTs ({@code reWriteBatchedInserts=true}); they run at once
 * instead of at the flush, which nothing depends on (no foreign key links these tables to others,
 * and the queries of the same transaction that read them, see the already-applied check, see them).
 * The entity classes stay, for reads.
 */
@ApplicationScoped
public class AppendOnlyRows {

    /** JDBC batch size: as {@code quarkus.hibernate-orm.jdbc.statement-batch-size}. */
    private static final int BATCH = 100;

    @Inject
    EntityManager em;

    /**
     * The history rows. Their ids are taken from {@code policy_event_seq} here, inside the writers'
     * lock, so that a policy's history in id order is the order its events were applied in, across
     * replicas (see PolicyEventEntity).
     */
    public void insertHistory(List<PolicyEventEntity> rows) {
        if (rows.isEmpty()) {
            return;
        }
        em.unwrap(Session.class).doWork(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO policy_event (id, event_id, policy_id, type,"
                    + " source, event_time, data, received_at, kafka_partition, kafka_offset)"
                    + " VALUES (nextval('policy_event_seq'), ?, ?, ?, ?, ?, ?::json, ?, ?, ?)")) {
                int n = 0;
                for (PolicyEventEntity r : rows) {
                    ps.setString(1, r.eventId);
                    ps.setString(2, r.policyId);
                    ps.setString(3, r.type);
                    ps.setString(4, r.source);
                    SqlValues.setInstant(ps, 5, r.eventTime);
                    ps.setString(6, r.data);
                    SqlValues.setInstant(ps, 7, r.receivedAt);
                    if (r.kafkaPartition == null) {
                        ps.setNull(8, Types.INTEGER);
                    } else {
                        ps.setInt(8, r.kafkaPartition);
                    }
                    if (r.kafkaOffset == null) {
                        ps.setNull(9, Types.BIGINT);
                    } else {
                        ps.setLong(9, r.kafkaOffset);
                    }
                    ps.addBatch();
                    if (++n % BATCH == 0) {
                        ps.executeBatch();
                    }
                }
                if (n % BATCH != 0) {
                    ps.executeBatch();
                }
            }
        });
    }

    /** Notifications whose {@code seq} is already set (see SequenceBlock). */
    public void insertNotifications(List<NotificationEntity> rows) {
        if (rows.isEmpty()) {
            return;
        }
        em.unwrap(Session.class).doWork(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO notification (seq, notification_id, type,"
                    + " policy_id, occurred_at, created_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?::json)")) {
                int n = 0;
                for (NotificationEntity r : rows) {
                    ps.setLong(1, r.seq);
                    ps.setString(2, r.notificationId);
                    ps.setString(3, r.type);
                    ps.setString(4, r.policyId);
                    SqlValues.setInstant(ps, 5, r.occurredAt);
                    SqlValues.setInstant(ps, 6, r.createdAt);
                    ps.setString(7, r.payload);
                    ps.addBatch();
                    if (++n % BATCH == 0) {
                        ps.executeBatch();
                    }
                }
                if (n % BATCH != 0) {
                    ps.executeBatch();
                }
            }
        });
    }

    /** Outbox rows whose {@code id} is already set (see SequenceBlock). */
    public void insertOutbox(List<OutboxEntity> rows) {
        if (rows.isEmpty()) {
            return;
        }
        em.unwrap(Session.class).doWork(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO outbox (id, topic, record_key, payload,"
                    + " headers, created_at) VALUES (?, ?, ?, ?, ?::json, ?)")) {
                int n = 0;
                for (OutboxEntity r : rows) {
                    ps.setLong(1, r.id);
                    ps.setString(2, r.topic);
                    ps.setBytes(3, r.recordKey);
                    ps.setBytes(4, r.payload);
                    ps.setString(5, r.headers);
                    SqlValues.setInstant(ps, 6, r.createdAt);
                    ps.addBatch();
                    if (++n % BATCH == 0) {
                        ps.executeBatch();
                    }
                }
                if (n % BATCH != 0) {
                    ps.executeBatch();
                }
            }
        });
    }
}
