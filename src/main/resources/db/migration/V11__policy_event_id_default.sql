-- The history is written with COPY (AppendOnlyRows), which cannot call nextval() per row the way
-- INSERT ... VALUES (nextval('policy_event_seq'), ...) did; the column's default does, row by row
-- in the order the rows are sent, and PostgreSQL still inserts them in blocks (a nextval() default
-- is the one volatile default that keeps COPY's multi-row inserts).
ALTER TABLE policy_event ALTER COLUMN id SET DEFAULT nextval('policy_event_seq');
