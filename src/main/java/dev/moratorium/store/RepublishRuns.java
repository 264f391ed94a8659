package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import org.hibernate.Session;

/**
 * The run that publishes every current state again, as {@code state_republish} (V20) holds it: one
 * row at most, held by one replica at a time for a lease it renews with every chunk. Every
 * statement runs in the caller's transaction and compares leases with the database's clock, so
 * replicas' clocks do not matter; a holder's statements name the generation it holds, so a run
 * started again (or taken over) is never moved on by the replica that held it before.
 */
@ApplicationScoped
public class RepublishRuns {

    /** The row. {@code afterPolicy} is the last policy queued, {@code ""} before the first. */
    public record Run(String status, String reason, String startedAfter, String afterPolicy, long queued,
            long generation, String holder, Instant startedAt, Instant endedAt) {

        public boolean running() {
            return "RUNNING".equals(status);
        }
    }

    private static final String COLUMNS = "status, reason, started_after, after_policy, queued, generation, holder,"
            + " started_at, ended_at";

    static final Duration LOCK_WAIT = Duration.ofSeconds(2);

    @Inject
    EntityManager em;

    public Optional<Run> read() {
        return query("SELECT " + COLUMNS + " FROM state_republish WHERE id = 1");
    }

    /**
     * Starts a run after {@code after} ({@code ""}: from the first policy), held by {@code holder}.
     *
     * @return its generation; empty if one is running (on any replica)
     */
    public OptionalLong start(String after, String reason, String holder, Duration lease) {
        boundLockWait();
        Optional<Run> run = query("INSERT INTO state_republish (id, status, reason, started_after, after_policy, queued,"
                + " generation, holder, held_until, started_at, ended_at) VALUES (1, 'RUNNING', ?, ?, ?, 0, 1, ?,"
                + " clock_timestamp() + make_interval(secs => ?), clock_timestamp(), NULL) ON CONFLICT (id) DO UPDATE"
                + " SET status = 'RUNNING', reason = excluded.reason, started_after = excluded.started_after,"
                + " after_policy = excluded.after_policy, queued = 0, generation = state_republish.generation + 1,"
                + " holder = excluded.holder, held_until = excluded.held_until, started_at = excluded.started_at,"
                + " ended_at = NULL WHERE state_republish.status <> 'RUNNING' RETURNING " + COLUMNS,
                reason, after.isEmpty() ? null : after, after, holder, seconds(lease));
        return run.map(r -> OptionalLong.of(r.generation())).orElse(OptionalLong.empty());
    }

    /**
     * Starts a run from the first policy, whether one is running or not: what a run queued so far may
     * have gone to a topic that is gone. A running run keeps its holder, which finds its generation
     * outdated at its next chunk and goes on from the first policy; otherwise any replica may take it.
     */
    public void startFromFirst(String reason) {
        boundLockWait();
        query("INSERT INTO state_republish (id, status, reason, started_after, after_policy, queued, generation,"
                + " holder, held_until, started_at, ended_at) VALUES (1, 'RUNNING', ?, NULL, '', 0, 1, NULL, NULL,"
                + " clock_timestamp(), NULL) ON CONFLICT (id) DO UPDATE SET reason = excluded.reason,"
                + " started_after = NULL, after_policy = '', queued = 0, generation = state_republish.generation + 1,"
                + " holder = CASE WHEN state_republish.status = 'RUNNING' THEN state_republish.holder END,"
                + " held_until = CASE WHEN state_republish.status = 'RUNNING' THEN state_republish.held_until END,"
                + " status = 'RUNNING', started_at = excluded.started_at, ended_at = NULL RETURNING " + COLUMNS,
                reason);
    }

    /**
     * Takes the running run for {@code lease} if nobody holds it, its holder's lease has run out, or
     * it is this holder's (after a generation change); empty otherwise. Skips a row locked by another
     * transaction (a frozen holder's) rather than wait for it.
     */
    public Optional<Run> claim(String holder, Duration lease) {
        return query("UPDATE state_republish SET holder = ?, held_until = clock_timestamp() + make_interval(secs => ?)"
                + " WHERE id = (SELECT id FROM state_republish WHERE id = 1 AND status = 'RUNNING' AND (holder IS NULL"
                + " OR holder = ? OR held_until < clock_timestamp()) FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS,
                holder, seconds(lease), holder);
    }

    /** Moves the run on past {@code last} ({@code queued} more) and renews the lease; false if it is no longer held so. */
    public boolean advance(String holder, long generation, String last, int queued, Duration lease) {
        return update("UPDATE state_republish SET after_policy = ?, queued = queued + ?,"
                + " held_until = clock_timestamp() + make_interval(secs => ?)"
                + " WHERE id = 1 AND status = 'RUNNING' AND holder = ? AND generation = ?",
                last, queued, seconds(lease), holder, generation);
    }

    /** Renews the lease while the run waits; false if it is no longer held so. */
    public boolean renew(String holder, long generation, Duration lease) {
        return update("UPDATE state_republish SET held_until = clock_timestamp() + make_interval(secs => ?)"
                + " WHERE id = 1 AND status = 'RUNNING' AND holder = ? AND generation = ?",
                seconds(lease), holder, generation);
    }

    /** Ends the run: no policy is left after its cursor; false if it is no longer held so. */
    public boolean finish(String holder, long generation) {
        return update("UPDATE state_republish SET status = 'FINISHED', ended_at = clock_timestamp(), holder = NULL,"
                + " held_until = NULL WHERE id = 1 AND status = 'RUNNING' AND holder = ? AND generation = ?",
                holder, generation);
    }

    /** Lets go of the run (the replica stops): another replica takes it at its next look, not a lease later. */
    public void release(String holder) {
        update("UPDATE state_republish SET holder = NULL, held_until = NULL WHERE id = 1 AND holder = ?", holder);
    }

    /**
     * The row is locked for as long as a holder's chunk transaction lasts; a holder frozen inside one
     * keeps it locked until PostgreSQL ends its idle session. A start waits at most
     * {@link #LOCK_WAIT} for it, then fails with SQLState 55P03 (over HTTP: 503 {@code busy}).
     */
    private void boundLockWait() {
        query0("SELECT set_config('lock_timeout', ?, true)", LOCK_WAIT.toMillis() + "ms");
    }

    private void query0(String sql, Object... values) {
        em.unwrap(Session.class).doWork(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                bind(s, values);
                s.execute();
            }
        });
    }

    private Optional<Run> query(String sql, Object... values) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                bind(s, values);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(run(rs)) : Optional.<Run>empty();
                }
            }
        });
    }

    private int updateCount(String sql, Object... values) {
        return em.unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                bind(s, values);
                return s.executeUpdate();
            }
        });
    }

    private boolean update(String sql, Object... values) {
        return updateCount(sql, values) == 1;
    }

    private static void bind(PreparedStatement s, Object... values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            s.setObject(i + 1, values[i]);
        }
    }

    private static Run run(ResultSet rs) throws SQLException {
        return new Run(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                rs.getLong(6), rs.getString(7), instant(rs.getTimestamp(8)), instant(rs.getTimestamp(9)));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
