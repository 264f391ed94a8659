package dev.moratorium.outbox;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;

/**
 * The right to publish the outbox, held by one replica at a time: the single row of
 * {@code outbox_lease}, with the holder's name and the database time it is held until. Every
 * statement runs in the caller's transaction and compares with the database's clock, so replicas'
 * clocks do not matter.
 */
@ApplicationScoped
public class OutboxLease {

    @Inject
    EntityManager em;

    /** Takes or renews the lease for {@code length}; false if another holder's lease is still valid. */
    boolean acquire(String holder, Duration length) {
        return em.createNativeQuery("UPDATE outbox_lease SET holder = :holder,"
                + " held_until = clock_timestamp() + make_interval(secs => :seconds)"
                + " WHERE id = 1 AND (holder = :holder OR held_until IS NULL OR held_until < clock_timestamp())")
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
        return em.createNativeQuery("UPDATE outbox_lease"
                + " SET held_until = clock_timestamp() + make_interval(secs => :seconds)"
                + " WHERE id = 1 AND holder = :holder AND held_until > clock_timestamp()")
                .setParameter("holder", holder)
                .setParameter("seconds", seconds(length))
                .executeUpdate() == 1;
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
