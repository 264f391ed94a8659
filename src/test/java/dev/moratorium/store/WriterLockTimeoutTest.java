package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moratorium.testing.ShortTimeoutsProfile;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The writers' lock is bounded: a waiter gives up after the lock timeout (as an outage), and a
 * holder that freezes inside its transaction is cut off by PostgreSQL, releasing the lock.
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

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
