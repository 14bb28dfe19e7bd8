-- Subscriptions that cover every party their consumer holds rights for (issue 19): a user, organisation or system user
-- without a subject filter and without a right on the resource as a whole. all_parties is set by the API when it creates
-- the subscription (SubscriptionService; the rule is SubscriptionRules.MayCoverParties), never derived here.
--
-- The inbound stage finds them through a reverse index of who holds rights for the event's party (the party_roles
-- table below, or the platform's lookups), then probes (resource_filter, consumer): subscriptions_match_parties. They
-- are left out of subscriptions_match, so the (resource, '') probe of every event never walks them: a hundred thousand
-- accountants subscribed to one resource cost an event nothing unless they act for its party.
ALTER TABLE subscriptions ADD COLUMN all_parties boolean NOT NULL DEFAULT false;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_all_parties_no_subject CHECK (NOT all_parties OR subject_filter IS NULL);

DROP INDEX subscriptions_match;
CREATE INDEX subscriptions_match ON subscriptions (resource_filter, subject_key) WHERE validation_status = 'validated' AND NOT all_parties;
CREATE INDEX subscriptions_match_parties ON subscriptions (resource_filter, consumer) WHERE validation_status = 'validated' AND all_parties;

-- The reverse direction of party_roles (its key leads with the subject): who holds rights for a party.
CREATE INDEX party_roles_party ON party_roles (party_id, subject);
