-- The change feed: one row per committed change of an application or a configuration,
-- numbered by a one-row counter that the writing transaction updates. Holding the
-- counter's row lock until commit makes seqs commit in order and without gaps: a reader
-- that has seen seq N never later sees a new change at or below N.
CREATE TABLE change_counter (
    id        boolean  PRIMARY KEY DEFAULT true CHECK (id),
    last_seq  bigint   NOT NULL
);
INSERT INTO change_counter (last_seq) VALUES (0);

CREATE TABLE changes (
    seq               bigint        PRIMARY KEY,
    application_id    varchar(26)   NOT NULL,
    configuration_id  varchar(26),  -- NULL for a change of the application itself
    change            text          NOT NULL CHECK (change IN ('create', 'update', 'delete', 'restore')),
    version           integer       NOT NULL,
    changed_at        timestamptz   NOT NULL
);

-- One application's changes in seq order, for a filtered feed.
CREATE INDEX changes_application_id_seq_idx ON changes (application_id, seq);
