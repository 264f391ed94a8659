-- A parked outbox row's header preview, cut once by the database when the row is parked
-- (store.HeaderPreviews.previewOf's format, read by HeaderPreviews.read), so that listing parked rows
-- does not parse each row's whole headers column: a dead letter carries its input's headers, up to
-- 2 MiB. Rows parked before this migration stay NULL and are cut as they are listed.
ALTER TABLE outbox_parked ADD COLUMN header_preview json, ADD COLUMN header_count integer;
