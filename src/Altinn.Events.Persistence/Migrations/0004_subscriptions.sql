-- Webhook subscriptions. Built for the inbound stage's matching at a million rows: every filter is a column in the
-- normalized form events are matched on, each with a b-tree index, so finding the subscriptions of an event is
-- index lookups (exact resource, the event's source prefixes at path boundaries, subject), never a scan.
--   resource_filter  always set: the full URN; app subscriptions given only a source filter get the app's resource.
--   source_filter    without a trailing slash; matches the event source itself or any path below it.
--   subject_filter   /party/{id} after resolving alternative_subject_filter (the original is kept as given).
--   type_filter      exact event type, or NULL for every type.
-- Only rows with validation_status = 'validated' receive events. Deleting a subscription deletes its row.
CREATE TABLE subscriptions (
    id                         uuid        PRIMARY KEY,
    consumer                   text        NOT NULL,
    created_by                 text        NOT NULL,
    created                    timestamptz NOT NULL,
    end_point                  text        NOT NULL,
    resource_filter            text        NOT NULL,
    source_filter              text,
    subject_filter             text,
    alternative_subject_filter text,
    type_filter                text,
    include_subunits           boolean     NOT NULL DEFAULT false,
    -- Standard Webhooks signing secret (whsec_ + base64); shown to the consumer once, on creation and on rotation.
    secret                     text        NOT NULL,
    validation_status          text        NOT NULL DEFAULT 'pending' CHECK (validation_status IN ('pending', 'validated', 'failed')),
    -- Bumped on every restart of validation, so queue messages of an earlier run are ignored.
    validation_run             integer     NOT NULL DEFAULT 0,
    validation_attempts        integer     NOT NULL DEFAULT 0,
    validated_at               timestamptz,
    last_validation_at         timestamptz,
    last_validation_error      text,
    CHECK (source_filter IS NULL OR source_filter NOT LIKE '%/'),
    CHECK (include_subunits = false OR subject_filter IS NOT NULL)
);

CREATE INDEX subscriptions_resource_filter ON subscriptions (resource_filter);
CREATE INDEX subscriptions_source_filter ON subscriptions (source_filter) WHERE source_filter IS NOT NULL;
CREATE INDEX subscriptions_subject_filter ON subscriptions (subject_filter) WHERE subject_filter IS NOT NULL;
CREATE INDEX subscriptions_consumer ON subscriptions (consumer, created);
