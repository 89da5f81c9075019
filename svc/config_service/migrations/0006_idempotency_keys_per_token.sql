-- An Idempotency-Key belongs to the token that sent it: two clients may use the same key,
-- and a token never replays another's answer. '' is the caller when AUTH=off. Keys stored
-- before this migration stay under '' (a token's retry of one within its day writes anew).
ALTER TABLE idempotency_keys ADD COLUMN token_id varchar(26) NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (token_id, key);
