-- Read-only shares: the owner lets another user read a registered model (never change it); see
-- trademaster.service.sharing.
CREATE TABLE IF NOT EXISTS strategy.model_shares (
    resource_id uuid        NOT NULL REFERENCES strategy.registered_models (id) ON DELETE CASCADE,
    user_id     text        NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (resource_id, user_id)
);

-- "Shared with me": one user's shares.
CREATE INDEX IF NOT EXISTS model_shares_user_idx
    ON strategy.model_shares (user_id, resource_id);
