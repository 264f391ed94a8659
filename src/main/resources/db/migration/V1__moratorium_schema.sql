-- Moratorium state: policies, their exemptions, the applied-event history, rejections,
-- notifications and the transactional outbox.

CREATE TABLE policy (
    policy_id       VARCHAR(128) PRIMARY KEY,
    kind            VARCHAR(16)  NOT NULL,
    vendor          VARCHAR(200) NOT NULL,
    product         VARCHAR(200) NOT NULL,
    vendor_key      VARCHAR(200) NOT NULL,
    product_key     VARCHAR(200) NOT NULL,
    segments        JSONB        NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    effective_from  TIMESTAMPTZ  NOT NULL,
    effective_until TIMESTAMPTZ,
    lifted_at       TIMESTAMPTZ,
    jurisdiction    VARCHAR(200),
    reason          TEXT,
    source_url      TEXT,
    evaluated_at    TIMESTAMPTZ  NOT NULL,
    -- the next instant a time-driven change is due; NULL when none will ever be
    next_due_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ  NOT NULL,
    updated_at      TIMESTAMPTZ  NOT NULL
);
CREATE INDEX policy_vendor_product_idx ON policy (vendor_key, product_key);
CREATE INDEX policy_next_due_idx ON policy (next_due_at) WHERE next_due_at IS NOT NULL;
CREATE INDEX policy_status_idx ON policy (status);

CREATE SEQUENCE exemption_seq INCREMENT BY 50;
CREATE TABLE exemption (
    id               BIGINT PRIMARY KEY,
    policy_id        VARCHAR(128) NOT NULL REFERENCES policy (policy_id),
    position         INT          NOT NULL,
    organization     VARCHAR(200) NOT NULL,
    organization_key VARCHAR(200) NOT NULL,
    purpose          TEXT,
    granted_at       TIMESTAMPTZ,
    revoked_at       TIMESTAMPTZ
);
CREATE INDEX exemption_policy_idx ON exemption (policy_id);

CREATE SEQUENCE policy_event_seq INCREMENT BY 50;
CREATE TABLE policy_event (
    id              BIGINT PRIMARY KEY,
    event_id        VARCHAR(512) NOT NULL UNIQUE,
    policy_id       VARCHAR(128) NOT NULL,
    type            VARCHAR(64)  NOT NULL,
    source          TEXT,
    event_time      TIMESTAMPTZ  NOT NULL,
    data            JSON         NOT NULL, -- verbatim, as received
    received_at     TIMESTAMPTZ  NOT NULL,
    kafka_partition INT,
    kafka_offset    BIGINT
);
CREATE INDEX policy_event_policy_idx ON policy_event (policy_id, id);

CREATE SEQUENCE rejection_seq INCREMENT BY 50;
CREATE TABLE rejection (
    id              BIGINT PRIMARY KEY,
    topic           VARCHAR(249) NOT NULL,
    kafka_partition INT          NOT NULL,
    kafka_offset    BIGINT       NOT NULL,
    record_key      BYTEA,
    record_value    BYTEA,
    headers         JSONB        NOT NULL,
    reason_code     VARCHAR(32)  NOT NULL,
    reason_message  TEXT         NOT NULL,
    event_id        VARCHAR(512),
    received_at     TIMESTAMPTZ  NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    retry_count     INT          NOT NULL DEFAULT 0,
    last_retried_at TIMESTAMPTZ,
    resolution      TEXT,
    -- a redelivered record is recognised by where it was read, so it is never kept twice
    CONSTRAINT rejection_source_uq UNIQUE (topic, kafka_partition, kafka_offset)
);

-- Notifications and outbox rows take their ids one by one, under the writers' lock, so that
-- id order is commit order (cursors and per-policy publication order rely on it).
CREATE SEQUENCE notification_seq INCREMENT BY 1;
CREATE TABLE notification (
    seq             BIGINT PRIMARY KEY,
    notification_id VARCHAR(64)  NOT NULL UNIQUE,
    type            VARCHAR(64)  NOT NULL,
    policy_id       VARCHAR(128) NOT NULL,
    occurred_at     TIMESTAMPTZ  NOT NULL,
    created_at      TIMESTAMPTZ  NOT NULL,
    payload         JSON         NOT NULL -- verbatim, as published
);
CREATE INDEX notification_policy_idx ON notification (policy_id);

CREATE SEQUENCE outbox_seq INCREMENT BY 1;
CREATE TABLE outbox (
    id          BIGINT PRIMARY KEY,
    topic       VARCHAR(249) NOT NULL,
    record_key  BYTEA,
    payload     BYTEA,
    headers     JSONB        NOT NULL,
    created_at  TIMESTAMPTZ  NOT NULL
);

-- One replica at a time publishes the outbox, so records of a policy leave in order.
CREATE TABLE outbox_lease (
    id          INT PRIMARY KEY,
    holder      VARCHAR(128),
    held_until  TIMESTAMPTZ
);
INSERT INTO outbox_lease (id, holder, held_until) VALUES (1, NULL, NULL);
