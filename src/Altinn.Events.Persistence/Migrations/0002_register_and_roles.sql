-- The local register and role store the embedded implementations read (production asks the platform's
-- register and authorization over HTTP instead). Seeded with test parties; nothing here is real data.

CREATE TABLE parties (
    party_id            integer PRIMARY KEY,
    party_type          text    NOT NULL CHECK (party_type IN ('person', 'organisation')),
    name                text    NOT NULL,
    person_number       text    UNIQUE CHECK (person_number ~ '^\d{11}$'),
    organisation_number text    UNIQUE CHECK (organisation_number ~ '^\d{9}$'),
    main_unit_party_id  integer REFERENCES parties (party_id),
    user_id             integer UNIQUE,
    CHECK ((party_type = 'person') = (person_number IS NOT NULL)),
    CHECK ((party_type = 'organisation') = (organisation_number IS NOT NULL)),
    CHECK (main_unit_party_id IS NULL OR party_type = 'organisation')
);

CREATE INDEX parties_main_unit ON parties (main_unit_party_id) WHERE main_unit_party_id IS NOT NULL;

-- Who holds which role for which party. subject is a consumer string (/user/1337, /organisation/991825827).
CREATE TABLE party_roles (
    subject   text    NOT NULL,
    party_id  integer NOT NULL REFERENCES parties (party_id),
    role_code text    NOT NULL,
    PRIMARY KEY (subject, party_id, role_code)
);

-- Persons (test person numbers) and the users they are.
INSERT INTO parties (party_id, party_type, name, person_number, user_id) VALUES
    (50001, 'person', 'Sofie Salt',    '01017012345', 1337),
    (50004, 'person', 'Petter Pepper', '02027012345', 1339),
    (50005, 'person', 'Rita Regnskap', '03037012345', 1338),
    (50006, 'person', 'Ola Oregano',   '04047012345', NULL);

-- Organisations: a main unit with one subunit, and the ten clients of the accountant user 1338.
INSERT INTO parties (party_id, party_type, name, organisation_number, main_unit_party_id) VALUES
    (50002, 'organisation', 'Testbedrift AS',             '991825827', NULL),
    (50003, 'organisation', 'Testbedrift AS avd. Bergen', '991825828', 50002);

INSERT INTO parties (party_id, party_type, name, organisation_number)
SELECT 50000 + n, 'organisation', format('Klient %s AS', n - 9), (910000000 + n)::text
FROM generate_series(10, 19) AS n;

INSERT INTO party_roles (subject, party_id, role_code) VALUES
    ('/user/1337', 50001, 'PRIV'),
    ('/user/1337', 50002, 'DAGL'),
    ('/user/1338', 50005, 'PRIV'),
    ('/user/1339', 50004, 'PRIV');

INSERT INTO party_roles (subject, party_id, role_code)
SELECT '/user/1338', party_id, 'REGNA' FROM parties WHERE party_id BETWEEN 50010 AND 50019;
