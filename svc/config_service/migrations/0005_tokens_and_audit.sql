-- API tokens: only the SHA-256 of each secret is kept. Names are unique forever (the audit
-- trail refers to them), so a token is revoked, never deleted.
CREATE TABLE tokens (
    id               varchar(26)   PRIMARY KEY CHECK (id ~ '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
    name             varchar(128)  NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._:@-]{1,128}$'),
    scope            text          NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    application_ids  varchar(26)[] CHECK (cardinality(application_ids) > 0),  -- NULL: every application
    secret_hash      char(64)      NOT NULL UNIQUE,
    expires_at       timestamptz,
    created_at       timestamptz   NOT NULL DEFAULT now(),
    last_used_at     timestamptz,
    revoked_at       timestamptz
);

-- Who made each change: the writing transaction names its token in a setting of its own,
-- and every revision and feed row takes it (`anonymous` when none is named).
ALTER TABLE configuration_revisions ADD COLUMN changed_by varchar(128) NOT NULL
    DEFAULT COALESCE(NULLIF(current_setting('config_service.actor', true), ''), 'anonymous');
ALTER TABLE changes ADD COLUMN changed_by varchar(128) NOT NULL
    DEFAULT COALESCE(NULLIF(current_setting('config_service.actor', true), ''), 'anonymous');
