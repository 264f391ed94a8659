package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moratorium.testing.FreezableProxy;
import dev.moratorium.testing.ShortTimeoutsProfile;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The writers' lock is bounded: a waiter gives up after the lock timeout (as an outage), and a
 * holder that freezes inside its transaction is cut off by PostgreSQL, releasing the lock — or,
 * frozen while PostgreSQL waits on it inside a statement (a COPY, a result), by the next waiter.
 */
@QuarkusTest
@TestProfile(ShortTimeoutsProfile.class)
class WriterLockTimeoutTest {

    @Inject
    WriterLock writerLock;

    @Inject
    AgroalDataSource dataSource;

    @Test
    void aWaiterGetsALockTimeoutInBoundedTime() throws Exception {
        // a holder outside the service's own timeouts, as a writer that froze while holding the lock
        try (Connection holder = dataSource.getConnection(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("SELECT pg_advisory_xact_lock(" + WriterLock.KEY + ")");
            long started = System.nanoTime();
            CompletableFuture<Void> waiter = CompletableFuture.runAsync(
                    () -> QuarkusTransaction.requiringNew().run(writerLock::acquire));
            assertThatThrownBy(() -> waiter.get(20, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(WriterLockTimeout.class);
            Duration waited = Duration.ofNanos(System.nanoTime() - started);
            System.out.println("writer lock: waiter gave up after " + waited.toMillis() + " ms (lock-timeout 1s)");
            assertThat(waited).isLessThan(Duration.ofSeconds(10));
            holder.rollback();
        }
    }

    @Test
    void aFrozenHolderIsCutOffAndTheLockReleased() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CompletableFuture<Void> frozen = CompletableFuture.runAsync(() -> QuarkusTransaction.requiringNew().run(() -> {
            writerLock.acquire();
            held.countDown();
            sleep(Duration.ofSeconds(8)); // idle in its transaction, as a paused JVM would be
            PolicyEntity.count(); // the session is gone by now
        }));
        assertThat(held.await(20, TimeUnit.SECONDS)).isTrue();
        long started = System.nanoTime();
        CompletableFuture<Void> next = CompletableFuture.runAsync(() -> {
            for (int attempt = 0;; attempt++) {
                try {
                    QuarkusTransaction.requiringNew().run(writerLock::acquire);
                    return;
                } catch (WriterLockTimeout e) {
                    // an outage: try again, as the consumer does
                }
            }
        });
        next.get(20, TimeUnit.SECONDS);
        Duration waited = Duration.ofNanos(System.nanoTime() - started);
        System.out.println("writer lock: frozen holder cut off, next writer got the lock after " + waited.toMillis()
                + " ms (idle-in-transaction-timeout 3s)");
        assertThat(waited).isLessThan(Duration.ofSeconds(7));
        assertThatThrownBy(() -> frozen.get(20, TimeUnit.SECONDS)).as("the frozen holder's transaction failed")
                .isInstanceOf(java.util.concurrent.ExecutionException.class);
    }

    /**
     * A holder frozen in the middle of a COPY is not cut off by PostgreSQL: the COPY waits for its
     * client with cancel requests held off, the statement timeout's too, so its session stays
     * active with the lock. The next waiter whose lock timeout runs out ends it.
     */
    @Test
    void aHolderFrozenInTheMiddleOfACopyIsEndedByTheNextWaiter() throws Exception {
        Connection holder = dataSource.getConnection();
        CopyIn copy = null;
        try (Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            // as a writer's transaction sets it up (WriterLock's own statement, run the same way)
            s.execute("SELECT set_config('statement_timeout', '3000ms', true), set_config("
                    + "'idle_in_transaction_session_timeout', '3000ms', true), pg_advisory_xact_lock(" + WriterLock.KEY + ")");
            s.execute("CREATE TEMP TABLE frozen_copy (v text) ON COMMIT DROP");
            copy = holder.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY frozen_copy (v) FROM STDIN");
            byte[] half = "a row\nand half a".getBytes(StandardCharsets.US_ASCII);
            copy.writeToCopy(half, 0, half.length);
            copy.flushCopy();
            // ... and then nothing more, as from a frozen JVM

            Thread.sleep(5_000);
            assertThat(holderState()).as("past the statement and idle timeouts, the COPY still holds the lock")
                    .isEqualTo("active ClientRead COPY");
            theNextWaiterEndsTheFrozenHolder("a COPY");
            CopyIn frozen = copy;
            assertThatThrownBy(frozen::endCopy).as("the frozen holder's COPY, when it wakes").isInstanceOf(SQLException.class);
        } finally {
            if (copy != null && copy.isActive()) {
                try {
                    copy.cancelCopy(); // if the test failed: else the pool's rollback would wait for the COPY
                } catch (SQLException ended) {
                    // the session was ended, as the test expects
                }
            }
            holder.close();
        }
    }

    /**
     * The same for a holder frozen while a result is sent to it: once the socket buffers are full,
     * PostgreSQL waits for the client to read, and holds off cancel requests while it waits. It
     * takes a pending cancel only when a write goes through, and whether a frozen client's kernel
     * ever takes a few more bytes (it may, when it compacts its receive queue) is up to that kernel:
     * with the holder's own 3 s statement timeout, 2 of 3 runs here saw PostgreSQL cancel the read
     * within 5 s, the third held the lock. This holder has no statement timeout, as when the kernel
     * takes nothing more; the waiters' 3 s is what ends it.
     */
    @Test
    void aHolderFrozenWhileItsResultIsSentIsEndedByTheNextWaiter() throws Exception {
        try (FreezableProxy network = FreezableProxy.toDatasource()) {
            CompletableFuture<Void> frozen = network.freezeInAResult(s -> s.execute("SELECT set_config("
                    + "'statement_timeout', '0', true), set_config('idle_in_transaction_session_timeout',"
                    + " '3000ms', true), pg_advisory_xact_lock(" + WriterLock.KEY + ")"));
            Thread.sleep(5_000);
            assertThat(holderState()).as("past the idle timeout and the waiters' statement timeout, the frozen reader"
                    + " still holds the lock").isEqualTo("active ClientWrite SELECT");
            theNextWaiterEndsTheFrozenHolder("a result");
            assertThat(network.thawAndAwait(frozen)).as("the frozen holder's read, when it wakes, fails in the driver")
                    .isInstanceOf(IllegalStateException.class).hasCauseInstanceOf(SQLException.class);
        }
    }

    /** Writers try again after each lock timeout, as the consumer does; the first one ends the frozen holder. */
    private void theNextWaiterEndsTheFrozenHolder(String frozenIn) {
        long started = System.nanoTime();
        int attempts = 0;
        for (;; attempts++) {
            try {
                QuarkusTransaction.requiringNew().run(writerLock::acquire);
                break;
            } catch (WriterLockTimeout e) {
                // an outage: try again, as the consumer does
                assertThat(attempts).as("attempts before the frozen holder is ended").isLessThan(5);
            }
        }
        Duration waited = Duration.ofNanos(System.nanoTime() - started);
        System.out.println("writer lock: holder frozen in " + frozenIn + " ended, next writer got the lock after "
                + waited.toMillis() + " ms, " + attempts + " lock timeout(s) (lock-timeout 1s, statement-timeout 3s)");
        assertThat(attempts).isEqualTo(1);
        assertThat(holderState()).as("the frozen holder's session").isEmpty();
    }

    /** The state, wait and statement of the session holding the writers' lock, "" if none holds it. */
    private String holderState() {
        return QuarkusTransaction.requiringNew().call(() -> {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT a.state, a.wait_event, split_part(a.query, ' ', 1)"
                            + " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
                            + " AND l.granted AND l.objid = " + WriterLock.KEY)) {
                return rs.next() ? rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) : "";
            }
        });
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
