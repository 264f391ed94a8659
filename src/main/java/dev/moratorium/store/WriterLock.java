package dev.moratorium.store;

import dev.moratorium.config.MoratoriumConfig;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.hibernate.Session;
import org.jboss.logging.Logger;

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
 * <p>All but one case: a holder frozen in the middle of a {@code COPY … FROM STDIN} (the
 * append-only rows, {@link CopyRows}). Its session is neither idle nor cancellable: PostgreSQL
 * holds off cancel requests, the statement timeout's among them, while a COPY waits for its
 * client's next message, so the session stays "active" and keeps the lock for as long as the
 * client is frozen (a SIGSTOP, a stopped VM: its kernel keeps the connection open). So a waiter
 * whose lock timeout ran out ends such a holder itself, once its COPY has waited on its client
 * for longer than the statement timeout any other statement of the holder would have been
 * stopped by ({@link #END_FROZEN_COPY}); the next attempt gets the lock.
 *
 * <p>Sent as plain JDBC on the transaction's connection: as a Hibernate native query this one
 * statement allocated 14 kB per transaction (the query object, its plan, bindings and result
 * list), the largest share of a batch of one's (BENCHMARKS.md, "eighth pass").
 */
@ApplicationScoped
public class WriterLock {

    /** An arbitrary constant naming this lock among the database's advisory locks. */
    public static final long KEY = 0x6d6f7261L; // "mora"
    private static final String LOCK_NOT_AVAILABLE = "55P03";
    // One round trip: SET LOCAL takes no bind parameters, set_config(..., true) is the same with
    // them, and OFFSET 0 keeps the settings' subquery a separate step run before the lock is asked
    // for, so the lock timeout bounds this very wait (WriterLockTimeoutTest).
    private static final String LOCK = "SELECT pg_advisory_xact_lock(" + KEY + ") FROM ("
            + "SELECT set_config('lock_timeout', ?, true),"
            + " set_config('statement_timeout', ?, true),"
            + " set_config('idle_in_transaction_session_timeout', ?, true) OFFSET 0) AS settings";

    /**
     * Ends the session holding the writers' lock if it is in a COPY waiting for its client
     * ({@code ClientRead}) since longer ago than the statement timeout. pg_terminate_backend is
     * allowed on sessions of one's own role, which every replica shares.
     */
    static final String END_FROZEN_COPY = "SELECT a.pid, pg_terminate_backend(a.pid) FROM pg_locks l"
            + " JOIN pg_stat_activity a ON a.pid = l.pid"
            + " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objsubid = 1"
            + " AND l.objid = " + KEY + " AND a.pid <> pg_backend_pid() AND a.state = 'active'"
            + " AND a.wait_event = 'ClientRead' AND a.query LIKE 'COPY %'"
            + " AND a.query_start < now() - make_interval(secs => ?1 / 1000.0)";

    private static final Logger LOG = Logger.getLogger(WriterLock.class);

    @Inject
    EntityManager em;

    @Inject
    MoratoriumConfig config;

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
            if (LOCK_NOT_AVAILABLE.equals(sqlState(e))) {
                endFrozenCopy(writers.statementTimeout());
                throw new WriterLockTimeout(e);
            }
            throw e;
        }
    }

    /** In a transaction of its own: the waiter's was aborted by its lock timeout. */
    private void endFrozenCopy(Duration statementTimeout) {
        try {
            List<?> ended = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(END_FROZEN_COPY)
                    .setParameter(1, statementTimeout.toMillis()).getResultList());
            for (Object row : ended) {
                LOG.warnf("Ended the database session (pid %s) of a writer that held the writers' lock in a COPY"
                        + " waiting on its client for more than %s (a frozen replica?); its transaction is rolled"
                        + " back and the next writer goes on", ((Object[]) row)[0], statementTimeout);
            }
        } catch (RuntimeException e) {
            // the database is unreachable, or this role may not end the session: the lock timeout stands
            LOG.debugf(e, "Could not end a writer frozen in a COPY");
        }
    }

    private static String millis(Duration d) {
        return d.toMillis() + "ms";
    }

    private static String sqlState(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }
}
