-- A token that may read GET /metrics and nothing of the API (METRICS_TOKEN_REQUIRED=true).
ALTER TABLE tokens DROP CONSTRAINT tokens_scope_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_scope_check CHECK (scope IN ('read', 'write', 'admin', 'metrics'));
