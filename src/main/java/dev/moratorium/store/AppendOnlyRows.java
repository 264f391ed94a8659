package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.hibernate.Session;

/**
 * Rows that are only ever inserted in the transaction that writes them — the history, the
 * notifications and the outbox — written in one statement at the end of the unit of work, on the
 * transaction's connection: three data-modifying CTEs, each inserting from arrays ({@code unnest}),
 * one array parameter per column. Through Hibernate each row was a managed entity: an entry in the
 * persistence context, a snapshot for dirty checking at the flush, an action in the insert queue —
 * bookkeeping for rows nobody reads back in that transaction. As JDBC batches they were still five
 * round trips (history, the two sequences' blocks, notifications, outbox), and a round trip is two
 * hand-overs between processes, each of which waits for a core on a busy machine (BENCHMARKS.md,
 * "Performance II, thirteenth pass"). One statement text whatever the row counts, so it is prepared
 * once per connection.
 *
 * <p>The ids are taken in the statement, inside the writers' lock, in list order ({@code ORDER BY}
 * the array position; PostgreSQL evaluates a volatile target such as {@code nextval} after the
 * sort), so that id order is commit order and, within a transaction, the order the rows were
 * written: a policy's history in id order is the order its events were applied in (see
 * PolicyEventEntity), and notifications and outbox records leave in the order they were decided.
 * Instants travel as RFC 3339 text ({@code Instant.toString()}, always with {@code Z}); the store
 * keeps years 0001–9999 (EventTimes), which that text and {@code timestamptz} both hold. The entity
 * classes stay, for reads.
 */
@ApplicationScoped
public class AppendOnlyRows {

    private static final String INSERT = "WITH history AS ("
            + "INSERT INTO policy_event (id, event_id, policy_id, type, source, event_time, data, received_at,"
            + " kafka_partition, kafka_offset)"
            + " SELECT nextval('policy_event_seq'), h.event_id, h.policy_id, h.type, h.source,"
            + " h.event_time::timestamptz, h.data::json, h.received_at::timestamptz, h.kafka_partition, h.kafka_offset"
            + " FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[],"
            + " ?::bigint[]) WITH ORDINALITY AS h(event_id, policy_id, type, source, event_time, data, received_at,"
            + " kafka_partition, kafka_offset, position) ORDER BY h.position),"
            + " notifications AS ("
            + "INSERT INTO notification (seq, notification_id, type, policy_id, occurred_at, created_at, payload)"
            + " SELECT nextval('notification_seq'), n.notification_id, n.type, n.policy_id,"
            + " n.occurred_at::timestamptz, n.created_at::timestamptz, n.payload::json"
            + " FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY"
            + " AS n(notification_id, type, policy_id, occurred_at, created_at, payload, position) ORDER BY n.position)"
            + " INSERT INTO outbox (id, topic, record_key, payload, headers, created_at)"
            + " SELECT nextval('outbox_seq'), o.topic, o.record_key, o.payload, o.headers::json, o.created_at::timestamptz"
            + " FROM unnest(?::text[], ?::bytea[], ?::bytea[], ?::text[], ?::text[]) WITH ORDINALITY"
            + " AS o(topic, record_key, payload, headers, created_at, position) ORDER BY o.position";

    @Inject
    EntityManager em;

    /** Inserts these rows, each list in its order; their ids are the sequences' next values. */
    public void insert(List<PolicyEventEntity> history, List<NotificationEntity> notifications,
            List<OutboxEntity> outbox) {
        if (history.isEmpty() && notifications.isEmpty() && outbox.isEmpty()) {
            return;
        }
        em.unwrap(Session.class).doWork(c -> {
            Columns columns = new Columns(c);
            try (PreparedStatement ps = c.prepareStatement(INSERT)) {
                columns.text(history, r -> r.eventId);
                columns.text(history, r -> r.policyId);
                columns.text(history, r -> r.type);
                columns.text(history, r -> r.source);
                columns.text(history, r -> text(r.eventTime));
                columns.text(history, r -> r.data);
                columns.text(history, r -> text(r.receivedAt));
                columns.add("int4", history.stream().map(r -> r.kafkaPartition).toArray(Integer[]::new));
                columns.add("int8", history.stream().map(r -> r.kafkaOffset).toArray(Long[]::new));
                columns.text(notifications, r -> r.notificationId);
                columns.text(notifications, r -> r.type);
                columns.text(notifications, r -> r.policyId);
                columns.text(notifications, r -> text(r.occurredAt));
                columns.text(notifications, r -> text(r.createdAt));
                columns.text(notifications, r -> r.payload);
                columns.text(outbox, r -> r.topic);
                columns.add("bytea", outbox.stream().map(r -> r.recordKey).toArray(byte[][]::new));
                columns.add("bytea", outbox.stream().map(r -> r.payload).toArray(byte[][]::new));
                columns.text(outbox, r -> r.headers);
                columns.text(outbox, r -> text(r.createdAt));
                columns.bind(ps);
                ps.executeUpdate();
            } finally {
                columns.free();
            }
        });
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    /** The statement's array parameters, in order. */
    private static final class Columns {

        private final Connection connection;
        private final List<Array> arrays = new ArrayList<>();

        Columns(Connection connection) {
            this.connection = connection;
        }

        <T> void text(List<T> rows, Function<T, String> column) throws SQLException {
            add("text", rows.stream().map(column).toArray(String[]::new));
        }

        void add(String type, Object[] values) throws SQLException {
            arrays.add(connection.createArrayOf(type, values));
        }

        void bind(PreparedStatement ps) throws SQLException {
            for (int i = 0; i < arrays.size(); i++) {
                ps.setArray(i + 1, arrays.get(i));
            }
        }

        void free() throws SQLException {
            for (Array a : arrays) {
                a.free();
            }
        }
    }
}
