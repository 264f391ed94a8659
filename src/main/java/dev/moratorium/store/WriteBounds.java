package dev.moratorium.store;

import dev.moratorium.config.MoratoriumConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.PreparedStatement;
import org.hibernate.Session;

/**
 * The writers' lock and idle-in-transaction timeouts ({@code moratorium.writers.*}) for a
 * transaction that does not take the writers' lock: a webhook subscription written
 * over HTTP, whose row a delivery worker's short transactions lock too. Unbounded, such a request
 * waited as long as the holder did — behind a frozen replica, until PostgreSQL ended its session a
 * minute later — with a pooled connection and a request thread held all the while, and an operator
 * retrying could take the pool from ingest. Bounded, it answers 503 {@code busy} with
 * {@code Retry-After} ({@link SqlStates#lockNotGranted}, in the API's error mapper). Not the statement timeout: deleting a subscription
 * deletes its delivery log with it, as long as a month of deliveries, which may take longer.
 */
@ApplicationScoped
public class WriteBounds {

    private static final String BOUNDS = "SELECT set_config('lock_timeout', ?, true),"
            + " set_config('idle_in_transaction_session_timeout', ?, true)";

    @Inject
    EntityManager em;

    @Inject
    MoratoriumConfig config;

    /** Must run first in the transaction; the bounds last until it ends. */
    public void apply() {
        MoratoriumConfig.WriterSettings writers = config.writers();
        em.unwrap(Session.class).doWork(c -> {
            try (PreparedStatement s = c.prepareStatement(BOUNDS)) {
                s.setString(1, writers.lockTimeout().toMillis() + "ms");
                s.setString(2, writers.idleInTransactionTimeout().toMillis() + "ms");
                s.executeQuery().close();
            }
        });
    }
}
