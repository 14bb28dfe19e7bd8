-- The subscription API clients expect (issue 18): type filters as lists with prefix wildcards, the CloudEvents
-- Subscriptions API filter dialects, pausing, push content modes and the CloudEvents webhook validation handshake.

-- type_filter: every entry an exact type or a prefix ending in '.*' (app.instance.process.*); NULL for every type.
-- Matching is in memory, after the (resource, subject) index probe, as before.
ALTER TABLE subscriptions ALTER COLUMN type_filter TYPE text[] USING CASE WHEN type_filter IS NULL THEN NULL ELSE ARRAY[type_filter] END;

-- filters: the CloudEvents Subscriptions API filter dialects (exact, prefix, suffix, all, any, not) as an array of
-- dialect objects, all of which must hold (Core/Matching/CloudEventFilters.cs). NULL or absent: no such filter.
ALTER TABLE subscriptions ADD COLUMN filters jsonb;

-- enabled: false while the consumer paused the subscription; its deliveries wait (status 'paused') and flow again,
-- oldest first, when it is resumed.
ALTER TABLE subscriptions ADD COLUMN enabled boolean NOT NULL DEFAULT true;

-- How pushes are made: structured (application/cloudevents+json, the default), binary (attributes as ce- headers, the
-- data as the body) or batched (application/cloudevents-batch+json, up to batch_max_events events and about
-- batch_max_bytes bytes per request).
ALTER TABLE subscriptions ADD COLUMN content_mode text NOT NULL DEFAULT 'structured' CHECK (content_mode IN ('structured', 'binary', 'batched'));
ALTER TABLE subscriptions ADD COLUMN batch_max_events integer CHECK (batch_max_events IS NULL OR batch_max_events BETWEEN 1 AND 1000);
ALTER TABLE subscriptions ADD COLUMN batch_max_bytes integer CHECK (batch_max_bytes IS NULL OR batch_max_bytes BETWEEN 1024 AND 4194304);

-- How the endpoint is validated: 'event' (the validation event, answered with a 2xx; the default) or 'options' (the
-- CloudEvents HTTP webhook handshake: OPTIONS with WebHook-Request-Origin, answered with WebHook-Allowed-Origin).
-- allowed_rate: the WebHook-Allowed-Rate the endpoint granted (requests per minute), NULL for no limit of its own.
ALTER TABLE subscriptions ADD COLUMN validation_method text NOT NULL DEFAULT 'event' CHECK (validation_method IN ('event', 'options'));
ALTER TABLE subscriptions ADD COLUMN allowed_rate integer;

-- paused: a delivery of a paused subscription; due NULL (nothing looks at it until the subscription is resumed, when
-- it becomes parked and its endpoint's backlog is drained, oldest event first).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('queued', 'waiting', 'parked', 'pushing', 'paused', 'unauthorized', 'delivered', 'failed', 'gone', 'skipped'));
CREATE INDEX deliveries_paused ON deliveries (subscription_id, event_seq) WHERE status = 'paused';
