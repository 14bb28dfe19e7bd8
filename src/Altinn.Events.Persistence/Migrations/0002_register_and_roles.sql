-- migration: replaces 9adcf2ebebdf1ce3dedbfb7475f6bfc33d5af03d37580d62038a4dbf0f2a01dc
-- The local register and role store the embedded implementations read (production asks the platform's register and
-- authorization over HTTP instead). Empty: the test parties and roles of development and the tests come from the
-- development seed (Seed/dev_seed.sql), which the migration job never applies. (This file once seeded them itself; the
-- line above lets databases that ran that version keep their record, and migration 0011 removes what it seeded.)

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
