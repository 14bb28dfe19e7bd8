-- Events, their de-duplication keys, and the transactional outbox that feeds the inbound queue.

-- Every stored event, range-partitioned by day of registration so retention drops partitions.
-- seq orders the store and the query cursors. Writers hold the advisory lock 'events_write' from taking their
-- sequence numbers until they commit, so events commit in seq order: a reader that has seen seq N will never later
-- find a committed event below N (see docs/architecture.md, "Fresh reads"). xact_id records the writing
-- transaction for diagnostics.
CREATE SEQUENCE events_seq AS bigint;

CREATE TABLE events (
    seq                 bigint      NOT NULL DEFAULT nextval('events_seq'),
    registered          timestamptz NOT NULL,
    id                  text        NOT NULL,
    source              text        NOT NULL,
    resource            text        NOT NULL,
    type                text        NOT NULL,
    subject             text,
    alternative_subject text,
    party_id            integer,
    time                timestamptz,
    xact_id             xid8        NOT NULL DEFAULT pg_current_xact_id(),
    cloudevent          text        NOT NULL,
    PRIMARY KEY (seq, registered)
) PARTITION BY RANGE (registered);

-- One index per access path of the query API, each ending in seq so a page is an index range scan:
-- GET /events (resource [+ subject | alternative subject]), GET /app/{org}/{app} (resource [+ party]),
-- GET /app/party (party), and the cursor lookup by event id.
CREATE INDEX events_resource_seq ON events (resource, seq);
CREATE INDEX events_subject_seq ON events (subject, seq) WHERE subject IS NOT NULL;
CREATE INDEX events_alternative_subject_seq ON events (alternative_subject, seq) WHERE alternative_subject IS NOT NULL;
CREATE INDEX events_party_seq ON events (party_id, seq) WHERE party_id IS NOT NULL;
CREATE INDEX events_id ON events (id);

SELECT ensure_daily_partitions('events', (now() AT TIME ZONE 'UTC')::date - 1, 8);

-- One stored copy per (id, source) across all partitions: a unique index on a partitioned table must contain the
-- partition key, so uniqueness lives in this unpartitioned table, keyed by a hash of the pair. Retention deletes
-- its expired rows in batches (the BRIN index finds them without a scan).
CREATE TABLE event_keys (
    key        uuid        PRIMARY KEY,
    registered timestamptz NOT NULL
);
CREATE INDEX event_keys_registered ON event_keys USING brin (registered);

-- Stored events not yet handed to the inbound queue. A row commits with its event; the relay deletes it only
-- after the queue accepted it, taking rows with FOR UPDATE SKIP LOCKED so several relays never share one and
-- none is skipped, whatever order the sequence numbers committed in.
CREATE TABLE outbox (
    seq        bigint      PRIMARY KEY,
    registered timestamptz NOT NULL
);
