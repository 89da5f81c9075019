-- Versions for optimistic concurrency, and the history of every configuration.
ALTER TABLE applications ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE configurations ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);

-- Kept forever, also for deleted configurations: no foreign keys, so neither deleting a
-- configuration nor, later, its application can take history with it.
CREATE TABLE configuration_revisions (
    configuration_id  varchar(26)   NOT NULL,
    version           integer       NOT NULL CHECK (version >= 1),
    change            text          NOT NULL CHECK (change IN ('create', 'update', 'delete', 'restore')),
    application_id    varchar(26)   NOT NULL,
    name              varchar(256)  NOT NULL,
    comments          varchar(1024),
    config            jsonb         NOT NULL,
    changed_at        timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (configuration_id, version)
);

-- What existed before this migration becomes the first revision of each configuration.
INSERT INTO configuration_revisions (configuration_id, version, change, application_id, name, comments, config, changed_at)
SELECT id, version, 'create', application_id, name, comments, config, created_at FROM configurations;
