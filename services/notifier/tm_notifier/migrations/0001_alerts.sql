-- Alert rules, the alerts they raised (the in-app list) and one delivery row per alert and
-- channel: the outbox the delivery worker drains (at-least-once, one Idempotency-Key each).
CREATE TABLE IF NOT EXISTS alert_rules (
    id             uuid        PRIMARY KEY,
    owner_id       text        NOT NULL,
    name           text        NOT NULL,
    event_types    text[]      NOT NULL,
    topic_prefix   text        NOT NULL DEFAULT '',
    match          jsonb       NOT NULL DEFAULT '{}',
    platform       boolean     NOT NULL DEFAULT false,
    in_app         boolean     NOT NULL DEFAULT true,
    webhook_url    text        NOT NULL DEFAULT '',
    webhook_format text        NOT NULL DEFAULT 'json',
    webhook_secret text        NOT NULL DEFAULT '',
    email_to       text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alert_rules_owner ON alert_rules (owner_id, created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS alerts (
    id         uuid        PRIMARY KEY,
    rule_id    uuid        NOT NULL,
    owner_id   text        NOT NULL,
    event_id   text        NOT NULL,
    event_type text        NOT NULL,
    topic      text        NOT NULL,
    title      text        NOT NULL,
    payload    jsonb       NOT NULL DEFAULT '{}',
    in_app     boolean     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz,
    UNIQUE (rule_id, event_id)
);
CREATE INDEX IF NOT EXISTS alerts_owner ON alerts (owner_id, created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS alert_deliveries (
    id               uuid        PRIMARY KEY,
    alert_id         uuid        NOT NULL REFERENCES alerts (id),
    owner_id         text        NOT NULL,
    channel          text        NOT NULL,
    target           text        NOT NULL,
    status           text        NOT NULL DEFAULT 'PENDING',
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text        NOT NULL DEFAULT '',
    last_http_status integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries (next_attempt_at)
    WHERE status = 'PENDING';
CREATE INDEX IF NOT EXISTS alert_deliveries_owner
    ON alert_deliveries (owner_id, updated_at DESC, id DESC);
