-- An exemption is identified by its policy and its position in the policy's list, so that a change
-- writes only the rows it changed (a grant inserts one, a revocation updates one) instead of
-- deleting and rewriting the whole list. Positions are already 0..n-1 per policy.
ALTER TABLE exemption DROP CONSTRAINT exemption_pkey;
ALTER TABLE exemption DROP COLUMN id;
ALTER TABLE exemption ADD CONSTRAINT exemption_pkey PRIMARY KEY (policy_id, position);
-- the primary key's index serves lookups by policy
DROP INDEX exemption_policy_idx;
DROP SEQUENCE exemption_seq;
