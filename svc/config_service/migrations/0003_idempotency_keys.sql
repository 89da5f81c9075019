-- Answers of POST requests that carried an Idempotency-Key, stored in the transaction of
-- their write, so that a retry gets the first answer instead of a second write.
CREATE TABLE idempotency_keys (
    key          varchar(255)  PRIMARY KEY,
    fingerprint  char(64)      NOT NULL,  -- sha-256 of method, path and the validated body
    status       smallint,                -- NULL only inside the claiming transaction
    headers      jsonb,
    body         text,
    created_at   timestamptz   NOT NULL DEFAULT now()
);

-- Expired keys (older than a day) are found without a scan.
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
