package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.SQLException;
import java.util.List;
import org.hibernate.Session;

/**
 * Rows that are only ever inserted in the transaction that writes them — the history, the
 * notifications and the outbox — sent with {@code COPY} on the transaction's connection
 * ({@link CopyRows}). Through Hibernate each of them was a managed entity: an entry in the
 * persistence context, a snapshot for dirty checking at the flush, an action in the insert queue —
 * bookkeeping for rows nobody reads back in that transaction (about 1,500 of them per polled batch
 * of 500 events). They are written at once instead of at the flush, which nothing depends on (no
 * foreign key links these tables to others, and the queries of the same transaction that read
 * them, see the already-applied check, see them). The entity classes stay, for reads.
 */
@ApplicationScoped
public class AppendOnlyRows {

    @Inject
    EntityManager em;

    /**
     * The history rows. Their ids come from {@code policy_event_seq} (the column's default, V11),
     * drawn row by row in list order here, inside the writers' lock, so that a policy's history in
     * id order is the order its events were applied in, across replicas (see PolicyEventEntity).
     */
    public void insertHistory(List<PolicyEventEntity> rows) {
        copy(rows, "policy_event (event_id, policy_id, type, source, event_time, data, received_at, kafka_partition,"
                + " kafka_offset, data_bytes)", (copy, r) -> copy.text(r.eventId).text(r.policyId).text(r.type)
                        .text(r.source).instant(r.eventTime).text(r.data).instant(r.receivedAt).number(r.kafkaPartition)
                        .number(r.kafkaOffset).number(r.dataBytes));
    }

    /** Notifications whose {@code seq} is already set (see SequenceBlock). */
    public void insertNotifications(List<NotificationEntity> rows) {
        copy(rows, "notification (seq, notification_id, type, policy_id, occurred_at, created_at, payload,"
                + " payload_bytes)", (copy, r) -> copy.number(r.seq).text(r.notificationId).text(r.type).text(r.policyId)
                        .instant(r.occurredAt).instant(r.createdAt).text(r.payload).number(r.payloadBytes));
    }

    /** Outbox rows whose {@code id} is already set (see SequenceBlock). */
    public void insertOutbox(List<OutboxEntity> rows) {
        copy(rows, "outbox (id, topic, record_key, payload, headers, created_at)",
                (copy, r) -> copy.number(r.id).text(r.topic).bytes(r.recordKey).bytes(r.payload).text(r.headers)
                        .instant(r.createdAt));
    }

    /** How one entity becomes one row's columns, in the order the COPY names them. */
    @FunctionalInterface
    private interface RowWriter<T> {
        void write(CopyRows copy, T row) throws SQLException;
    }

    private <T> void copy(List<T> rows, String tableAndColumns, RowWriter<T> writer) {
        if (rows.isEmpty()) {
            return;
        }
        em.unwrap(Session.class).doWork(c -> {
            try (CopyRows copy = CopyRows.into(c, tableAndColumns)) {
                for (T row : rows) {
                    writer.write(copy, row);
                    copy.endRow();
                }
                copy.finish();
            }
        });
    }
}
