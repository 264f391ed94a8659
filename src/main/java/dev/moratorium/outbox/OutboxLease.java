package dev.moratorium.outbox;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;
import java.time.Duration;

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
    private static final String BOUNDS = "(SELECT set_config('lock_timeout', :lock, true) AS lock_timeout,"
            + " set_config('idle_in_transaction_session_timeout', :idle, true) AS idle_timeout OFFSET 0) AS bounds";

    /** Takes or renews the lease for {@code length}; false if another holder's lease is still valid. */
    boolean acquire(String holder, Duration length) {
        return bounded(em.createNativeQuery("UPDATE outbox_lease SET holder = :holder,"
                + " held_until = clock_timestamp() + make_interval(secs => :seconds) FROM " + BOUNDS
                + " WHERE outbox_lease.id = (SELECT id FROM outbox_lease WHERE id = 1 AND (holder = :holder"
                + " OR held_until IS NULL OR held_until < clock_timestamp()) FOR UPDATE SKIP LOCKED)"), length)
                .setParameter("holder", holder)
                .executeUpdate() == 1;
    }

    /**
     * The fence: renews the lease only if this holder still holds it and it has not run out. Taken
     * in the transaction that deletes published rows, it locks the lease row until that commits, so
     * no other replica takes over in between.
     */
    boolean renewIfStillHeld(String holder, Duration length) {
        return bounded(em.createNativeQuery("UPDATE outbox_lease"
                + " SET held_until = clock_timestamp() + make_interval(secs => :seconds) FROM " + BOUNDS
                + " WHERE outbox_lease.id = 1 AND outbox_lease.holder = :holder"
                + " AND outbox_lease.held_until > clock_timestamp()"), length)
                .setParameter("holder", holder)
                .executeUpdate() == 1;
    }

    private static Query bounded(Query update, Duration lease) {
        return update.setParameter("lock", LOCK_TIMEOUT.toMillis() + "ms")
                .setParameter("idle", lease.toMillis() + "ms")
                .setParameter("seconds", seconds(lease));
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
