-- Read-only shares: the owner lets another user get and list a strategy (never change it).
CREATE TABLE IF NOT EXISTS strategy.strategy_shares (
    strategy_id uuid        NOT NULL REFERENCES strategy.strategies (id) ON DELETE CASCADE,
    user_id     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (strategy_id, user_id)
);

-- "Shared with me": one user's shares.
CREATE INDEX IF NOT EXISTS strategy_shares_user_idx
    ON strategy.strategy_shares (user_id, strategy_id);
