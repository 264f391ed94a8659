-- The parked rows of one topic in id order (POST /outbox/parked/redrive?topic=): a redrive of the few
-- refused state rows must not walk past a topic's hundred thousand parked notifications.
CREATE INDEX outbox_parked_topic_idx ON outbox_parked (topic, id);
