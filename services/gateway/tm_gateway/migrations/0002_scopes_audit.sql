-- Service tokens carry scopes ("<resource>:<action>", trademaster.service.authz); tokens made
-- before this carry only roles, whose scopes they keep.
ALTER TABLE identity.service_tokens ADD COLUMN IF NOT EXISTS scopes text[] NOT NULL DEFAULT '{}';

-- Who changed which user or service token, when, and how (never secrets or password hashes).
CREATE TABLE IF NOT EXISTS identity.audit_log (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor_id  text        NOT NULL,
    action    text        NOT NULL,
    target_id text        NOT NULL,
    detail    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_log_at ON identity.audit_log (at DESC, id DESC);
