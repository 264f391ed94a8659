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
 * <p>Except while the holder's session waits on its client inside a statement. PostgreSQL holds
 * off cancel requests, the statement timeout's among them, while a {@code COPY … FROM STDIN} (the
 * append-only rows, {@link CopyRows}) waits for the client's next message, and while a result
 * waits for the client to read it (a socket buffer full: a large read, a slow network). A frozen
 * client (a SIGSTOP, a stopped VM: its kernel keeps the connection open) then leaves its session
 * "active", waiting on it, with the lock, for as long as the freeze lasts. Such a statement is
 * lost anyway — its statement timeout ends it when the client comes back — so a waiter whose
 * lock timeout ran out ends the holder itself once the statement it waits in began longer ago
 * than the statement timeout ({@link #END_FROZEN_HOLDER}); the next attempt gets the lock.
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
     * Ends the session holding the writers' lock if it waits on its client ({@code ClientRead} in a
     * COPY, {@code ClientWrite} with a result) in a statement that began longer ago than the
     * statement timeout. A live client keeps such a wait to a round trip. pg_terminate_backend is
     * allowed on sessions of one's own role, which every replica shares.
     */
    static final String END_FROZEN_HOLDER = "SELECT a.pid, a.wait_event, pg_terminate_backend(a.pid) FROM pg_locks l"
            + " JOIN pg_stat_activity a ON a.pid = l.pid"
            + " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objsubid = 1"
            + " AND l.objid = " + KEY + " AND a.pid <> pg_backend_pid() AND a.state = 'active'"
            + " AND a.wait_event_type = 'Client' AND a.query_start < now() - make_interval(secs => ?1 / 1000.0)";

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
                endFrozenHolder(writers.statementTimeout());
                throw new WriterLockTimeout(e);
            }
            throw e;
        }
    }

    /** In a transaction of its own: the waiter's was aborted by its lock timeout. */
    private void endFrozenHolder(Duration statementTimeout) {
        try {
            List<?> ended = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(END_FROZEN_HOLDER)
                    .setParameter(1, statementTimeout.toMillis()).getResultList());
            for (Object row : ended) {
                Object[] holder = (Object[]) row;
                LOG.warnf("Ended the database session (pid %s) of a writer that held the writers' lock in a statement"
                        + " waiting on its client (%s) for more than %s (a frozen replica?); its transaction is"
                        + " rolled back and the next writer goes on", holder[0], holder[1], statementTimeout);
            }
        } catch (RuntimeException e) {
            // the database is unreachable, or this role may not end the session: the lock timeout stands
            LOG.debugf(e, "Could not end a writer frozen in a statement");
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
