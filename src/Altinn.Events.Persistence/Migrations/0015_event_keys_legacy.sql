-- The writer looks up, for every event it stores, whether a key row from before migration 0011 (md5 of source and id,
-- no content hash) names the same event. Those rows are the only ones with a NULL content, and no writer makes new
-- ones, so they only grow fewer as retention deletes them. Until now the lookup probed the primary key of every key
-- row (a random page of the largest index per event); this partial index holds the legacy rows alone, so the probe
-- reads one small index, empty once the last legacy row is gone.
CREATE INDEX event_keys_legacy ON event_keys (key) WHERE content IS NULL;
