package dev.moratorium.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moratorium.store.OutboxEntity;
import dev.moratorium.testing.OutboxRows;
import dev.moratorium.testing.TestKafka;
import dev.moratorium.wire.Topics;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A round's published rows are deleted by the next round's transaction, under the lease's fence:
 * at once when a commit wakes the relay, after the settle delay when none does, and never by a
 * relay that lost the lease meanwhile — the holder publishes them again (at least once).
 *
 * <p>The settle delay is long here (8 s, the poll longer still) so the test can act between a
 * row's publication and its deletion; in production it is 50 ms.
 */
@QuarkusTest
@TestProfile(DeferredSettlementTest.LongSettleDelay.class)
class DeferredSettlementTest {

    private static final Duration SETTLE_DELAY = Duration.ofSeconds(8);

    public static class LongSettleDelay implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("moratorium.outbox.lease", "12s",
                    "moratorium.outbox.ack-timeout", "8s",
                    "moratorium.outbox.settle-delay", SETTLE_DELAY.toSeconds() + "s",
                    "moratorium.outbox.poll", "20s",
                    "%test.moratorium.outbox.poll", "20s");
        }
    }

    @Inject
    OutboxRows outbox;

    @Inject
    ChangeSignal signal;

    @AfterEach
    void releaseTheLease() {
        outbox.setLease("nobody", "-1 second");
    }

    @Test
    void aCommitWithinTheSettleDelayDeletesThePublishedRowsAtOnce() {
        String key = key("at-once");
        long id = enqueue(key);
        awaitPublished(key, 1);
        assertThat(exists(id)).as("published, waiting for the next round").isTrue();

        signal.changed(); // what a writer's commit does
        await().atMost(Duration.ofSeconds(3)).until(() -> !exists(id));
    }

    @Test
    void withoutACommitTheRowsAreDeletedAfterTheSettleDelay() {
        String key = key("after-delay");
        long id = enqueue(key);
        awaitPublished(key, 1);
        // no commit wakes the relay: a round runs for the published rows alone, well before the 20 s poll
        await().atMost(SETTLE_DELAY.plusSeconds(5)).until(() -> !exists(id));
        assertThat(TestKafka.readAll(Topics.NOTIFICATIONS).stream().filter(r -> key.equals(TestKafka.text(r.key()))))
                .as("published once").hasSize(1);
    }

    @Test
    void aRelayThatLostTheLeaseBeforeSettlingDeletesNothingAndTheHolderPublishesAgain() throws Exception {
        String key = key("fenced");
        long id = enqueue(key);
        awaitPublished(key, 1);
        assertThat(exists(id)).as("published, waiting for the next round").isTrue();

        outbox.setLease("another-replica", "1 hour"); // taken over before the relay settled
        signal.changed();
        Thread.sleep(2_000); // the settling round ran, and found the lease gone
        assertThat(exists(id)).as("not deleted without the lease").isTrue();

        outbox.setLease("another-replica", "-1 second"); // the holder stopped; this relay takes the lease again
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            signal.changed();
            return !exists(id);
        });
        List<ConsumerRecord<byte[], byte[]>> copies = awaitPublished(key, 2);
        assertThat(copies).as("published again from the head, the same record: at least once").hasSize(2);
        assertThat(copies.get(1).value()).isEqualTo(copies.get(0).value());
    }

    @Test
    void aRoundCutShortByTheByteBudgetIsFollowedAtOnce() {
        String key = key("budget");
        byte[] large = new byte[1_500_000]; // three of them reach the 4 MiB budget of a round; the fourth is left
        long start = System.nanoTime();
        outbox.enqueue(key, "test.settle", List.of(large, large, large, large));
        signal.changed();
        assertThat(awaitPublished(key, 4)).hasSize(4);
        // a round that took itself for the last would have waited for the settle delay before the next
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SETTLE_DELAY);
    }

    private long enqueue(String key) {
        long id = outbox.enqueue(key, "test.settle", List.of(("{\"k\":\"" + key + "\"}").getBytes(StandardCharsets.UTF_8)))
                .get(0);
        signal.changed();
        return id;
    }

    private static List<ConsumerRecord<byte[], byte[]>> awaitPublished(String key, int copies) {
        List<ConsumerRecord<byte[], byte[]>> mine = TestKafka.readUntil(Topics.NOTIFICATIONS, Duration.ofSeconds(20),
                records -> records.stream().filter(r -> key.equals(TestKafka.text(r.key()))).count() >= copies)
                .stream().filter(r -> key.equals(TestKafka.text(r.key()))).toList();
        assertThat(mine).as("published " + copies + " time(s)").hasSizeGreaterThanOrEqualTo(copies);
        return mine;
    }

    private static boolean exists(long id) {
        return QuarkusTransaction.requiringNew().call(() -> OutboxEntity.findById(id) != null);
    }

    private static String key(String name) {
        return "settle-" + name + "-" + UUID.randomUUID();
    }
}
