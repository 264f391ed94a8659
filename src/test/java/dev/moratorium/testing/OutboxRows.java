package dev.moratorium.testing;

import dev.moratorium.store.OutboxEntity;
import dev.moratorium.store.SequenceBlock;
import dev.moratorium.store.WriterLock;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.Topics;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Outbox rows written as a writer writes them (ids taken under the writers' lock, one transaction),
 * and the publishing lease set by hand, for the tests of the relay and of what reads the outbox.
 */
@ApplicationScoped
public class OutboxRows {

    @Inject
    WriterLock writerLock;

    @Inject
    SequenceBlock sequences;

    @Inject
    EntityManager em;

    /** Notification rows with this key, one per payload, created now; their ids in order. */
    public List<Long> enqueue(String key, String ceType, List<byte[]> payloads) {
        return enqueue(key, ceType, Instant.now(), payloads);
    }

    /** As {@link #enqueue(String, String, List)}, created at {@code createdAt}. */
    public List<Long> enqueue(String key, String ceType, Instant createdAt, List<byte[]> payloads) {
        return enqueue(key, List.of(new RawHeader("ce_type", ceType.getBytes(StandardCharsets.UTF_8))), createdAt,
                payloads);
    }

    /** Rows with these headers, one per payload, created at {@code createdAt}; their ids in order. */
    public List<Long> enqueue(String key, List<RawHeader> headers, Instant createdAt, List<byte[]> payloads) {
        return QuarkusTransaction.requiringNew().call(() -> {
            writerLock.acquire();
            long[] next = sequences.next("outbox_seq", payloads.size());
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < payloads.size(); i++) {
                ids.add(persist(next[i], key, headers, createdAt, payloads.get(i)));
            }
            return ids;
        });
    }

    /** One row with an id of the test's choosing (a gap, a far id); the test deletes it. */
    public long insertWithId(long id, String key, String ceType, Instant createdAt) {
        return QuarkusTransaction.requiringNew().call(() -> {
            writerLock.acquire();
            return persist(id, key, List.of(new RawHeader("ce_type", ceType.getBytes(StandardCharsets.UTF_8))), createdAt,
                    "{}".getBytes(StandardCharsets.UTF_8));
        });
    }

    public void delete(List<Long> ids) {
        if (!ids.isEmpty()) {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("DELETE FROM outbox WHERE id IN :ids")
                    .setParameter("ids", ids).executeUpdate());
        }
    }

    public long count() {
        return QuarkusTransaction.requiringNew().call(() -> OutboxEntity.count());
    }

    /** The publishing lease, as another replica (or an operator) would leave it: {@code fromNow} is an interval. */
    public void setLease(String holder, String fromNow) {
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("UPDATE outbox_lease SET holder = :holder,"
                + " held_until = clock_timestamp() + CAST(:interval AS interval) WHERE id = 1")
                .setParameter("holder", holder).setParameter("interval", fromNow).executeUpdate());
    }

    private static long persist(long id, String key, List<RawHeader> headers, Instant createdAt, byte[] payload) {
        OutboxEntity row = new OutboxEntity();
        row.id = id;
        row.topic = Topics.NOTIFICATIONS;
        row.recordKey = key.getBytes(StandardCharsets.UTF_8);
        row.payload = payload;
        row.headers = HeaderCodec.encode(headers);
        row.createdAt = createdAt;
        row.persist();
        return row.id;
    }
}
