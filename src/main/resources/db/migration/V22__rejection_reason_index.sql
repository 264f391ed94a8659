-- The rejections of one reason, whatever their status, in id order (GET /rejections?reason=): a page
-- of the few unknown-policy rejections must not walk past a producer's flood of malformed-json ones.
-- The open ones of a reason have their own, smaller index (V18).
CREATE INDEX rejection_reason_idx ON rejection (reason_code, id);
