-- The per-status counts of V5, kept on UPDATE only by the rows whose status changed.
--
-- V5's UPDATE trigger is statement-level with transition tables: right for a bulk update, but a
-- writer updates its policies as a JDBC batch of single-row UPDATEs, so every statement paid for
-- capturing its old and new rows, queuing the trigger and running its GROUP BY upsert -- also the
-- three statements in four that leave the status as it was. A row-level trigger with a WHEN
-- condition is tested by the executor itself, without calling the function: an update that keeps
-- the status costs nothing here. Measured (BENCHMARKS.md, seventh pass): a writer's 500-row batch
-- takes 1.15 x as long under V5's trigger (bench/policy-update); in a replay the UPDATE's statement
-- time fell by 13 %.
-- INSERT and DELETE keep V5's statement-level triggers: those come as multi-row statements.
DROP TRIGGER policy_status_count_update ON policy;

CREATE FUNCTION policy_status_count_move() RETURNS trigger AS $$
BEGIN
    -- both rows in one statement, in status order, so one move never takes them in the other order;
    -- transactions that move many rows can still meet in a cycle (PostgreSQL then aborts one), but
    -- the service's writers never run side by side: they hold the writers' lock
    INSERT INTO policy_status_count AS c (status, policies)
        SELECT status, delta FROM (VALUES (OLD.status, -1), (NEW.status, 1)) AS moves (status, delta)
        ORDER BY status
        ON CONFLICT (status) DO UPDATE SET policies = c.policies + excluded.policies;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER policy_status_count_move AFTER UPDATE OF status ON policy
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION policy_status_count_move();
