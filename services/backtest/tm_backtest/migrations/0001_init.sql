-- Backtest runs; later issues add results (metrics, equity curve, trades).
CREATE SCHEMA IF NOT EXISTS backtest;

CREATE TABLE IF NOT EXISTS backtest.backtests (
    id          uuid PRIMARY KEY,
    owner       text        NOT NULL,
    strategy_id uuid        NOT NULL,
    state       text        NOT NULL DEFAULT 'QUEUED',
    config      jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS backtests_owner_created_idx
    ON backtest.backtests (owner, created_at DESC, id DESC);
