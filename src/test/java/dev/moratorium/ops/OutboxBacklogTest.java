package dev.moratorium.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.store.OutboxEntity;
import dev.moratorium.store.SequenceBlock;
import dev.moratorium.store.WriterLock;
import dev.moratorium.testing.ShortTimeoutsProfile;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.Topics;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The outbox backlog the ops figures report, read from the ends of the outbox's key while the relay
 * cannot publish (another replica holds the lease): counted while the ids span little, the span
 * beyond {@link OpsMonitor#EXACT_BACKLOG_UP_TO}, the first row's age either way.
 */
@QuarkusTest
@TestProfile(ShortTimeoutsProfile.class)
class OutboxBacklogTest {

    @Inject
    OpsMonitor monitor;

    @Inject
    WriterLock writerLock;

    @Inject
    SequenceBlock sequences;

    @Inject
    EntityManager em;

    @Test
    void theBacklogIsCountedWhileSmallAndBoundedByTheIdsBeyond() throws Exception {
        List<Long> ids = new ArrayList<>();
        setLease("another-replica", "1 hour");
        try {
            awaitEmptyOutbox();
            assertThat(tx(monitor::outboxBacklog)).isEqualTo(new OpsMonitor.OutboxBacklog(0, 0));

            Instant before = Instant.now();
            for (int i = 0; i < 3; i++) {
                ids.add(enqueue(null, "backlog-" + i, before.minusSeconds(30)));
            }
            OpsMonitor.OutboxBacklog small = tx(monitor::outboxBacklog);
            assertThat(small.rows()).isEqualTo(3);
            assertThat(small.oldestAgeSeconds()).as("the first row's age").isBetween(29.0, 120.0);

            // a gap in the ids (as a rolled-back write leaves): counted, not taken from the span
            ids.add(enqueue(ids.get(0) + 10, "backlog-gap", Instant.now()));
            assertThat(tx(monitor::outboxBacklog).rows()).isEqualTo(4);

            // ids spanning more than the exact range: the span, an upper bound
            long far = ids.get(0) + OpsMonitor.EXACT_BACKLOG_UP_TO;
            ids.add(enqueue(far, "backlog-far", Instant.now()));
            assertThat(tx(monitor::outboxBacklog).rows()).isEqualTo(OpsMonitor.EXACT_BACKLOG_UP_TO + 1L);

            monitor.refresh();
            assertThat(monitor.latest().outboxBacklog()).isEqualTo(OpsMonitor.EXACT_BACKLOG_UP_TO + 1L);
        } finally {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("DELETE FROM outbox WHERE id IN :ids")
                    .setParameter("ids", ids).executeUpdate());
            setLease("nobody", "-1 second");
        }
    }

    private void awaitEmptyOutbox() throws InterruptedException {
        for (int i = 0; i < 100 && tx(() -> OutboxEntity.count()) > 0; i++) {
            Thread.sleep(100);
        }
        assertThat(tx(() -> OutboxEntity.count())).as("rows left by other tests").isZero();
    }

    /** An outbox row with this id ({@code null}: the next from the sequence) and creation time. */
    private Long enqueue(Long id, String key, Instant createdAt) {
        return QuarkusTransaction.requiringNew().call(() -> {
            writerLock.acquire();
            OutboxEntity row = new OutboxEntity();
            row.id = id != null ? id : sequences.next("outbox_seq", 1)[0];
            row.topic = Topics.NOTIFICATIONS;
            row.recordKey = key.getBytes(StandardCharsets.UTF_8);
            row.payload = "{}".getBytes(StandardCharsets.UTF_8);
            row.headers = HeaderCodec.encode(List.of(new RawHeader("ce_type",
                    "test.backlog".getBytes(StandardCharsets.UTF_8))));
            row.createdAt = createdAt;
            row.persist();
            return row.id;
        });
    }

    private void setLease(String holder, String fromNow) {
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("UPDATE outbox_lease SET holder = :holder,"
                + " held_until = clock_timestamp() + CAST(:interval AS interval) WHERE id = 1")
                .setParameter("holder", holder).setParameter("interval", fromNow).executeUpdate());
    }

    private static <T> T tx(java.util.concurrent.Callable<T> work) {
        return QuarkusTransaction.requiringNew().call(work);
    }
}
