-- Trading accounts; later issues add limits, orders, fills, positions and the decision audit.
CREATE SCHEMA IF NOT EXISTS risk;

CREATE TABLE IF NOT EXISTS risk.accounts (
    id            uuid PRIMARY KEY,
    owner         text        NOT NULL,
    name          text        NOT NULL,
    base_currency text        NOT NULL DEFAULT 'USD',
    trading_state text        NOT NULL DEFAULT 'ACTIVE',
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_owner_name_key UNIQUE (owner, name)
);
