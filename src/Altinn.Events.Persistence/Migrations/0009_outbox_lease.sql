-- The outbox is the truth about which stored events still need matching; a queue message is only a hint.
-- Until now the relay deleted a row as soon as the inbound queue accepted its message, so a message the queue then
-- lost (a crash of the storage emulator, a purge, a message deleted or poisoned by hand) took the event with it.
-- Now the relay only leases a row: it sends the message and moves `due` a lease ahead (growing with `sends`), and the
-- inbound stage deletes the row in the transaction that records the event's deliveries. A row still there when its
-- lease ends is sent again; the inbound stage skips events whose row is gone, so copies cost an index probe.
-- Existing rows (never sent, or sent by the old relay) are due at once: at worst their events are matched twice,
-- which records nothing new.
ALTER TABLE outbox
    ADD COLUMN due   timestamptz NOT NULL DEFAULT '-infinity',
    ADD COLUMN sends integer     NOT NULL DEFAULT 0;

CREATE INDEX outbox_due ON outbox (due, seq);
