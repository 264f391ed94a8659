-- When moratorium-state was first seen set to delete records (cleanup.policy with delete and a
-- retention.ms or retention.bytes limit; ops.StateTopicCleanup), and the settings seen: the broker may
-- have deleted policies' last states since, so when the topic keeps them again, the replica that
-- clears these columns publishes every current state again (ops.StateTopicWatch). NULL while the
-- topic keeps every last state, and when it is made anew (that refill covers it).
ALTER TABLE kafka_topic_seen
    ADD COLUMN states_at_risk_since    TIMESTAMPTZ,
    ADD COLUMN states_at_risk_settings VARCHAR(300);
