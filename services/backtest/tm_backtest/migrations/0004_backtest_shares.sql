-- Read-only shares: the owner lets another user read a backtest (never change it); see
-- trademaster.service.sharing.
CREATE TABLE IF NOT EXISTS backtest.backtest_shares (
    resource_id uuid        NOT NULL REFERENCES backtest.backtests (id) ON DELETE CASCADE,
    user_id     text        NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (resource_id, user_id)
);

-- "Shared with me": one user's shares.
CREATE INDEX IF NOT EXISTS backtest_shares_user_idx
    ON backtest.backtest_shares (user_id, resource_id);
