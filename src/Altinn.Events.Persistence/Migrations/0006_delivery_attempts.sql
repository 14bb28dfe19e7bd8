-- The outbound stage's delivery log and what it needs to disable endpoints that keep failing.

-- One row per push attempt (and none for deliveries skipped without a request). Partitioned by day on attempted_at
-- and dropped by partition maintenance with the events. id orders attempts made in the same instant, so the
-- newest-first cursor of GET /subscriptions/{id}/deliveries is (attempted_at, id).
--   outcome  delivered  a 2xx
--            retry      failed; the delivery was re-queued with the next attempt number
--            failed     failed on the last attempt; the delivery went to the poison queue
--            gone       the endpoint answered 410; no more attempts
CREATE SEQUENCE delivery_attempts_id AS bigint;

CREATE TABLE delivery_attempts (
    id               bigint      NOT NULL DEFAULT nextval('delivery_attempts_id'),
    attempted_at     timestamptz NOT NULL,
    subscription_id  uuid        NOT NULL,
    event_seq        bigint      NOT NULL,
    event_registered timestamptz NOT NULL,
    event_id         text        NOT NULL,
    attempt          integer     NOT NULL,
    status_code      integer,
    duration_ms      integer     NOT NULL,
    error            text,
    outcome          text        NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'gone')),
    PRIMARY KEY (id, attempted_at)
) PARTITION BY RANGE (attempted_at);

CREATE INDEX delivery_attempts_subscription ON delivery_attempts (subscription_id, attempted_at DESC, id DESC);

SELECT ensure_daily_partitions('delivery_attempts', (now() AT TIME ZONE 'UTC')::date - 1, 8);

-- A delivery the outbound stage did not push because its subscription was deleted, disabled or not validated, or
-- its event expired: recorded with the reason instead of being retried.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('queued', 'unauthorized', 'delivered', 'failed', 'gone', 'skipped'));

-- Auto-disable: failing_since is the first failed push since the last success (NULL while pushes succeed). An endpoint
-- failing for Outbound:DisableAfter is disabled: validation_status becomes 'failed' (so nothing is matched or pushed
-- to it any more) with disabled_at and disabled_reason set; re-validation (POST /subscriptions/{id}/validate)
-- enables it again and clears all three.
ALTER TABLE subscriptions
    ADD COLUMN failing_since   timestamptz,
    ADD COLUMN disabled_at     timestamptz,
    ADD COLUMN disabled_reason text;
