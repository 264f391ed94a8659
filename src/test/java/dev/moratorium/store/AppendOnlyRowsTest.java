package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.testing.OutboxRows;
import dev.moratorium.wire.Topics;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.hibernate.Session;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write path's append-only rows, against PostgreSQL: every column as given (instants at both
 * ends of what the store keeps, absent Kafka coordinates, a tombstone, a null key, binary bytes),
 * and ids that follow each list's order — the order the rows were decided in, which cursors and
 * per-policy publication rely on — the notification and outbox ids taken as OutboxWriter takes
 * them. Another replica holds the publishing lease meanwhile, so the relay leaves the outbox rows
 * alone.
 */
@QuarkusTest
class AppendOnlyRowsTest {

    private static final Instant FIRST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LAST = Instant.parse("9999-12-31T23:59:59.999999Z");

    @Inject
    AppendOnlyRows rows;

    @Inject
    WriterLock writerLock;

    @Inject
    SequenceBlock sequences;

    @Inject
    OutboxRows outbox;

    @Inject
    EntityManager em;

    private final String policyId = "append-only-" + UUID.randomUUID();

    @BeforeEach
    void holdTheLeaseElsewhere() {
        outbox.setLease("another-replica", "1 hour");
    }

    @AfterEach
    void removeTheRowsAndReleaseTheLease() {
        QuarkusTransaction.requiringNew().run(() -> {
            em.createNativeQuery("DELETE FROM policy_event WHERE policy_id = :p").setParameter("p", policyId).executeUpdate();
            em.createNativeQuery("DELETE FROM notification WHERE policy_id = :p").setParameter("p", policyId).executeUpdate();
            em.createNativeQuery("DELETE FROM outbox WHERE convert_from(record_key, 'UTF8') = :p OR (record_key IS NULL"
                    + " AND headers::text LIKE :marker)").setParameter("p", policyId)
                    .setParameter("marker", "%" + policyId + "%").executeUpdate();
        });
        outbox.setLease("nobody", "-1 second");
    }

    @Test
    void everyColumnIsStoredAsGivenAndTheIdsFollowEachListsOrder() {
        List<PolicyEventEntity> history = List.of(
                history("e-3", FIRST, 2, 41L, "{\"note\":\"NUL \\u0000, İ, ｆｕｌｌ, zero\u200bwidth\"}"),
                history("e-1", LAST, null, null, "{}"),
                history("e-2", Instant.parse("2020-06-10T00:00:00.123456Z"), 0, 0L, "[]"));
        List<NotificationEntity> notifications = List.of(notification("n-b", LAST), notification("n-a", FIRST));
        byte[] binary = {0, 1, (byte) 0xff, '"', '\\', '{', ','};
        List<OutboxEntity> records = List.of(
                record(policyId.getBytes(StandardCharsets.UTF_8), binary),
                record(policyId.getBytes(StandardCharsets.UTF_8), null),
                record(null, new byte[0]));

        QuarkusTransaction.requiringNew().run(() -> {
            writerLock.acquire();
            rows.insertHistory(history);
            long[] seqs = sequences.next("notification_seq", notifications.size());
            for (int i = 0; i < seqs.length; i++) {
                notifications.get(i).seq = seqs[i];
            }
            rows.insertNotifications(notifications);
            long[] ids = sequences.next("outbox_seq", records.size());
            for (int i = 0; i < ids.length; i++) {
                records.get(i).id = ids[i];
            }
            rows.insertOutbox(records);
        });

        assertThat(select("SELECT split_part(event_id, '/', 2) || ' ' || to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
                + " || ' ' || coalesce(kafka_partition::text, '-') || ' ' || coalesce(kafka_offset::text, '-')"
                + " || ' ' || data::text FROM policy_event WHERE policy_id = ? ORDER BY id")).containsExactly(
                        "e-3 0001-01-01 00:00:00.000000 2 41 {\"note\":\"NUL \\u0000, İ, ｆｕｌｌ, zero\u200bwidth\"}",
                        "e-1 9999-12-31 23:59:59.999999 - - {}",
                        "e-2 2020-06-10 00:00:00.123456 0 0 []");
        assertThat(select("SELECT left(notification_id, 3) || ' ' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
                + " FROM notification WHERE policy_id = ? ORDER BY seq")).containsExactly(
                        "n-b 9999-12-31 23:59:59.999999", "n-a 0001-01-01 00:00:00.000000");
        assertThat(select("SELECT coalesce(encode(record_key, 'hex'), 'no key') || ' ' || coalesce(encode(payload, 'hex'),"
                + " 'tombstone') || ' ' || (headers->>0) FROM outbox WHERE headers::text LIKE '%' || ? || '%' ORDER BY id"))
                .containsExactly(
                        hex(policyId) + " 0001ff225c7b2c " + policyId,
                        hex(policyId) + " tombstone " + policyId,
                        "no key  " + policyId);
    }

    /**
     * The rows travel in COPY's text format (CopyRows): every character that format gives a meaning
     * to — tab, newline, carriage return, backslash, and the {@code \N} and {@code \.} it reads as NULL
     * and end of data — arrives as itself, in text, in JSON and in bytes, and a payload larger than
     * one chunk arrives whole.
     */
    @Test
    void charactersCopysTextFormatGivesAMeaningToArriveAsThemselves() throws Exception {
        String awkward = "tab\there, line\nbreak, return\r, back\\slash, \\N, \\., İ ｆｕｌｌ zero\u200bwidth";
        String json = "{\n\t\"text\": \"tab\\t back\\\\slash \\\\N\",\r\n \"n\": null}";
        PolicyEventEntity row = history("awkward", FIRST, 1, 2L, json);
        row.source = awkward;
        byte[] bytes = new byte[CopyRows.CHUNK * 2 + 17];
        new java.util.Random(7).nextBytes(bytes);
        byte[] special = {'\\', '\t', '\n', '\r', 0, 'N', '.'};
        System.arraycopy(special, 0, bytes, 0, special.length);

        QuarkusTransaction.requiringNew().run(() -> {
            writerLock.acquire();
            rows.insertHistory(List.of(row, history("null-source", LAST, null, null, "{}")));
            OutboxEntity big = record(policyId.getBytes(StandardCharsets.UTF_8), bytes);
            big.id = sequences.next("outbox_seq", 1)[0];
            rows.insertOutbox(List.of(big));
        });

        assertThat(select("SELECT coalesce(source, 'NULL') || '|' || data::text FROM policy_event WHERE policy_id = ?"
                + " ORDER BY id")).containsExactly(awkward + "|" + json, "test|{}");
        assertThat(select("SELECT md5(payload) || ' ' || length(payload) FROM outbox"
                + " WHERE convert_from(record_key, 'UTF8') = ?")).containsExactly(md5(bytes) + " " + bytes.length);
    }

    /**
     * An instant stored through COPY is the instant the driver stores for a bound parameter:
     * microseconds rounded the same way, the first and last instants kept, a leap day. Years past
     * 9999 and before 1 (written with more digits, and as {@code BC}) reach no column today —
     * event times are bounded to years 1–9999, the other instants are the service's clock — but
     * CopyRows writes them, so they are held to the same comparison, up to PostgreSQL's own last
     * instant and a day before year 1 (year 0 is 1 BC).
     */
    @Test
    void instantsAreStoredAsABoundParameterStoresThem() {
        List<Instant> instants = List.of(FIRST, LAST, Instant.parse("2020-06-10T00:00:00Z"),
                Instant.parse("2024-02-29T23:59:59.9999995Z"), Instant.parse("2021-06-10T12:00:00.0000005Z"),
                Instant.parse("2021-06-10T12:00:00.000000499Z"), Instant.parse("1969-12-31T23:59:59.999999Z"),
                Instant.parse("0001-01-01T00:00:00.000001Z"), Instant.parse("+10000-01-01T00:00:00Z"),
                Instant.parse("+294276-12-31T23:59:59.999999Z"), Instant.parse("0000-12-31T23:59:59.9999995Z"),
                Instant.parse("0000-12-31T12:00:00.5Z"), Instant.parse("-4712-01-01T00:00:00Z"),
                Instant.parse("-0099-02-28T01:02:03.000004Z"));
        List<PolicyEventEntity> history = new ArrayList<>();
        for (int i = 0; i < instants.size(); i++) {
            history.add(history("t-" + i, instants.get(i), null, null, "{}"));
        }
        QuarkusTransaction.requiringNew().run(() -> {
            writerLock.acquire();
            rows.insertHistory(history);
        });
        for (int i = 0; i < instants.size(); i++) {
            Instant t = instants.get(i);
            String eventId = policyId + "/t-" + i;
            Boolean same = QuarkusTransaction.requiringNew().call(() -> em.unwrap(Session.class).doReturningWork(c -> {
                try (PreparedStatement s = c.prepareStatement("SELECT event_time = ? FROM policy_event WHERE event_id = ?")) {
                    SqlValues.setInstant(s, 1, t);
                    s.setString(2, eventId);
                    try (ResultSet rs = s.executeQuery()) {
                        rs.next();
                        return rs.getBoolean(1);
                    }
                }
            }));
            assertThat(same).as("%s stored as a bound parameter stores it", t).isTrue();
        }
    }

    /**
     * A value the store refuses fails the COPY with the SQL state an INSERT gets — a data error,
     * which the ingestor rejects with its record — and the connection goes on: the next
     * transaction on the pool writes.
     */
    @Test
    void aValueTheStoreRefusesIsADataErrorAndTheNextWriteGoesOn() {
        PolicyEventEntity tooLong = history("x".repeat(600), FIRST, null, null, "{}");
        PolicyEventEntity nul = history("nul", FIRST, null, null, "{}");
        nul.source = "a\u0000b";
        for (PolicyEventEntity refused : List.of(tooLong, nul)) {
            RuntimeException failure = org.assertj.core.api.Assertions.catchRuntimeException(
                    () -> QuarkusTransaction.requiringNew().run(() -> {
                        writerLock.acquire();
                        rows.insertHistory(List.of(history("before", FIRST, null, null, "{}"), refused));
                    }));
            assertThat(failure).isNotNull();
            assertThat(dev.moratorium.write.StoreFault.of(failure)).as("%s", failure)
                    .isEqualTo(dev.moratorium.write.StoreFault.DATA);
            assertThat(dev.moratorium.write.StoreFault.sqlState(failure)).startsWith("22");
        }
        QuarkusTransaction.requiringNew().run(() -> {
            writerLock.acquire();
            rows.insertHistory(List.of(history("after", FIRST, null, null, "{}")));
        });
        assertThat(select("SELECT split_part(event_id, '/', 2) FROM policy_event WHERE policy_id = ?"))
                .containsExactly("after");
    }

    /**
     * A COPY that fails on our side in the middle — here a row writer that throws after more than
     * a chunk has gone to the server — is cancelled when CopyRows closes: the writer's own
     * exception reaches the caller, nothing of the COPY is stored, and the pool's connection
     * writes again in the next transaction.
     */
    @Test
    void aCopyThatFailsOnOurSideIsCancelledAndTheConnectionWritesAgain() {
        IllegalStateException ours = new IllegalStateException("a row writer failed");
        RuntimeException failure = org.assertj.core.api.Assertions.catchRuntimeException(
                () -> QuarkusTransaction.requiringNew().run(() -> {
                    writerLock.acquire();
                    em.unwrap(Session.class).doWork(c -> {
                        try (CopyRows copy = CopyRows.into(c, "policy_event (event_id, policy_id, type, event_time, data,"
                                + " received_at)")) {
                            for (int i = 0; i < 3; i++) {
                                copy.text(policyId + "/cancelled-" + i).text(policyId).text("moratorium.created")
                                        .instant(FIRST).text("{\"pad\":\"" + "p".repeat(CopyRows.CHUNK / 2) + "\"}")
                                        .instant(Instant.now()).endRow();
                            }
                            copy.text(policyId + "/half-a-row");
                            throw ours;
                        }
                    });
                }));
        assertThat(failure).isSameAs(ours);
        assertThat(failure.getSuppressed()).as("closing the COPY itself failed").isEmpty();
        QuarkusTransaction.requiringNew().run(() -> {
            writerLock.acquire();
            rows.insertHistory(List.of(history("after", FIRST, null, null, "{}")));
        });
        assertThat(select("SELECT split_part(event_id, '/', 2) FROM policy_event WHERE policy_id = ?"))
                .containsExactly("after");
    }

    private static String md5(byte[] bytes) throws Exception {
        StringBuilder b = new StringBuilder();
        for (byte x : java.security.MessageDigest.getInstance("MD5").digest(bytes)) {
            b.append(String.format("%02x", x));
        }
        return b.toString();
    }

    private PolicyEventEntity history(String eventId, Instant eventTime, Integer partition, Long offset, String data) {
        PolicyEventEntity row = new PolicyEventEntity();
        row.eventId = policyId + "/" + eventId;
        row.policyId = policyId;
        row.type = "moratorium.created";
        row.source = "test";
        row.eventTime = eventTime;
        row.data = data;
        row.receivedAt = Instant.now();
        row.kafkaPartition = partition;
        row.kafkaOffset = offset;
        return row;
    }

    private NotificationEntity notification(String id, Instant occurredAt) {
        NotificationEntity row = new NotificationEntity();
        row.notificationId = id + "-" + UUID.randomUUID().toString().substring(0, 8);
        row.type = "moratorium.imposed";
        row.policyId = policyId;
        row.occurredAt = occurredAt;
        row.createdAt = Instant.now();
        row.payload = "{}";
        return row;
    }

    private OutboxEntity record(byte[] key, byte[] payload) {
        OutboxEntity row = new OutboxEntity();
        row.topic = Topics.NOTIFICATIONS;
        row.recordKey = key;
        row.payload = payload;
        row.headers = "[\"" + policyId + "\"]";
        row.createdAt = Instant.now();
        return row;
    }

    private List<String> select(String sql) {
        return QuarkusTransaction.requiringNew().call(() -> em.unwrap(Session.class).doReturningWork(c -> {
            List<String> found = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setString(1, policyId);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        found.add(rs.getString(1));
                    }
                }
            }
            return found;
        }));
    }

    private static String hex(String text) {
        StringBuilder b = new StringBuilder();
        for (byte x : text.getBytes(StandardCharsets.UTF_8)) {
            b.append(String.format("%02x", x));
        }
        return b.toString();
    }
}
