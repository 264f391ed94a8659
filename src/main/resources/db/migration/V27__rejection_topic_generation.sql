-- A rejection is kept once per record, by where it was read (topic, partition, offset), so that a
-- record read again is recognised and not decided again. A topic made anew under the same name starts
-- again at offset 0: its records at offsets where the old topic had rejections were taken for those
-- rejections read again and skipped for good, valid records among them. Each topic name now counts
-- its incarnations (raised when the broker gives it another id: ReadPositionRows), and a rejection
-- belongs to the incarnation it was read from; only those of the present one are recognised.
ALTER TABLE read_position_topic ADD COLUMN generation INT NOT NULL DEFAULT 0;
ALTER TABLE rejection ADD COLUMN topic_generation INT NOT NULL DEFAULT 0;
ALTER TABLE rejection DROP CONSTRAINT rejection_source_uq;
ALTER TABLE rejection ADD CONSTRAINT rejection_source_uq UNIQUE (topic, topic_generation, kafka_partition, kafka_offset);
