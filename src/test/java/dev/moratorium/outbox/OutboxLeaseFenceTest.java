package dev.moratorium.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moratorium.wire.Topics;
import dev.moratorium.store.OutboxEntity;
import dev.moratorium.testing.FreezableProxy;
import dev.moratorium.testing.OutboxRows;
import dev.moratorium.testing.ShortTimeoutsProfile;
import dev.moratorium.testing.TestKafka;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The lease's fence: a relay whose lease another holder has taken, or which has run out, can
 * neither renew it nor publish; the rows wait for whoever holds it.
 */
@QuarkusTest
@TestProfile(ShortTimeoutsProfile.class)
class OutboxLeaseFenceTest {

    private static final Duration LENGTH = Duration.ofSeconds(12);

    @Inject
    OutboxLease lease;

    @Inject
    OutboxRelay relay;

    @Inject
    OutboxRows outbox;

    @Test
    void aLostLeaseCannotBeRenewedAndNothingIsPublishedWithoutIt() throws Exception {
        String me = relay.holder();
        try {
            setLease("another-replica", "1 hour"); // taken over while this relay was paused
            assertThat(tx(() -> lease.renewIfStillHeld(me, LENGTH))).as("fence of the relay that lost it").isFalse();
            assertThat(tx(() -> lease.acquire(me, LENGTH))).as("taken while another holds it").isFalse();
            assertThat(tx(() -> lease.renewIfStillHeld("another-replica", LENGTH))).isTrue();

            long id = enqueue("fence-1");
            Thread.sleep(3_000); // several relay rounds
            assertThat(tx(() -> OutboxEntity.<OutboxEntity>findById(id))).as("not published without the lease")
                    .isNotNull();

            setLease("another-replica", "-1 second"); // the other holder stopped renewing: it ran out
            assertThat(tx(() -> lease.renewIfStillHeld("another-replica", LENGTH))).as("an expired lease").isFalse();
            await().atMost(Duration.ofSeconds(20)).until(() -> tx(() -> OutboxEntity.findById(id) == null));
            assertThat(TestKafka.readUntil(Topics.NOTIFICATIONS, Duration.ofSeconds(20),
                    r -> r.stream().anyMatch(x -> "fence-1".equals(TestKafka.text(x.key()))))
                    .stream().filter(x -> "fence-1".equals(TestKafka.text(x.key())))).hasSize(1);
            assertThat(tx(() -> lease.renewIfStillHeld(me, LENGTH))).as("the relay holds it again").isTrue();
        } finally {
            setLease("nobody", "-1 second");
        }
    }

    /**
     * A replica frozen inside its lease transaction (a GC pause, a stopped VM) keeps the lease row
     * locked. The others must neither wait for it — their relays would freeze with it — nor wait
     * longer than the lease: PostgreSQL ends the frozen session once it has been idle that long.
     */
    @Test
    void aHolderFrozenInsideItsLeaseTransactionNeitherBlocksNorOutlastsItsLease() throws Exception {
        String me = relay.holder();
        Duration frozenLease = Duration.ofSeconds(3);
        setLease("frozen-replica", "3 seconds");
        CountDownLatch locked = new CountDownLatch(1);
        AtomicReference<Throwable> frozenOutcome = new AtomicReference<>();
        Thread frozen = holdingTheLeaseRow("frozen-lease-holder", () -> lease.acquire("frozen-replica", frozenLease),
                Duration.ofSeconds(30), locked, frozenOutcome);
        try {
            frozen.start();
            assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();

            // answered at once (the row is skipped), well before a wait would end in the lock timeout
            CompletableFuture<Boolean> attempt = CompletableFuture.supplyAsync(() -> tx(() -> lease.acquire(me,
                    LENGTH)));
            assertThat(attempt.get(OutboxLease.LOCK_TIMEOUT.toMillis() * 3 / 4, TimeUnit.MILLISECONDS))
                    .as("taken while the frozen holder's lease is valid").isFalse();

            // the frozen session is ended after the lease's length idle, and its lease has run out
            await().atMost(Duration.ofSeconds(20)).until(() -> tx(() -> lease.acquire(me, LENGTH)));
            frozen.interrupt();
            frozen.join(10_000);
            assertThat(frozenOutcome.get()).as("the frozen holder's transaction did not commit").isNotNull();
        } finally {
            frozen.interrupt();
            setLease("nobody", "-1 second");
        }
    }

    /**
     * Not idle, though, a replica frozen while PostgreSQL sends it a round's rows: once the socket
     * buffers are full its session waits on the client, "active", with cancels held off, and keeps
     * the lease row locked for as long as it is frozen. A replica that cannot take the lease ends
     * that session once its statement is older than a lease, and then takes the lease.
     */
    @Test
    void aHolderFrozenWhileItsRowsAreSentIsEndedOnceItsLeaseRunsOut() throws Exception {
        String me = relay.holder();
        setLease("nobody", "-1 second");
        try (FreezableProxy network = FreezableProxy.toDatasource()) {
            // a relay's round: the lease taken (its idle timeout the lease's length), then its rows read
            CompletableFuture<Void> frozen = network.freezeInAResult(s -> {
                s.execute("SELECT set_config('idle_in_transaction_session_timeout', '3000ms', true)");
                assertThat(s.executeUpdate("UPDATE outbox_lease SET holder = 'frozen-replica',"
                        + " held_until = clock_timestamp() + interval '3 seconds' WHERE id = 1")).isEqualTo(1);
            });
            long started = System.nanoTime();
            Thread.sleep(5_000);
            assertThat(tx(() -> lease.acquire(me, LENGTH))).as("taken while the frozen holder locks the row, past"
                    + " its lease and idle timeout").isFalse();

            await().atMost(Duration.ofSeconds(30)).until(() -> tx(() -> lease.acquire(me, LENGTH)));
            Duration waited = Duration.ofNanos(System.nanoTime() - started);
            System.out.println("outbox lease: relay frozen while reading its rows ended, lease taken after "
                    + waited.toMillis() + " ms (lease " + LENGTH.toSeconds() + " s)");
            assertThat(waited).as("about a lease at least").isGreaterThan(LENGTH.minusMillis(500));
            assertThat(network.thawAndAwait(frozen)).as("the frozen holder's read, when it wakes, fails in the driver")
                    .isInstanceOf(IllegalStateException.class).hasCauseInstanceOf(SQLException.class);
        } finally {
            setLease("nobody", "-1 second");
        }
    }

    /**
     * The fence waits for the lease row at most {@link OutboxLease#LOCK_TIMEOUT}: its lock timeout is
     * set by the same statement (joined to it), and must be in force before the row is updated.
     * Here the row is held by a transaction that stays open far longer than that.
     */
    @Test
    void theFenceWaitsForTheLeaseRowNoLongerThanTheLockTimeout() throws Exception {
        Duration longLease = Duration.ofSeconds(30);
        setLease("stuck-renewer", "30 seconds");
        CountDownLatch locked = new CountDownLatch(1);
        // its outcome (interrupted at the end of the test) is not what this test checks
        Thread holder = holdingTheLeaseRow("stuck-lease-renewer", () -> lease.renewIfStillHeld("stuck-renewer", longLease),
                Duration.ofSeconds(20), locked, new AtomicReference<>());
        try {
            holder.start();
            assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();
            long started = System.nanoTime();
            CompletableFuture<Boolean> fence = CompletableFuture.supplyAsync(
                    () -> tx(() -> lease.renewIfStillHeld("stuck-renewer", longLease)));
            assertThat(fence).failsWithin(Duration.ofSeconds(10));
            Duration waited = Duration.ofNanos(System.nanoTime() - started);
            System.out.println("lease fence: gave up after " + waited.toMillis() + " ms (lock timeout "
                    + OutboxLease.LOCK_TIMEOUT.toMillis() + " ms)");
            assertThat(waited).isGreaterThanOrEqualTo(OutboxLease.LOCK_TIMEOUT.minusMillis(100));
        } finally {
            holder.interrupt();
            holder.join(30_000);
            setLease("nobody", "-1 second");
        }
    }

    /**
     * A thread whose transaction takes the lease row ({@code take} must answer true), counts down
     * {@code locked}, then stays open for {@code open} — as a frozen replica would — unless
     * interrupted; what ended its transaction goes to {@code outcome}.
     */
    private static Thread holdingTheLeaseRow(String name, java.util.function.BooleanSupplier take, Duration open,
            CountDownLatch locked, AtomicReference<Throwable> outcome) {
        return new Thread(() -> {
            try {
                QuarkusTransaction.requiringNew().run(() -> {
                    assertThat(take.getAsBoolean()).isTrue();
                    locked.countDown();
                    try {
                        Thread.sleep(open.toMillis()); // the transaction stays open, the row locked
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, name);
    }

    private void setLease(String holder, String fromNow) {
        outbox.setLease(holder, fromNow);
    }

    private long enqueue(String key) {
        return outbox.enqueue(key, "test.fence", List.of("{}".getBytes(StandardCharsets.UTF_8))).get(0);
    }

    private static <T> T tx(java.util.concurrent.Callable<T> work) {
        return QuarkusTransaction.requiringNew().call(work);
    }
}
