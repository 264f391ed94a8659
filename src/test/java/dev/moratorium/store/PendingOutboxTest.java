package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.testing.OutboxRows;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay's read of the outbox, against PostgreSQL: rows in id order, at most the batch, and of
 * their payloads only as many as start within the byte budget — the first row always, a
 * tombstone (no payload) counted as nothing. Another replica holds the publishing lease meanwhile,
 * so this service's relay leaves the rows alone.
 */
@QuarkusTest
class PendingOutboxTest {

    private static final int KB = 1000;

    @Inject
    OutboxRows outbox;

    @Inject
    PendingOutbox pending;

    private List<Long> ids = List.of();

    @BeforeEach
    void holdTheLeaseElsewhere() {
        outbox.setLease("another-replica", "1 hour");
    }

    @AfterEach
    void removeTheRowsAndReleaseTheLease() {
        outbox.delete(ids);
        outbox.setLease("nobody", "-1 second");
    }

    @Test
    void aRoundReadsTheRowsThatStartWithinTheByteBudget() {
        ids = enqueue(bytes(KB), bytes(KB), bytes(KB), bytes(KB), bytes(KB), bytes(KB));
        long before = ids.get(0) - 1;

        // sizes before each row: 0, 1000, 2000, 3000 — the fourth starts at the budget, not within it
        assertThat(read(before, 500, 3 * KB)).startsWith(ids.get(0), ids.get(1), ids.get(2)).hasSize(3);
        assertThat(read(before, 500, 3 * KB + 1)).hasSize(4);
        assertThat(read(ids.get(3), 500, 2 * KB)).containsExactly(ids.get(4), ids.get(5));
    }

    @Test
    void theFirstRowIsReadWhateverItsSize() {
        ids = enqueue(bytes(10 * KB), bytes(KB));
        assertThat(read(ids.get(0) - 1, 500, 1)).containsExactly(ids.get(0));
    }

    @Test
    void theBatchSizeBoundsTheRowsWhateverTheirSize() {
        ids = enqueue(bytes(1), bytes(1), bytes(1), bytes(1));
        assertThat(read(ids.get(0) - 1, 2, Long.MAX_VALUE)).containsExactly(ids.get(0), ids.get(1));
    }

    @Test
    void aTombstoneCountsAsNoBytes() {
        ids = enqueue(bytes(KB), null, bytes(KB), bytes(KB));
        // sizes before each row: 0, 1000, 1000, 2000
        assertThat(read(ids.get(0) - 1, 500, 2 * KB)).startsWith(ids.get(0), ids.get(1), ids.get(2)).hasSize(3);
        List<OutboxEntity> rows = QuarkusTransaction.requiringNew().call(() -> pending.after(ids.get(0), 1, 1));
        assertThat(rows).singleElement().satisfies(row -> assertThat(row.payload).isNull());
    }

    private List<Long> read(long afterId, int limit, long maxBytes) {
        return QuarkusTransaction.requiringNew().call(() -> pending.after(afterId, limit, maxBytes))
                .stream().map(row -> row.id).toList();
    }

    private List<Long> enqueue(byte[]... payloads) {
        return outbox.enqueue("pending-" + UUID.randomUUID(), "test.pending", Arrays.asList(payloads));
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'x');
        return b;
    }
}
