-- A version that grows with every write of a policy, so that each replica can keep its in-memory
-- access index current by asking only for what changed since the last version it saw. A trigger
-- assigns it (no extra round trip per write); writers hold the writers' lock, so version order is
-- commit order.
CREATE SEQUENCE policy_version_seq;
ALTER TABLE policy ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
UPDATE policy SET version = nextval('policy_version_seq');

CREATE FUNCTION policy_next_version() RETURNS trigger AS $$
BEGIN
    NEW.version := nextval('policy_version_seq');
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER policy_version_trigger BEFORE INSERT OR UPDATE ON policy
    FOR EACH ROW EXECUTE FUNCTION policy_next_version();

CREATE INDEX policy_version_idx ON policy (version);
