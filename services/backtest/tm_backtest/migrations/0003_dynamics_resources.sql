-- TradeMaster's dynamics test per label (agent vs buy-and-hold and do-nothing on each segment).
ALTER TABLE backtest.results ADD COLUMN IF NOT EXISTS dynamics jsonb NOT NULL DEFAULT '[]';
-- What the run used (sampled by the runner like training jobs): peak/mean summary on the
-- backtest (job list), the sample history with the result.
ALTER TABLE backtest.backtests ADD COLUMN IF NOT EXISTS resource_usage jsonb NOT NULL DEFAULT '{}';
ALTER TABLE backtest.results ADD COLUMN IF NOT EXISTS resource_history jsonb NOT NULL DEFAULT '[]';
