-- Withdrawn rights in the holder index (0016). A withdrawn role leaves its index rows: every read drops them by the
-- current roles, but until retention they stay in the holder's scans and count in each page's budget, so an accountant
-- who lost half its clients would read twice the rows for a page. A withdrawal after which the holder holds no role for
-- the party is recorded here, and the holder indexer deletes that pair's rows in bounded steps
-- (HolderIndexStore.DeleteWithdrawnAsync): it walks the holder's rows in sequence order, a chunk per transaction, and
-- `walked` is how far it has got for the pair.
--
-- A step locks the cursor row first, as a grant's back-fill and an indexing batch do, and checks the role again under
-- that lock: a pair granted again since is dropped without deleting anything more (the grant back-filled every row the
-- walk had deleted), and a grant that waits for the step back-fills after it.
CREATE TABLE holder_withdrawals (
    holder   text    NOT NULL,
    party_id integer NOT NULL,
    walked   bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (holder, party_id)
);

-- Roles are inserted and deleted (the register's changes), not updated. A pair withdrawn again while its walk is under
-- way starts the walk over: a grant in between may have back-filled rows below `walked`.
CREATE FUNCTION holder_events_withdraw() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO holder_withdrawals (holder, party_id)
    SELECT DISTINCT w.subject, w.party_id
    FROM withdrawn w
    WHERE NOT EXISTS (SELECT 1 FROM party_roles r WHERE r.subject = w.subject AND r.party_id = w.party_id)
    ON CONFLICT (holder, party_id) DO UPDATE SET walked = 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER party_roles_holder_withdraw AFTER DELETE ON party_roles
    REFERENCING OLD TABLE AS withdrawn FOR EACH STATEMENT EXECUTE FUNCTION holder_events_withdraw();
