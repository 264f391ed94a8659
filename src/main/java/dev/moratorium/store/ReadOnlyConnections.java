package dev.moratorium.store;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Renews the pool's connections when the database refuses a write as read-only (SQLState 25006).
 *
 * <p>After a failover the server the pooled connections reach may go on answering as a read-only
 * one: a primary demoted to a standby (Patroni, CloudNativePG with its old primary kept as a replica),
 * or an Aurora writer turned reader. Its connections stay open and answer reads, so nothing closes
 * them: the pool never reports them broken (only connection errors, SQLState class 08, do that), and
 * the service, which takes every such failure for an outage and retries it, retried the same batch on
 * the same connections for as long as they lived — with no maximum lifetime set, for good. A new
 * connection goes where the database's address now points, the new primary. So the retry loops
 * (ingest, the outbox relay, the time-driven changes, the webhook workers) hand their failures here,
 * and on the first such refusal the idle connections are closed now and the busy ones as they are
 * given back; the failed work is retried as before, on new ones.
 */
@ApplicationScoped
public class ReadOnlyConnections {

    /** PostgreSQL's {@code read_only_sql_transaction}: a write in a read-only transaction or on a standby. */
    static final String READ_ONLY_SQL_TRANSACTION = "25006";
    /** A refusal seen by several loops at once renews the pool once; later ones renew it again. */
    static final Duration RENEW_AT_MOST_EVERY = Duration.ofSeconds(2);
    private static final Logger LOG = Logger.getLogger(ReadOnlyConnections.class);

    @Inject
    AgroalDataSource dataSource;

    private final AtomicLong lastRenewal = new AtomicLong(System.nanoTime() - RENEW_AT_MOST_EVERY.toNanos());

    /** Whether the failure is the database refusing a write as read-only. */
    public static boolean isReadOnlyRefusal(Throwable failure) {
        return READ_ONLY_SQL_TRANSACTION.equals(SqlStates.of(failure));
    }

    /**
     * Renews the pool when the failure is a read-only refusal (at most once every
     * {@link #RENEW_AT_MOST_EVERY}); does nothing for any other failure.
     */
    public void renewIfReadOnly(Throwable failure) {
        if (!isReadOnlyRefusal(failure)) {
            return;
        }
        long now = System.nanoTime();
        long last = lastRenewal.get();
        if (now - last < RENEW_AT_MOST_EVERY.toNanos() || !lastRenewal.compareAndSet(last, now)) {
            return;
        }
        LOG.warn("The database refused a write as read-only (SQLState 25006): the server the pooled connections reach no"
                + " longer takes writes (a failover: a primary demoted, a writer turned reader). The pool's connections"
                + " are renewed (idle ones now, busy ones as they are given back), so that the next attempts reach"
                + " where the database's address points now");
        dataSource.flush(AgroalDataSource.FlushMode.GRACEFUL);
    }
}
