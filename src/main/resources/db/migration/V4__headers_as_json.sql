-- Kafka header keys are any string, NUL included, and a rejected record must be kept and
-- dead-lettered whatever it carries. jsonb refuses "\u0000" (it has no text form for it); json keeps
-- the text as written and accepts it. Nothing queries inside these columns, so json loses nothing.
ALTER TABLE rejection ALTER COLUMN headers TYPE json USING headers::text::json;
ALTER TABLE outbox ALTER COLUMN headers TYPE json USING headers::text::json;
