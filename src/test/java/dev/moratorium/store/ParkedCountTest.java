package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.testing.OutboxRows;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The parked rows' gauge counts up to a cap, never the whole table: a broker that refuses a topic
 * for good parks every row for it, and every replica counts every few seconds.
 */
@QuarkusTest
class ParkedCountTest {

    @Inject
    OutboxRows outbox;

    @Inject
    ParkedOutbox parked;

    @Inject
    EntityManager em;

    private List<Long> ids = List.of();

    @AfterEach
    void removeTheParkedRows() {
        if (!ids.isEmpty()) {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("DELETE FROM outbox_parked WHERE id = any(:ids)")
                    .setParameter("ids", ids.toArray(Long[]::new)).executeUpdate());
        }
        outbox.delete(ids);
        outbox.setLease("nobody", "-1 second");
    }

    @Test
    void theCountStopsAtTheCap() {
        outbox.setLease("another-replica", "1 hour"); // this service's relay leaves the rows alone
        long before = QuarkusTransaction.requiringNew().call(() -> parked.countUpTo(Integer.MAX_VALUE));
        byte[] payload = "{}".getBytes(StandardCharsets.UTF_8);
        ids = outbox.enqueue("parked-" + UUID.randomUUID(), "test.parked", List.of(payload, payload, payload));
        QuarkusTransaction.requiringNew().run(() -> ids.forEach(id -> assertThat(parked.park(id, "refused")).isTrue()));

        assertThat(QuarkusTransaction.requiringNew().call(() -> parked.countUpTo(Integer.MAX_VALUE))).isEqualTo(before + 3);
        assertThat(QuarkusTransaction.requiringNew().call(() -> parked.countUpTo(2))).isEqualTo(2);
        assertThat(QuarkusTransaction.requiringNew().call(() -> parked.countUpTo((int) before + 3))).isEqualTo(before + 3);
    }
}
