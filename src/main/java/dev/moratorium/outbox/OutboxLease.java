package dev.moratorium.outbox;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;
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

    /** Takes or renews the lease for {@code length}; false if another holder's lease is still valid. */
    boolean acquire(String holder, Duration length) {
        bound(length);
        return em.createNativeQuery("UPDATE outbox_lease SET holder = :holder,"
                + " held_until = clock_timestamp() + make_interval(secs => :seconds)"
                + " WHERE id = (SELECT id FROM outbox_lease WHERE id = 1 AND (holder = :holder"
                + " OR held_until IS NULL OR held_until < clock_timestamp()) FOR UPDATE SKIP LOCKED)")
                .setParameter("holder", holder)
                .setParameter("seconds", seconds(length))
                .executeUpdate() == 1;
    }

    /**
     * The fence: renews the lease only if this holder still holds it and it has not run out. Taken
     * in the transaction that deletes published rows, it locks the lease row until that commits, so
     * no other replica takes over in between.
     */
    boolean renewIfStillHeld(String holder, Duration length) {
        bound(length);
        return em.createNativeQuery("UPDATE outbox_lease"
                + " SET held_until = clock_timestamp() + make_interval(secs => :seconds)"
                + " WHERE id = 1 AND holder = :holder AND held_until > clock_timestamp()")
                .setParameter("holder", holder)
                .setParameter("seconds", seconds(length))
                .executeUpdate() == 1;
    }

    /** The lock wait and the idle time of the caller's transaction, for as long as it lasts (SET LOCAL). */
    private void bound(Duration lease) {
        em.createNativeQuery("SELECT set_config('lock_timeout', :lock, true),"
                + " set_config('idle_in_transaction_session_timeout', :idle, true)")
                .setParameter("lock", LOCK_TIMEOUT.toMillis() + "ms")
                .setParameter("idle", lease.toMillis() + "ms")
                .setFlushMode(FlushModeType.COMMIT) // nothing pending concerns a setting
                .getSingleResult();
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
