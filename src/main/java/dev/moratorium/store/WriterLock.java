package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

/**
 * One writer at a time, across every replica: each transaction that changes policies first takes
 * this PostgreSQL advisory lock (released at commit). Writes are short and batched, so the cost is
 * small, and in return the id order of notifications and outbox rows is their commit order — the
 * order cursors and per-policy publication rely on — and no two replicas ever apply a time-driven
 * change twice.
 */
@ApplicationScoped
public class WriterLock {

    /** An arbitrary constant naming this lock among the database's advisory locks. */
    private static final long KEY = 0x6d6f7261L; // "mora"

    @Inject
    EntityManager em;

    public void acquire() {
        em.createNativeQuery("SELECT pg_advisory_xact_lock(" + KEY + ")").getSingleResult();
    }
}
