-- Test parties and roles for development and the tests: applied after the migrations by scripts/run.sh
-- (`altinn-events seed`), the chaos check and the integration tests' database fixture. Never by the migration job:
-- production reads the platform's register and authorization, and a database there holds none of this.
-- Idempotent: rows that exist are left as they are.

-- Persons (test person numbers) and the users they are.
INSERT INTO parties (party_id, party_type, name, person_number, user_id) VALUES
    (50001, 'person', 'Sofie Salt',    '01017012345', 1337),
    (50004, 'person', 'Petter Pepper', '02027012345', 1339),
    (50005, 'person', 'Rita Regnskap', '03037012345', 1338),
    (50006, 'person', 'Ola Oregano',   '04047012345', NULL)
ON CONFLICT DO NOTHING;

-- Organisations: a main unit with one subunit, and the ten clients of the accountant user 1338.
INSERT INTO parties (party_id, party_type, name, organisation_number, main_unit_party_id) VALUES
    (50002, 'organisation', 'Testbedrift AS',             '991825827', NULL),
    (50003, 'organisation', 'Testbedrift AS avd. Bergen', '991825828', 50002)
ON CONFLICT DO NOTHING;

INSERT INTO parties (party_id, party_type, name, organisation_number)
SELECT 50000 + n, 'organisation', format('Klient %s AS', n - 9), (910000000 + n)::text
FROM generate_series(10, 19) AS n
ON CONFLICT DO NOTHING;

INSERT INTO party_roles (subject, party_id, role_code) VALUES
    ('/user/1337', 50001, 'PRIV'),
    ('/user/1337', 50002, 'DAGL'),
    ('/user/1338', 50005, 'PRIV'),
    ('/user/1339', 50004, 'PRIV')
ON CONFLICT DO NOTHING;

INSERT INTO party_roles (subject, party_id, role_code)
SELECT '/user/1338', party_id, 'REGNA' FROM parties WHERE party_id BETWEEN 50010 AND 50019
ON CONFLICT DO NOTHING;
