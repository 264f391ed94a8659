-- Webhook subscribers (CONTRACT.md §5): each subscription delivers the notification table, in seq
-- (commit) order, to one URL. delivered_up_to is the cursor: the last notification seq delivered
-- (or passed over by the subscription's filters); it moves only after a 2xx, so delivery is
-- at least once and a crash resends with the same webhook-id.
CREATE TABLE webhook_subscription (
    id                    VARCHAR(36)   PRIMARY KEY,
    url                   VARCHAR(2048) NOT NULL,
    -- "whsec_" + base64; kept readable because every delivery is signed with it
    secret                VARCHAR(100)  NOT NULL,
    -- after a rotation the old secret still signs, alongside the new one, until previous_secret_until
    previous_secret       VARCHAR(100),
    previous_secret_until TIMESTAMPTZ,
    types                 JSONB         NOT NULL, -- notification types; [] = every type
    vendors               JSONB         NOT NULL, -- vendor name keys (policy.Names); [] = every vendor
    description           VARCHAR(500),
    status                VARCHAR(16)   NOT NULL, -- ACTIVE, PAUSED, FAILING, DISABLED
    delivered_up_to       BIGINT        NOT NULL,
    -- when the current run of failed attempts began; NULL while deliveries succeed
    failing_since         TIMESTAMPTZ,
    next_attempt_at       TIMESTAMPTZ   NOT NULL,
    attempts              INT           NOT NULL DEFAULT 0, -- failed attempts in a row
    last_error            TEXT,
    -- the delivery worker that has it (one at a time, across replicas), and until when
    lease_holder          VARCHAR(64),
    leased_until          TIMESTAMPTZ,
    -- grows with every change made over HTTP (pause, replay, rotation...): a worker that claimed an
    -- older version stops instead of overwriting it
    version               BIGINT        NOT NULL DEFAULT 0,
    created_at            TIMESTAMPTZ   NOT NULL,
    updated_at            TIMESTAMPTZ   NOT NULL
);
-- The workers' wait for due subscriptions reads this index only (ACTIVE rows, soonest first).
CREATE INDEX webhook_subscription_due_idx ON webhook_subscription (next_attempt_at) WHERE status = 'ACTIVE';

CREATE SEQUENCE webhook_delivery_seq INCREMENT BY 50;
-- Every attempt, for GET /subscriptions/{id}/deliveries.
CREATE TABLE webhook_delivery (
    id               BIGINT       PRIMARY KEY,
    subscription_id  VARCHAR(36)  NOT NULL REFERENCES webhook_subscription (id) ON DELETE CASCADE,
    notification_seq BIGINT       NOT NULL,
    webhook_id       VARCHAR(64)  NOT NULL,
    attempt          INT          NOT NULL,
    status_code      INT,
    duration_ms      INT          NOT NULL,
    error            TEXT,
    attempted_at     TIMESTAMPTZ  NOT NULL
);
CREATE INDEX webhook_delivery_subscription_idx ON webhook_delivery (subscription_id, id);
