-- A history row's data size in bytes, written with the row, so that a page of a policy's history
-- can stop at a byte budget by summing a column rather than reading every row's data: an event
-- is up to 64 KiB, and 501 such rows, read whole and parsed for one page, ended the service (a
-- 160 MB heap) on a single request. Rows written before this migration stay NULL and are measured
-- as they are paged (coalesce); nothing here reads the table.
ALTER TABLE policy_event ADD COLUMN data_bytes integer;
