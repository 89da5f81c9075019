-- The workers' change listeners, each on a channel of its own: a write wakes the listeners of
-- the other workers only (its own worker applied the change as it committed), and a worker
-- running alone pays for no notification. A row of a session that ended is harmless (a
-- notification to a channel nobody listens on costs next to nothing) and is removed when the
-- next listener registers.
CREATE TABLE change_listeners (
    channel  varchar(63)  PRIMARY KEY,
    pid      integer      NOT NULL,
    since    timestamptz  NOT NULL DEFAULT now()
);
