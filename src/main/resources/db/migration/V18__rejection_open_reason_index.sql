-- The open rejections of one reason, oldest first (POST /rejections/retry?reason=): a retry of the
-- few unknown-policy ones must not walk past a producer's hundred thousand malformed ones.
CREATE INDEX rejection_open_reason_idx ON rejection (reason_code, id) WHERE status = 'OPEN';
