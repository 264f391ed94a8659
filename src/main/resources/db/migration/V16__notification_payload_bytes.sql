-- A notification's payload size in bytes, written with the row, so that reads which stop at a byte
-- budget (the live feed, GET /notifications, the webhook workers) sum a column instead of measuring
-- every payload they ask for: PostgreSQL detoasted each of them to take its octet_length, and a
-- page of 500 over notifications of 768 KiB cost 1.2 s of its CPU to return two rows. Rows written
-- before this migration stay NULL and are measured as before (coalesce); nothing here reads the table.
ALTER TABLE notification ADD COLUMN payload_bytes integer;
