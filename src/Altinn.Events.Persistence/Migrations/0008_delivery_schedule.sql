-- Outbound isolation: retry state and backlogs live here, not in queue messages (docs/architecture.md, "The delivery
-- state machine"). A queue message only carries first attempts; everything after that is a due time on the delivery's
-- row and a health state per endpoint, taken by the outbound stage's scheduler.
--
-- deliveries.status, the unsettled ones (due is never NULL for these):
--   queued   handed to events-outbound, not pushed yet; due: when the scheduler takes it if no message did (a lost message)
--   waiting  a push failed; due: the next attempt (the schedule, or the later Retry-After)
--   parked   waits on its endpoint (the endpoint is open, or all its slots were busy); due: when it is given up
--   pushing  claimed by one outbound instance for one push (claim says which); due: when the claim lapses (that instance died)
-- and the settled ones (due NULL): unauthorized, delivered, failed, gone, skipped.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('queued', 'waiting', 'parked', 'pushing', 'unauthorized', 'delivered', 'failed', 'gone', 'skipped'));

ALTER TABLE deliveries
    ADD COLUMN due             timestamptz,
    -- The first failed attempt (or when it was first parked): a delivery is given up once the schedule's span has passed since.
    ADD COLUMN first_failed_at timestamptz,
    ADD COLUMN claim           uuid;

-- Queued rows from before this migration had their retries in queue messages; the scheduler takes any left in 5 minutes.
UPDATE deliveries SET due = now() + interval '5 minutes' WHERE status = 'queued';

-- The scheduler's one index: every unsettled delivery, by when someone must look at it.
CREATE INDEX deliveries_due ON deliveries (due) WHERE due IS NOT NULL;
-- An endpoint's backlog, drained oldest first per subscription.
CREATE INDEX deliveries_parked ON deliveries (subscription_id, event_seq) WHERE status = 'parked';
-- How many deliveries of a subscription wait (GET /subscriptions/{id}).
CREATE INDEX deliveries_waiting ON deliveries (subscription_id) WHERE status IN ('waiting', 'parked');

-- Endpoints are the subscriptions' URLs (an end point may be up to 2 048 characters, more than a b-tree entry holds:
-- they are keyed by the md5 of the text). Subscriptions with the same URL share one health state and one probe.
ALTER TABLE subscriptions ADD COLUMN endpoint_id uuid GENERATED ALWAYS AS (md5(end_point)::uuid) STORED;
CREATE INDEX subscriptions_endpoint ON subscriptions (endpoint_id);

-- Health of an endpoint, shared by every outbound instance. A row exists only once a push to it failed or one of its
-- deliveries was parked; no row means healthy.
--   state                 healthy: pushes succeed; failing: some failed lately (consecutive_failures); open: after
--                         Outbound:OpenAfter consecutive failures, nothing is pushed but one probe per retry step
--   probe_step            how many probes failed since it opened; the next probe waits the schedule's entry for it
--   backlog_version       bumped by every statement that parks deliveries of this endpoint
--   drained_version       the backlog_version a drain saw before finding nothing parked: a backlog exists while
--                         backlog_version > drained_version
CREATE TABLE endpoints (
    id                   uuid        PRIMARY KEY,
    end_point            text        NOT NULL,
    state                text        NOT NULL DEFAULT 'healthy' CHECK (state IN ('healthy', 'failing', 'open')),
    consecutive_failures integer     NOT NULL DEFAULT 0,
    failing_since        timestamptz,
    opened_at            timestamptz,
    probe_step           integer     NOT NULL DEFAULT 0,
    next_probe_at        timestamptz,
    last_error           text,
    backlog_version      bigint      NOT NULL DEFAULT 0,
    drained_version      bigint      NOT NULL DEFAULT 0,
    updated              timestamptz NOT NULL
);

CREATE INDEX endpoints_probe ON endpoints (next_probe_at) WHERE state = 'open';
CREATE INDEX endpoints_backlog ON endpoints (id) WHERE backlog_version > drained_version;

-- The delivery log shows probes, and deliveries given up without a push (their span passed while the endpoint was open).
ALTER TABLE delivery_attempts ADD COLUMN probe boolean NOT NULL DEFAULT false;
ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_outcome_check;
ALTER TABLE delivery_attempts ADD CONSTRAINT delivery_attempts_outcome_check
    CHECK (outcome IN ('delivered', 'retry', 'failed', 'gone', 'gaveup'));
