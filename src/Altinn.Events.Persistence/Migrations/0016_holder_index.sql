-- The holder index (issue 19): for every consumer that holds a role for a party in the local register (party_roles),
-- the events of that party, by sequence. A query over every party the caller acts for (GET /app/party without a party,
-- GET /events without a subject) reads the caller's rows of this index instead of walking the whole store and keeping
-- the share of rows that belong to one of its thousands of parties.
--
-- Kept by the API's holder indexer (HolderIndexStore) from a cursor of its own, in sequence order: events commit in
-- sequence order, so nothing below the cursor can still appear. A query reads the index up to the cursor and the store
-- itself past it, in one snapshot, so a lagging indexer slows a query but never hides an event.
--
-- Rights change: a role granted back-fills the party's events up to the cursor in the granting transaction (the trigger
-- below), so from the snapshot that sees the role on, the index holds every one of the party's events; a role withdrawn
-- leaves its rows, which every read drops by joining the current roles (and every event is still decided by the PDP).
-- Retention deletes rows registered before the oldest retained day, as it does the de-duplication keys.
CREATE TABLE holder_events (
    holder     text        NOT NULL,
    seq        bigint      NOT NULL,
    registered timestamptz NOT NULL,
    party_id   integer     NOT NULL,
    PRIMARY KEY (holder, seq)
);

-- Retention's deletes by registration time; rows arrive in about that order.
CREATE INDEX holder_events_registered ON holder_events USING brin (registered);

CREATE TABLE holder_index_cursor (
    name       text        PRIMARY KEY,
    seq        bigint      NOT NULL,
    registered timestamptz NOT NULL
);
INSERT INTO holder_index_cursor (name, seq, registered) VALUES ('holders', 0, '-infinity');

-- A grant back-fills what the indexer has passed. The cursor row is locked first, in a statement of its own: the
-- indexer holds that lock while it reads the roles and the events of a batch, so the back-fill runs either before the
-- batch (which then sees the role) or after it, with a fresh snapshot and the advanced cursor.
CREATE FUNCTION holder_events_grant() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    indexed bigint;
BEGIN
    SELECT seq INTO indexed FROM holder_index_cursor WHERE name = 'holders' FOR UPDATE;
    INSERT INTO holder_events (holder, seq, registered, party_id)
    SELECT g.subject, e.seq, e.registered, e.party_id
    FROM (SELECT DISTINCT subject, party_id FROM granted) g
    JOIN events e ON e.party_id = g.party_id AND e.seq <= indexed
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER party_roles_holder_grant AFTER INSERT ON party_roles
    REFERENCING NEW TABLE AS granted FOR EACH STATEMENT EXECUTE FUNCTION holder_events_grant();
