-- Matching index for the inbound stage, and the record of which (event, subscription) pairs were handed on.

-- Every subscription has a resource filter, so the subscriptions of an event are found by probing
-- (resource, subject) for each subject value the event can match (its subject, the party of its alternative
-- subject, its main unit) and (resource, '') for subscriptions without a subject filter. Only validated ones count.
ALTER TABLE subscriptions ADD COLUMN subject_key text GENERATED ALWAYS AS (coalesce(subject_filter, '')) STORED;
CREATE INDEX subscriptions_match ON subscriptions (resource_filter, subject_key) WHERE validation_status = 'validated';

-- One row per (event, subscription) the inbound stage matched: written once (a redelivered inbound message finds
-- it and does not queue the delivery again), then updated by the outbound stage. Partitioned by the event's
-- registration day and dropped with the events.
--   queued        handed to events-outbound
--   unauthorized  matched, but the consumer may not read the event (reason says why); never delivered
--   delivered     a 2xx from the endpoint
--   failed        gave up after the last attempt (moved to the poison queue)
--   gone          the endpoint answered 410
CREATE TABLE deliveries (
    event_registered timestamptz NOT NULL,
    event_seq        bigint      NOT NULL,
    subscription_id  uuid        NOT NULL,
    created          timestamptz NOT NULL,
    status           text        NOT NULL CHECK (status IN ('queued', 'unauthorized', 'delivered', 'failed', 'gone')),
    reason           text,
    attempts         integer     NOT NULL DEFAULT 0,
    updated          timestamptz,
    PRIMARY KEY (subscription_id, event_seq, event_registered)
) PARTITION BY RANGE (event_registered);

SELECT ensure_daily_partitions('deliveries', (now() AT TIME ZONE 'UTC')::date - 1, 8);
