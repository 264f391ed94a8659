package dev.moratorium.store;

import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
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
 *
 * <p>While the database's address still points at the read-only server (a DNS name not moved yet),
 * the new connections are refused too, and the pool is renewed again every
 * {@link #RENEW_AT_MOST_EVERY}: said in one WARN a minute with how many renewals it stands for
 * ({@code moratorium_database_pool_renewals_total} counts each), not in a line every 2 s.
 */
@ApplicationScoped
public class ReadOnlyConnections {

    /** PostgreSQL's {@code read_only_sql_transaction}: a write in a read-only transaction or on a standby. */
    static final String READ_ONLY_SQL_TRANSACTION = "25006";
    /** A refusal seen by several loops at once renews the pool once; later ones renew it again. */
    static final Duration RENEW_AT_MOST_EVERY = Duration.ofSeconds(2);
    /** A read-only spell of minutes is one line a minute, as {@code RepeatedFailureLog} says outages. */
    static final Duration WARN_AT_MOST_EVERY = Duration.ofMinutes(1);
    private static final Logger LOG = Logger.getLogger(ReadOnlyConnections.class);

    @Inject
    AgroalDataSource dataSource;

    @Inject
    MeterRegistry registry;

    private final AtomicLong lastRenewal = new AtomicLong(System.nanoTime() - RENEW_AT_MOST_EVERY.toNanos());
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_AT_MOST_EVERY.toNanos());
    private final AtomicLong renewalsUnsaid = new AtomicLong();
    private Counter renewals;

    @PostConstruct
    void registerCounter() {
        renewals = Counter.builder("moratorium.database.pool.renewals")
                .description("Times the connection pool was renewed because the database refused a write as read-only"
                        + " (SQLState 25006, a failover)")
                .register(registry);
    }

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
        dataSource.flush(AgroalDataSource.FlushMode.GRACEFUL);
        renewals.increment();
        long unsaid = renewalsUnsaid.incrementAndGet();
        long warned = lastWarning.get();
        if (now - warned < WARN_AT_MOST_EVERY.toNanos() || !lastWarning.compareAndSet(warned, now)) {
            LOG.debug("The pool was renewed again: the database still refuses writes as read-only");
            return;
        }
        renewalsUnsaid.addAndGet(-unsaid);
        LOG.warnf("The database refused a write as read-only (SQLState 25006): the server the pooled connections reach no"
                + " longer takes writes (a failover: a primary demoted, a writer turned reader). The pool's connections"
                + " are renewed (idle ones now, busy ones as they are given back), so that the next attempts reach"
                + " where the database's address points now%s", unsaid > 1 ? " (renewed " + unsaid + " times since the"
                        + " last such line: the address still reached a read-only server)" : "");
    }
}
