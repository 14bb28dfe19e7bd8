-- A pending validation is PostgreSQL's to remember, not the queue's. validation_due is when the next validation attempt
-- is due (its queue message becomes visible); a subscription still pending a grace after that lost its message (purged,
-- deleted by hand, lost by a crash of the storage emulator), and the validation stage's sweeper sends it again. NULL
-- once validated or failed.
ALTER TABLE subscriptions ADD COLUMN validation_due timestamptz;

-- Subscriptions pending when this runs may have lost their message already: due at once.
UPDATE subscriptions SET validation_due = now() WHERE validation_status = 'pending';

CREATE INDEX subscriptions_validation_due ON subscriptions (validation_due) WHERE validation_status = 'pending';
