-- Issue 10: instruments, limits, orders, fills, positions, trading states and the audit chain.
ALTER TABLE risk.accounts
    ADD COLUMN IF NOT EXISTS mode             text    NOT NULL DEFAULT 'PAPER',
    ADD COLUMN IF NOT EXISTS broker           text    NOT NULL DEFAULT 'paper',
    ADD COLUMN IF NOT EXISTS initial_cash     numeric NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cash             numeric NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS day_start_equity numeric NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS day_start_date   date    NOT NULL DEFAULT CURRENT_DATE,
    ADD COLUMN IF NOT EXISTS high_water_mark  numeric NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS request_id       text;
CREATE UNIQUE INDEX IF NOT EXISTS accounts_owner_request_key
    ON risk.accounts (owner, request_id) WHERE request_id IS NOT NULL;
ALTER TABLE risk.accounts DROP COLUMN IF EXISTS trading_state;

CREATE TABLE IF NOT EXISTS risk.instruments (
    instrument_id text PRIMARY KEY,
    tick_size     numeric     NOT NULL,
    lot_size      numeric     NOT NULL,
    min_quantity  numeric,
    max_quantity  numeric,
    min_notional  numeric,
    enabled       boolean     NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The RiskLimits message as proto JSON; version increases with every SetLimits.
CREATE TABLE IF NOT EXISTS risk.limits (
    account_id uuid PRIMARY KEY REFERENCES risk.accounts (id),
    body       jsonb       NOT NULL,
    version    bigint      NOT NULL,
    updated_by text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS risk.orders (
    account_id      uuid        NOT NULL REFERENCES risk.accounts (id),
    client_order_id text        NOT NULL,
    instrument_id   text        NOT NULL,
    side            text        NOT NULL,
    order_type      text        NOT NULL,
    quantity        numeric     NOT NULL,
    limit_price     numeric,
    time_in_force   text        NOT NULL,
    reduce_only     boolean     NOT NULL,
    deployment_id   text        NOT NULL DEFAULT '',
    model_version   text        NOT NULL DEFAULT '',
    status          text        NOT NULL,
    status_reason   text        NOT NULL DEFAULT '',
    filled_quantity numeric     NOT NULL DEFAULT 0,
    avg_fill_price  numeric,
    decision_id     uuid        NOT NULL,
    broker_order_id text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (account_id, client_order_id)
);
CREATE INDEX IF NOT EXISTS orders_account_created ON risk.orders (account_id, created_at DESC);
CREATE INDEX IF NOT EXISTS orders_working ON risk.orders (account_id)
    WHERE status IN ('PENDING_NEW', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL');

CREATE TABLE IF NOT EXISTS risk.fills (
    fill_id         uuid PRIMARY KEY,
    account_id      uuid        NOT NULL,
    client_order_id text        NOT NULL,
    instrument_id   text        NOT NULL,
    side            text        NOT NULL,
    quantity        numeric     NOT NULL,
    price           numeric     NOT NULL,
    fee             numeric     NOT NULL,
    fill_time       timestamptz NOT NULL,
    broker_fill_id  text        NOT NULL,
    seq             bigserial,
    UNIQUE (account_id, broker_fill_id),
    FOREIGN KEY (account_id, client_order_id) REFERENCES risk.orders (account_id, client_order_id)
);
CREATE INDEX IF NOT EXISTS fills_account_seq ON risk.fills (account_id, seq DESC);

CREATE TABLE IF NOT EXISTS risk.positions (
    account_id    uuid        NOT NULL REFERENCES risk.accounts (id),
    instrument_id text        NOT NULL,
    quantity      numeric     NOT NULL,
    average_price numeric     NOT NULL,
    realized_pnl  numeric     NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (account_id, instrument_id)
);

-- Current state per scope ('GLOBAL' with scope_id '', 'ACCOUNT', 'DEPLOYMENT', 'INSTRUMENT').
CREATE TABLE IF NOT EXISTS risk.trading_states (
    scope          text        NOT NULL,
    scope_id       text        NOT NULL,
    state          text        NOT NULL,
    previous_state text        NOT NULL DEFAULT '',
    reason         text        NOT NULL,
    updated_by     text        NOT NULL,
    updated_at     timestamptz NOT NULL,
    cooldown_until timestamptz,
    change_id      uuid        NOT NULL,
    PRIMARY KEY (scope, scope_id)
);
CREATE TABLE IF NOT EXISTS risk.state_changes (
    change_id      uuid PRIMARY KEY,
    scope          text        NOT NULL,
    scope_id       text        NOT NULL,
    state          text        NOT NULL,
    previous_state text        NOT NULL,
    reason         text        NOT NULL,
    updated_by     text        NOT NULL,
    updated_at     timestamptz NOT NULL,
    cooldown_until timestamptz,
    seq            bigserial
);
CREATE INDEX IF NOT EXISTS state_changes_scope ON risk.state_changes (scope, scope_id, seq DESC);

-- Append-only audit chain: entry_hash = sha256(prev_hash || body), body the canonical JSON text.
-- Decisions (kind 'decision') carry filter columns for ListDecisions.
CREATE TABLE IF NOT EXISTS risk.audit (
    seq             bigint PRIMARY KEY,
    entry_id        uuid        NOT NULL UNIQUE,
    kind            text        NOT NULL,
    at_ns           bigint      NOT NULL,
    account_id      uuid,
    instrument_id   text,
    client_order_id text,
    decision        text,
    dry_run         boolean,
    reasons         text[]      NOT NULL DEFAULT '{}',
    body            text        NOT NULL,
    prev_hash       text        NOT NULL,
    entry_hash      text        NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_decisions ON risk.audit (account_id, seq DESC)
    WHERE kind = 'decision';

CREATE OR REPLACE FUNCTION risk.audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'risk.audit is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_append_only ON risk.audit;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON risk.audit
    FOR EACH ROW EXECUTE FUNCTION risk.audit_append_only();
DROP TRIGGER IF EXISTS audit_no_truncate ON risk.audit;
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON risk.audit
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_append_only();
