-- A rejection's header preview, cut once when it is kept (store.HeaderPreviews), so that listing
-- rejections reads a few kilobytes a row instead of parsing the whole headers column: a record may be
-- nearly all headers (2 MiB), and cutting 25 such rows at read time took PostgreSQL 6 s of CPU for
-- every refresh of the dashboard's newest 25. Rows kept before this migration stay NULL and are cut
-- at read time as before; nothing here reads the table.
ALTER TABLE rejection ADD COLUMN header_preview json, ADD COLUMN header_count integer;
