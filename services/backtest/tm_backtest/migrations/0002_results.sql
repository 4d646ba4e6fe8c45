-- Backtest specs, lifecycle fields and results (metrics, equity curve, trades, artifacts).
ALTER TABLE backtest.backtests ALTER COLUMN strategy_id DROP NOT NULL;
ALTER TABLE backtest.backtests ADD COLUMN IF NOT EXISTS failure_reason text NOT NULL DEFAULT '';
ALTER TABLE backtest.backtests ADD COLUMN IF NOT EXISTS progress double precision NOT NULL DEFAULT 0;
ALTER TABLE backtest.backtests ADD COLUMN IF NOT EXISTS summary_metrics jsonb NOT NULL DEFAULT '{}';
ALTER TABLE backtest.backtests ADD COLUMN IF NOT EXISTS request_id text;
ALTER TABLE backtest.backtests ADD COLUMN IF NOT EXISTS training_job_id text NOT NULL DEFAULT '';
ALTER TABLE backtest.backtests ADD COLUMN IF NOT EXISTS started_at timestamptz;
ALTER TABLE backtest.backtests ADD COLUMN IF NOT EXISTS ended_at timestamptz;

CREATE UNIQUE INDEX IF NOT EXISTS backtests_owner_request_idx
    ON backtest.backtests (owner, request_id) WHERE request_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS backtest.results (
    backtest_id uuid PRIMARY KEY REFERENCES backtest.backtests (id) ON DELETE CASCADE,
    metrics     jsonb NOT NULL,
    equity      jsonb NOT NULL,
    regimes     jsonb NOT NULL,
    artifacts   jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS backtest.trades (
    backtest_id  uuid    NOT NULL REFERENCES backtest.backtests (id) ON DELETE CASCADE,
    seq          integer NOT NULL,
    time         timestamptz NOT NULL,
    asset        text    NOT NULL,
    side         text    NOT NULL,
    effect       text    NOT NULL,
    quantity     double precision NOT NULL,
    price        double precision NOT NULL,
    fee          double precision NOT NULL,
    slippage     double precision NOT NULL,
    realized_pnl double precision,
    PRIMARY KEY (backtest_id, seq)
);
