-- Costs that stay flat as the number of policies grows.
--
-- 1. "Which policies cover segment s" as an indexed query. A policy covers s when its segments
--    include s or "*" (everyone); with the segments' keys in an array and a GIN index on it,
--    `segment_keys && ARRAY[key(s), '*']` is an index look-up instead of reading every policy's
--    JSON. The writer fills it with dev.moratorium.policy.Names.key; the back-fill here uses
--    lower(trim(...)), which is what Names.key was when these rows were written.
--    The back-fill's UPDATE goes through policy_version_trigger, so every policy gets a new
--    version: a running replica's access index simply reads them all again.
ALTER TABLE policy ADD COLUMN segment_keys TEXT[];
UPDATE policy SET segment_keys = ARRAY(SELECT lower(trim(s)) FROM jsonb_array_elements_text(segments) AS s);
ALTER TABLE policy ALTER COLUMN segment_keys SET NOT NULL;
CREATE INDEX policy_segment_keys_idx ON policy USING GIN (segment_keys);

-- 2. Policies per status, kept by the database itself, so that the dashboard's figures and the
--    unfiltered total of GET /moratoria cost one tiny read instead of counting the policy table.
--    Statement-level triggers with transition tables: a bulk insert updates each status's row
--    once, and an update that leaves every status as it was writes nothing here.
CREATE TABLE policy_status_count (
    status   VARCHAR(16) PRIMARY KEY,
    policies BIGINT      NOT NULL
);
INSERT INTO policy_status_count (status, policies) SELECT status, count(*) FROM policy GROUP BY status;

CREATE FUNCTION policy_status_count_maintain() RETURNS trigger AS $$
BEGIN
    -- rows are upserted in status order, so two writers never wait for each other in a cycle
    IF TG_OP = 'INSERT' THEN
        INSERT INTO policy_status_count AS c (status, policies)
            SELECT status, count(*) FROM new_rows GROUP BY status ORDER BY status
            ON CONFLICT (status) DO UPDATE SET policies = c.policies + excluded.policies;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO policy_status_count AS c (status, policies)
            SELECT status, sum(delta) FROM (
                SELECT status, 1 AS delta FROM new_rows
                UNION ALL
                SELECT status, -1 FROM old_rows) AS changes
            GROUP BY status HAVING sum(delta) <> 0 ORDER BY status
            ON CONFLICT (status) DO UPDATE SET policies = c.policies + excluded.policies;
    ELSE
        INSERT INTO policy_status_count AS c (status, policies)
            SELECT status, -count(*) FROM old_rows GROUP BY status ORDER BY status
            ON CONFLICT (status) DO UPDATE SET policies = c.policies + excluded.policies;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER policy_status_count_insert AFTER INSERT ON policy
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION policy_status_count_maintain();
CREATE TRIGGER policy_status_count_update AFTER UPDATE ON policy
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION policy_status_count_maintain();
CREATE TRIGGER policy_status_count_delete AFTER DELETE ON policy
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION policy_status_count_maintain();

-- A TRUNCATE (an operator's clean start) fires no row or transition-table trigger: start from zero.
CREATE FUNCTION policy_status_count_reset() RETURNS trigger AS $$
BEGIN
    DELETE FROM policy_status_count;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER policy_status_count_truncate AFTER TRUNCATE ON policy
    FOR EACH STATEMENT EXECUTE FUNCTION policy_status_count_reset();
