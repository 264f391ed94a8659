-- Where the service has read each partition of policy-changes up to, as the database holds it:
-- written by the transaction that decides the records (applied, rejected or a duplicate), so it
-- always agrees with the state. A partition's consumer starts here rather than at the group's offset
-- in Kafka, which is committed after the database and kept apart from it: a database restored from a
-- backup is behind that offset, and the records in between were skipped for good (ReadPositionRows).
CREATE TABLE read_position (
    topic           VARCHAR(249) NOT NULL,
    kafka_partition INT          NOT NULL,
    next_offset     BIGINT       NOT NULL,
    PRIMARY KEY (topic, kafka_partition)
);

-- Whether the database held records' effects before positions were kept. If it did, a partition it
-- keeps no position for takes the group's committed offset (its records were decided before V25). A
-- database made with V25 keeps a position for every partition it decided anything of, so there no
-- position means nothing of the partition was decided: it is read from its first record, and a
-- database made anew under a group that had read the topic rebuilds from the topic.
CREATE TABLE read_position_origin (
    held_data BOOLEAN NOT NULL
);
INSERT INTO read_position_origin SELECT EXISTS (SELECT 1 FROM policy_event) OR EXISTS (SELECT 1 FROM rejection);
