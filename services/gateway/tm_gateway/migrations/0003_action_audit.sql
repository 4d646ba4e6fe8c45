-- Every mutating REST call, every authorization denial and every authentication failure at the
-- gateway: who, what, when, from where, and the outcome. Append-only (the gateway only inserts)
-- and hash-chained: each row's hash covers the previous row's hash and its own fields.
CREATE TABLE IF NOT EXISTS identity.action_audit (
    id           bigserial   PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor_id     text        NOT NULL,
    actor_kind   text        NOT NULL,
    roles        text[]      NOT NULL,
    method       text        NOT NULL,
    route        text        NOT NULL,
    resource     text        NOT NULL,
    action       text        NOT NULL,
    resource_ids jsonb       NOT NULL,
    status       integer     NOT NULL,
    outcome      text        NOT NULL,
    request_id   text        NOT NULL,
    trace_id     text        NOT NULL,
    client_addr  text        NOT NULL,
    user_agent   text        NOT NULL,
    prev_hash    text        NOT NULL,
    hash         text        NOT NULL
);
CREATE INDEX IF NOT EXISTS action_audit_actor ON identity.action_audit (actor_id, id DESC);
CREATE INDEX IF NOT EXISTS action_audit_resource ON identity.action_audit (resource, id DESC);
CREATE INDEX IF NOT EXISTS action_audit_at ON identity.action_audit (at);
