package dev.moratorium.outbox;

import dev.moratorium.store.FrozenLockHolders;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import org.hibernate.Session;

/**
 * The right to publish the outbox, held by one replica at a time: the single row of
 * {@code outbox_lease}, with the holder's name and the database time it is held until. Every
 * statement runs in the caller's transaction and compares with the database's clock, so replicas'
 * clocks do not matter.
 *
 * <p>No relay ever waits for another's lock on the row. A replica that freezes (a long GC pause,
 * a stopped VM) inside one of its lease transactions keeps the row locked; an {@code UPDATE} that
 * waited for it would freeze the other replica's relay too, for as long as the freeze lasts. So
 * {@link #acquire} skips a locked row (it is simply not acquired this round), every lease
 * transaction gives up waiting for a lock after {@link #LOCK_TIMEOUT}, and PostgreSQL ends the
 * session of a transaction left idle for longer than the lease: the frozen holder's lock goes with
 * its session, the lease runs out meanwhile, and another replica takes over.
 *
 * <p>Not idle, though, if it froze while PostgreSQL sends it a round's rows and the socket buffers
 * are full (a backlog of 2 MiB dead letters fills them): PostgreSQL holds off its timeouts then. So
 * a replica that cannot take the lease ends, now and then, a session that locks the lease row once
 * the lease has run out and that session's statement is older than a lease
 * ({@link FrozenLockHolders}, {@link #HOLDERS}).
 */
@ApplicationScoped
public class OutboxLease {

    /** Longer than any healthy lease transaction waits (they touch one row and delete their own rows). */
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(2);

    @Inject
    EntityManager em;

    /**
     * The lock wait and the idle time of the caller's transaction, for as long as it lasts: SET
     * LOCAL by {@code set_config(..., true)}, joined to each lease statement so that it costs no
     * round trip of its own. OFFSET 0 keeps it a separate step, computed before the joined row is
     * updated, so the lock timeout bounds that update's wait (OutboxLeaseFenceTest).
     */
    private static final String BOUNDS = "(SELECT set_config('lock_timeout', ?, true) AS lock_timeout,"
            + " set_config('idle_in_transaction_session_timeout', ?, true) AS idle_timeout OFFSET 0) AS bounds";

    /** Parameters: the holder, the lease's length in seconds, BOUNDS' two, the holder. */
    private static final String ACQUIRE = "UPDATE outbox_lease SET holder = ?,"
            + " held_until = clock_timestamp() + make_interval(secs => ?) FROM " + BOUNDS
            + " WHERE outbox_lease.id = (SELECT id FROM outbox_lease WHERE id = 1 AND (holder = ?"
            + " OR held_until IS NULL OR held_until < clock_timestamp()) FOR UPDATE SKIP LOCKED)";

    /** Parameters: the lease's length in seconds, BOUNDS' two, the holder. */
    private static final String RENEW = "UPDATE outbox_lease"
            + " SET held_until = clock_timestamp() + make_interval(secs => ?) FROM " + BOUNDS
            + " WHERE outbox_lease.id = 1 AND outbox_lease.holder = ?"
            + " AND outbox_lease.held_until > clock_timestamp()";

    /**
     * The session whose transaction locks the lease row (the row's xmax is its transaction id) when
     * the lease has run out. Its transaction renewed the lease before the statement it is frozen in,
     * so with that statement older than a lease, that renewal has run out too.
     */
    static final String HOLDERS = "SELECT l.pid FROM outbox_lease o JOIN pg_locks l ON l.locktype = 'transactionid'"
            + " AND l.transactionid = o.xmax AND l.mode = 'ExclusiveLock' AND l.granted"
            + " WHERE o.id = 1 AND o.held_until < clock_timestamp()";

    @Inject
    FrozenLockHolders frozenHolders;

    /** When a replica that could not take the lease next looks for a frozen holder (System.nanoTime). */
    private volatile long nextFrozenHolderCheck = System.nanoTime();

    /** Takes or renews the lease for {@code length}; false if another holder's lease is still valid. */
    boolean acquire(String holder, Duration length) {
        boolean taken = update(ACQUIRE, length, holder, true);
        if (!taken && System.nanoTime() - nextFrozenHolderCheck >= 0) {
            // at most once per lock timeout: a replica that is not the holder tries at every commit it sees
            nextFrozenHolderCheck = System.nanoTime() + LOCK_TIMEOUT.toNanos();
            frozenHolders.end("the outbox lease", HOLDERS, length);
        }
        return taken;
    }

    /**
     * The fence: renews the lease only if this holder still holds it and it has not run out. Taken
     * in the transaction that deletes published rows, it locks the lease row until that commits, so
     * no other replica takes over in between.
     */
    boolean renewIfStillHeld(String holder, Duration length) {
        return update(RENEW, length, holder, false);
    }

    /**
     * Plain JDBC on the transaction's connection: the relay runs two of these per round, and as
     * Hibernate native queries they allocated 17 kB a round (BENCHMARKS.md, "eighth pass").
     * Positional parameters, in the order the statements above name them.
     */
    private boolean update(String sql, Duration lease, String holder, boolean holderTwice) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                int i = 1;
                if (holderTwice) {
                    s.setString(i++, holder);
                }
                s.setDouble(i++, seconds(lease));
                s.setString(i++, LOCK_TIMEOUT.toMillis() + "ms");
                s.setString(i++, lease.toMillis() + "ms");
                s.setString(i, holder);
                return s.executeUpdate() == 1;
            }
        });
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
