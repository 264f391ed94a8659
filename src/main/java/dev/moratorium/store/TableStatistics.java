package dev.moratorium.store;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Keeps PostgreSQL's statistics of the written tables current while they grow fast.
 *
 * <p>A new deployment replays {@code policy-changes} into empty tables: hundreds of thousands of
 * rows within a minute, before autovacuum's first ANALYZE (it wakes once a minute by default).
 * Planned on statistics of empty tables, the per-batch look-ups (policies, exemptions, applied
 * event ids — a few hundred keys each) scan whole tables: measured, 35 M rows read for 100,000
 * events. PostgreSQL's advice after a bulk load is to ANALYZE; this does so each time the service
 * has applied as many events as the history held at the previous ANALYZE (so log₂(n) times in
 * all), in the background, one at a time.
 */
@ApplicationScoped
public class TableStatistics {

    private static final Logger LOG = Logger.getLogger(TableStatistics.class);
    /** Below this many applied events autovacuum keeps up on its own. */
    private static final long FIRST_ANALYZE_AFTER = 5_000;

    @Inject
    EntityManager em;

    private final AtomicLong appliedSinceAnalyze = new AtomicLong();
    private final AtomicLong threshold = new AtomicLong(FIRST_ANALYZE_AFTER);
    private final AtomicBoolean running = new AtomicBoolean();
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "table-statistics");
        t.setDaemon(true);
        return t;
    });

    /** Called after a batch committed with {@code applied} new events. */
    public void applied(int applied) {
        if (applied <= 0 || appliedSinceAnalyze.addAndGet(applied) < threshold.get()
                || !running.compareAndSet(false, true)) {
            return;
        }
        long since = appliedSinceAnalyze.getAndSet(0);
        executor.execute(() -> {
            try {
                long started = System.nanoTime();
                QuarkusTransaction.requiringNew().run(() ->
                        em.createNativeQuery("ANALYZE policy, exemption, policy_event").executeUpdate());
                long events = ((Number) QuarkusTransaction.requiringNew().call(() ->
                        em.createNativeQuery("SELECT reltuples::bigint FROM pg_class WHERE relname = 'policy_event'")
                                .getSingleResult())).longValue();
                threshold.set(Math.max(FIRST_ANALYZE_AFTER, events));
                LOG.debugf("ANALYZE after %d applied events took %d ms; next after %d more", since,
                        (System.nanoTime() - started) / 1_000_000, threshold.get());
            } catch (RuntimeException e) {
                LOG.debugf("ANALYZE skipped: %s", e.getMessage());
            } finally {
                running.set(false);
            }
        });
    }

    /**
     * Lets an ANALYZE under way finish before Quarkus closes the database (interrupted, it failed on a
     * closed connection pool); one still running after a few seconds is interrupted.
     */
    void stop(@Observes ShutdownEvent event) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
