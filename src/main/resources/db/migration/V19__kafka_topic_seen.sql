-- What the service last saw of a topic it publishes to (ops.StateTopicWatch, for moratorium-state):
-- Kafka's id of the topic and its partitions. A topic deleted and made anew has a new id, and its
-- records are gone: the service then publishes every policy's current state to it again. Partitions
-- added in place leave a policy's stale state in the partition it used to map to, next to its new
-- one; partitions_when_made keeps the count this id was first seen with, so that every replica
-- reports the difference until the topic is made anew (runbook: "Changing a topic's partitions").
-- One row a topic, written only when what is seen changes.
CREATE TABLE kafka_topic_seen (
    topic                VARCHAR(249) PRIMARY KEY,
    topic_id             VARCHAR(22)  NOT NULL, -- Kafka's Uuid, as its toString() writes it
    previous_topic_id    VARCHAR(22),           -- the id it replaced: a replica's late look at the old topic is not a change
    partitions           INTEGER      NOT NULL,
    partitions_when_made INTEGER      NOT NULL,
    first_seen_at        TIMESTAMPTZ  NOT NULL, -- when this id was first seen
    changed_at           TIMESTAMPTZ  NOT NULL
);
