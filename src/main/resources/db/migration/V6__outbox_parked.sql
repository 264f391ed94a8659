-- Outbox rows the broker refused for good (too large, an invalid topic, ...). The relay moves such
-- a row here, with the reason, in the transaction that deletes the rows published around it, and
-- goes on with the next rows: one bad row never stops publication. An operator lists them
-- (GET /outbox/parked) and re-drives one (POST /outbox/parked/{id}/redrive) once it can be published.
CREATE TABLE outbox_parked (
    id          BIGINT PRIMARY KEY, -- the id it had in the outbox
    topic       VARCHAR(249) NOT NULL,
    record_key  BYTEA,
    payload     BYTEA,
    headers     JSONB        NOT NULL,
    created_at  TIMESTAMPTZ  NOT NULL,
    reason      TEXT         NOT NULL,
    parked_at   TIMESTAMPTZ  NOT NULL
);
