package dev.moratorium.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.testing.OutboxRows;
import dev.moratorium.testing.ShortTimeoutsProfile;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
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

    private static final String TYPE = "test.backlog";

    @Inject
    OpsMonitor monitor;

    @Inject
    OutboxRows outbox;

    @Test
    void theBacklogIsCountedWhileSmallAndBoundedByTheIdsBeyond() throws Exception {
        List<Long> ids = new ArrayList<>();
        outbox.setLease("another-replica", "1 hour");
        try {
            awaitEmptyOutbox();
            assertThat(tx(monitor::outboxBacklog)).isEqualTo(new OpsMonitor.OutboxBacklog(0, 0));

            byte[] payload = "{}".getBytes(StandardCharsets.UTF_8);
            ids.addAll(outbox.enqueue("backlog", TYPE, Instant.now().minusSeconds(30),
                    List.of(payload, payload, payload)));
            OpsMonitor.OutboxBacklog small = tx(monitor::outboxBacklog);
            assertThat(small.rows()).isEqualTo(3);
            assertThat(small.oldestAgeSeconds()).as("the first row's age").isBetween(29.0, 120.0);

            // a gap in the ids (as a rolled-back write leaves): counted, not taken from the span
            ids.add(outbox.insertWithId(ids.get(0) + 10, "backlog-gap", TYPE, Instant.now()));
            assertThat(tx(monitor::outboxBacklog).rows()).isEqualTo(4);

            // ids spanning more than the exact range: the span, an upper bound
            ids.add(outbox.insertWithId(ids.get(0) + OpsMonitor.EXACT_BACKLOG_UP_TO, "backlog-far", TYPE,
                    Instant.now()));
            assertThat(tx(monitor::outboxBacklog).rows()).isEqualTo(OpsMonitor.EXACT_BACKLOG_UP_TO + 1L);

            monitor.refresh();
            assertThat(monitor.latest().outboxBacklog()).isEqualTo(OpsMonitor.EXACT_BACKLOG_UP_TO + 1L);
        } finally {
            outbox.delete(ids);
            outbox.setLease("nobody", "-1 second");
        }
    }

    private void awaitEmptyOutbox() throws InterruptedException {
        for (int i = 0; i < 100 && outbox.count() > 0; i++) {
            Thread.sleep(100);
        }
        assertThat(outbox.count()).as("rows left by other tests").isZero();
    }

    private static <T> T tx(java.util.concurrent.Callable<T> work) {
        return QuarkusTransaction.requiringNew().call(work);
    }
}
