package dev.moratorium.store;

import dev.moratorium.config.MoratoriumConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceException;
import java.sql.PreparedStatement;
import java.time.Duration;
import org.hibernate.Session;

/**
 * One writer at a time, across every replica: each transaction that changes policies first takes
 * this PostgreSQL advisory lock (released at commit). Writes are short and batched, so the cost is
 * small, and in return the id order of notifications and outbox rows is their commit order — the
 * order cursors and per-policy publication rely on — and no two replicas ever apply a time-driven
 * change twice.
 *
 * <p>The lock is bounded ({@code moratorium.writers.*}): the waiter gives up after the lock timeout
 * ({@link WriterLockTimeout}, an outage to retry), and the holder's transaction runs with a
 * statement timeout and an idle-in-transaction timeout, so a holder that freezes is cut off by
 * PostgreSQL — its session ended, its lock released — in bounded time.
 *
 * <p>Except while the holder's session waits on its client inside a statement (a COPY of the
 * append-only rows, {@link CopyRows}; a large result): PostgreSQL holds off its timeouts then. So a
 * waiter whose lock timeout ran out ends such a holder once its statement is older than the
 * statement timeout ({@link FrozenLockHolders}); the next attempt gets the lock.
 *
 * <p>Sent as plain JDBC on the transaction's connection: as a Hibernate native query this one
 * statement allocated 14 kB per transaction (the query object, its plan, bindings and result
 * list), the largest share of a batch of one's (BENCHMARKS.md, "eighth pass").
 */
@ApplicationScoped
public class WriterLock {

    /** An arbitrary constant naming this lock among the database's advisory locks. */
    public static final long KEY = 0x6d6f7261L; // "mora"
    // One round trip: SET LOCAL takes no bind parameters, set_config(..., true) is the same with
    // them, and OFFSET 0 keeps the settings' subquery a separate step run before the lock is asked
    // for, so the lock timeout bounds this very wait (WriterLockTimeoutTest).
    private static final String LOCK = "SELECT pg_advisory_xact_lock(" + KEY + ") FROM ("
            + "SELECT set_config('lock_timeout', ?, true),"
            + " set_config('statement_timeout', ?, true),"
            + " set_config('idle_in_transaction_session_timeout', ?, true) OFFSET 0) AS settings";

    /** The sessions holding the writers' lock. */
    static final String HOLDERS = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            + " AND classid = 0 AND objsubid = 1 AND objid = " + KEY;

    @Inject
    EntityManager em;

    @Inject
    MoratoriumConfig config;

    @Inject
    FrozenLockHolders frozenHolders;

    /** Must run in the writer's transaction; the timeouts and the lock last until it ends. */
    public void acquire() {
        MoratoriumConfig.WriterSettings writers = config.writers();
        try {
            // a JDBCException (a PersistenceException) when it fails, as a query's failure would be
            em.unwrap(Session.class).doWork(c -> {
                try (PreparedStatement s = c.prepareStatement(LOCK)) {
                    s.setString(1, millis(writers.lockTimeout()));
                    s.setString(2, millis(writers.statementTimeout()));
                    s.setString(3, millis(writers.idleInTransactionTimeout()));
                    s.executeQuery().close();
                }
            });
        } catch (PersistenceException e) {
            if (SqlStates.lockNotGranted(e)) {
                frozenHolders.end("the writers' lock", HOLDERS, writers.statementTimeout());
                throw new WriterLockTimeout(e);
            }
            throw e;
        }
    }

    private static String millis(Duration d) {
        return d.toMillis() + "ms";
    }
}
