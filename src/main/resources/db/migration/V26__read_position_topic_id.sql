-- Which topic the positions in read_position are of: its id, as the broker gives it. A topic deleted
-- and created again under the same name (to change its partitions, by mistake, or another cluster's
-- copy of it) starts again at offset 0 under a new id; the old topic's positions would skip the new
-- one's first records for good. The first assignment after this migration takes the positions kept
-- as the topic's it finds (ReadPositionRows.resumeAt).
CREATE TABLE read_position_topic (
    topic    VARCHAR(249) PRIMARY KEY,
    topic_id VARCHAR(32)  NOT NULL
);
