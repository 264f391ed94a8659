package dev.moratorium.store;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Ends a lock holder frozen while PostgreSQL waits on it inside a statement, for whoever waits for
 * that lock (the writers' lock, the outbox lease row).
 *
 * <p>A replica that freezes (SIGSTOP, a stopped VM: its kernel keeps the connection open) is cut
 * off by PostgreSQL's statement and idle-in-transaction timeouts — except while its session waits
 * on it inside a statement. PostgreSQL holds off cancel requests, the statement timeout's among
 * them, while a {@code COPY … FROM STDIN} waits for the client's next message ({@code ClientRead})
 * and while a result waits for the client to read it ({@code ClientWrite}, the socket buffers
 * full). The session then stays "active", with its locks, for as long as the freeze lasts. A live
 * client keeps such a wait to a round trip, and a statement older than its statement timeout is
 * lost anyway (the timeout ends it when the client comes back), so a waiter may end it.
 * pg_terminate_backend is allowed on sessions of one's own role, which every replica shares.
 */
@ApplicationScoped
public class FrozenLockHolders {

    private static final Logger LOG = Logger.getLogger(FrozenLockHolders.class);

    @Inject
    EntityManager em;

    /**
     * Ends the sessions among {@code holders} (a query of pids) that wait on their client in a
     * statement begun more than {@code olderThan} ago, in a transaction of its own (the caller's may
     * be aborted, and a refusal must not fail it); logs each one. The number ended.
     */
    public int end(String lock, String holders, Duration olderThan) {
        String sql = "SELECT a.pid, a.wait_event, pg_terminate_backend(a.pid) FROM pg_stat_activity a"
                + " WHERE a.pid IN (" + holders + ") AND a.pid <> pg_backend_pid() AND a.state = 'active'"
                + " AND a.wait_event_type = 'Client' AND a.query_start < clock_timestamp()"
                + " - make_interval(secs => ?1 / 1000.0)";
        try {
            List<?> ended = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(sql)
                    .setParameter(1, olderThan.toMillis()).getResultList());
            for (Object row : ended) {
                Object[] holder = (Object[]) row;
                LOG.warnf("Ended the database session (pid %s) that held %s in a statement waiting on its client (%s)"
                        + " for more than %s (a frozen replica?); its transaction is rolled back and the lock is"
                        + " free", holder[0], lock, holder[1], olderThan);
            }
            return ended.size();
        } catch (RuntimeException e) {
            // the database is unreachable, or this role may not end the session: the waiter's own bound stands
            LOG.debugf(e, "Could not end a holder of %s frozen in a statement", lock);
            return 0;
        }
    }
}
