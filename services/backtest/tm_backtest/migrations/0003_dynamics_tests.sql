-- TradeMaster's dynamics test per label (agent vs buy-and-hold and do-nothing on each segment).
ALTER TABLE backtest.results ADD COLUMN IF NOT EXISTS dynamics jsonb NOT NULL DEFAULT '[]';
