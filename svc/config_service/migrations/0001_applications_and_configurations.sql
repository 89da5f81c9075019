-- Applications and their configurations. Ids are ULIDs in canonical Crockford base32.
CREATE TABLE applications (
    id          varchar(26)   PRIMARY KEY CHECK (id ~ '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
    name        varchar(256)  NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    comments    varchar(1024),
    created_at  timestamptz   NOT NULL DEFAULT now(),
    updated_at  timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE configurations (
    id              varchar(26)   PRIMARY KEY CHECK (id ~ '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
    application_id  varchar(26)   NOT NULL REFERENCES applications (id),
    name            varchar(256)  NOT NULL CHECK (btrim(name) <> ''),
    comments        varchar(1024),
    config          jsonb         NOT NULL CHECK (jsonb_typeof(config) = 'object'),
    created_at      timestamptz   NOT NULL DEFAULT now(),
    updated_at      timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT configurations_application_id_name_key UNIQUE (application_id, name)
);

-- An application's configurations, in id order, without a sort.
CREATE INDEX configurations_application_id_id_idx ON configurations (application_id, id);
