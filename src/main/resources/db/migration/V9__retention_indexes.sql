-- Retention deletes the oldest published notifications and long-resolved rejections a chunk at a
-- time; these indexes let each chunk find its rows without reading the tables from the start.
CREATE INDEX notification_created_idx ON notification (created_at);
CREATE INDEX rejection_resolved_idx ON rejection (last_retried_at) WHERE status = 'RESOLVED';
