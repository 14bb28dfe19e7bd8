-- Cursor integrity and tenant isolation (docs/architecture.md, "Cursors" and "De-duplication").

-- De-duplication by publisher and resource. Rows written from now on are keyed by EventIdentity.Key (a hash of the
-- publisher, resource, source and id, computed by the writer) and carry content, the hash of the event as its publisher
-- sent it: a re-publish with the same content stores nothing, one with other content is refused. Rows written before
-- keep the old key (md5 of source and id) and no content; until they expire with the events, a publish whose source and
-- id have such a row for an event of the same resource counts as a re-publish (the publisher was not recorded then).
ALTER TABLE event_keys ADD COLUMN content uuid;

-- A redelivery is a new delivery with a webhook-id of its own: generation counts the redeliveries of a
-- (subscription, event) pair; a push's webhook-id is {subscription}:{seq} while it is 0 and {subscription}:{seq}:{n} after.
ALTER TABLE deliveries ADD COLUMN generation integer NOT NULL DEFAULT 0;

-- The position a time maps to, for the query API's from and to: the greatest sequence number this binary search finds
-- whose event was registered before t (0 when none). Registration times ascend with seq but for writers' clock
-- differences, so the callers pass t already moved by the clock margin. Only partitions from prune on are read (prune
-- must lie before t); the result is then at worst a little low, which is safe for both callers. About 30 index probes.
CREATE FUNCTION events_seq_before(t timestamptz, prune timestamptz)
RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lo bigint := 0;
    hi bigint;
    mid bigint;
    probe_seq bigint;
    probe_at timestamptz;
BEGIN
    SELECT e.seq INTO hi FROM events e WHERE e.registered >= prune ORDER BY e.seq DESC LIMIT 1;
    IF hi IS NULL THEN
        -- Nothing registered since prune: every event was registered before it, and so before t.
        SELECT e.seq INTO lo FROM events e ORDER BY e.seq DESC LIMIT 1;
        RETURN coalesce(lo, 0);
    END IF;

    -- Invariant: lo is 0 or an event registered before t.
    WHILE lo < hi LOOP
        mid := lo + (hi - lo + 1) / 2;
        SELECT e.seq, e.registered INTO probe_seq, probe_at
        FROM events e WHERE e.seq >= mid AND e.registered >= prune ORDER BY e.seq LIMIT 1;
        IF probe_seq IS NOT NULL AND probe_at < t THEN
            lo := probe_seq;
        ELSE
            hi := mid - 1;
        END IF;
    END LOOP;

    RETURN lo;
END;
$$;

-- Seeded test data is no part of the migrations any more (0002 no longer seeds; Seed/dev_seed.sql does, in development
-- and tests only). A database that ran the old 0002 loses here exactly the rows it seeded, matched on every value: test
-- persons and organisations that were never real, and roles that handed real user ids (1337-1339) rights over them.
-- A seeded party something else still refers to is left alone. Where the development seed runs, it puts them back.
DELETE FROM party_roles r
USING (VALUES
    ('/user/1337', 50001, 'PRIV'), ('/user/1337', 50002, 'DAGL'), ('/user/1338', 50005, 'PRIV'), ('/user/1339', 50004, 'PRIV'),
    ('/user/1338', 50010, 'REGNA'), ('/user/1338', 50011, 'REGNA'), ('/user/1338', 50012, 'REGNA'), ('/user/1338', 50013, 'REGNA'),
    ('/user/1338', 50014, 'REGNA'), ('/user/1338', 50015, 'REGNA'), ('/user/1338', 50016, 'REGNA'), ('/user/1338', 50017, 'REGNA'),
    ('/user/1338', 50018, 'REGNA'), ('/user/1338', 50019, 'REGNA')) AS seeded (subject, party_id, role_code)
WHERE r.subject = seeded.subject AND r.party_id = seeded.party_id AND r.role_code = seeded.role_code;

WITH seeded (party_id, party_type, name, person_number, organisation_number, main_unit_party_id, user_id) AS (
    VALUES
        (50001, 'person', 'Sofie Salt', '01017012345', NULL, NULL::integer, 1337),
        (50004, 'person', 'Petter Pepper', '02027012345', NULL, NULL, 1339),
        (50005, 'person', 'Rita Regnskap', '03037012345', NULL, NULL, 1338),
        (50006, 'person', 'Ola Oregano', '04047012345', NULL, NULL, NULL),
        (50002, 'organisation', 'Testbedrift AS', NULL, '991825827', NULL, NULL),
        (50003, 'organisation', 'Testbedrift AS avd. Bergen', NULL, '991825828', 50002, NULL)
    UNION ALL
    SELECT 50000 + n, 'organisation', format('Klient %s AS', n - 9), NULL, (910000000 + n)::text, NULL, NULL
    FROM generate_series(10, 19) AS n
), matched AS (
    SELECT p.party_id FROM parties p JOIN seeded s ON s.party_id = p.party_id
    WHERE p.party_type = s.party_type AND p.name = s.name
      AND p.person_number IS NOT DISTINCT FROM s.person_number
      AND p.organisation_number IS NOT DISTINCT FROM s.organisation_number
      AND p.main_unit_party_id IS NOT DISTINCT FROM s.main_unit_party_id
      AND p.user_id IS NOT DISTINCT FROM s.user_id
)
DELETE FROM parties p
USING matched m
WHERE p.party_id = m.party_id
  AND NOT EXISTS (SELECT 1 FROM party_roles r WHERE r.party_id = p.party_id)
  AND NOT EXISTS (SELECT 1 FROM parties u WHERE u.main_unit_party_id = p.party_id AND u.party_id NOT IN (SELECT party_id FROM matched));
