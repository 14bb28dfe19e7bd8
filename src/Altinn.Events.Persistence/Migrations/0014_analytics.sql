-- Event analytics (issue 24): roll-ups kept up to date by the analytics aggregator, which reads the stored events in
-- sequence order from its own cursor (events commit in sequence order, so seq > cursor skips nothing) and adds each
-- batch to the roll-ups in the transaction that advances the cursor: a batch is counted once, even after a crash.
-- Figures are bucketed by the event's time (its registration when it has none), not by when it arrived.
-- Retention deletes rows older than Retention:Days, with the events' partitions.

-- Where the aggregator has got to: the last sequence number counted and its registration time (to prune partitions).
CREATE TABLE analytics_cursor (
    name       text        PRIMARY KEY,
    seq        bigint      NOT NULL,
    registered timestamptz NOT NULL
);
INSERT INTO analytics_cursor (name, seq, registered) VALUES ('rollup', 0, '-infinity');

-- Events per resource, type and UTC hour of their time. Days are sums of hours.
CREATE TABLE analytics_event_hours (
    resource text        NOT NULL,
    hour     timestamptz NOT NULL,
    type     text        NOT NULL,
    events   bigint      NOT NULL,
    PRIMARY KEY (resource, hour, type)
);
CREATE INDEX analytics_event_hours_hour ON analytics_event_hours USING brin (hour);

-- Instances of an app per UTC day: metric 'created', 'completed' or 'task:{task}' (instances reaching the task), each
-- instance counted once, on the day of its earliest such event.
CREATE TABLE analytics_app_days (
    resource  text    NOT NULL,
    day       date    NOT NULL,
    metric    text    NOT NULL,
    instances bigint  NOT NULL,
    PRIMARY KEY (resource, day, metric)
);

-- Durations as log-spaced histograms (Core/Analytics/DurationHistogram: bucket 0 under 1 s, bucket b from 2^((b-1)/4) s):
-- metric 'task:{task}' (entering the task to the instance's next step, by the day the task was entered) or
-- 'completion' (created to completed, by the day of completion).
CREATE TABLE analytics_durations (
    resource text     NOT NULL,
    day      date     NOT NULL,
    metric   text     NOT NULL,
    bucket   smallint NOT NULL,
    count    bigint   NOT NULL,
    PRIMARY KEY (resource, day, metric, bucket)
);

-- Per app instance (its source), the process steps seen so far, so a late event can correct the durations it affects.
-- steps is a JSON array of {"t": time, "s": step} ordered by time ("" is process.completed).
CREATE TABLE analytics_instances (
    resource  text        NOT NULL,
    instance  text        NOT NULL,
    created   timestamptz,
    steps     jsonb       NOT NULL,
    last_time timestamptz NOT NULL,
    PRIMARY KEY (resource, instance)
);
CREATE INDEX analytics_instances_last_time ON analytics_instances USING brin (last_time);
