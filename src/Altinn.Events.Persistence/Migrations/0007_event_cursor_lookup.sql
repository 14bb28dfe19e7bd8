-- Cursor lookups by event id in one index probe. A query's `after` is an event id; finding its position in the
-- partitioned events table probes every day partition's id index (about 90 of them at full retention). The
-- unpartitioned de-duplication table already has a row per stored event, so it also carries the event's id and
-- sequence number; writers fill both from now on. Rows written before have NULLs and are found the old way.
ALTER TABLE event_keys ADD COLUMN id text, ADD COLUMN seq bigint;
CREATE INDEX event_keys_id ON event_keys (id) WHERE id IS NOT NULL;
