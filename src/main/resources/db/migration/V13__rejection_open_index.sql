-- The open rejections, newest first (the dashboard's list) and counted up to a cap (GET /ops/status),
-- without reading the resolved ones, which retention keeps for a while: a producer's bad day leaves
-- tens of thousands of either.
CREATE INDEX rejection_open_idx ON rejection (id) WHERE status = 'OPEN';
