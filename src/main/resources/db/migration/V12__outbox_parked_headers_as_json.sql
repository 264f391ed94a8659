-- V4's reason, missed by V6: Kafka header names are any string, NUL included, and jsonb refuses
-- an escaped NUL. A dead letter carries its input record's headers, so parking one whose record had such a
-- name failed the relay's transaction, and with it every later round: publication stopped for all.
-- json keeps the text as written.
ALTER TABLE outbox_parked ALTER COLUMN headers TYPE json USING headers::text::json;
