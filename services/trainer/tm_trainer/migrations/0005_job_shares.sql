-- Read-only shares: the owner lets another user read a training job (never change it); see
-- trademaster.service.sharing.
CREATE TABLE IF NOT EXISTS trainer.job_shares (
    resource_id uuid        NOT NULL REFERENCES trainer.training_jobs (id) ON DELETE CASCADE,
    user_id     text        NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (resource_id, user_id)
);

-- "Shared with me": one user's shares.
CREATE INDEX IF NOT EXISTS job_shares_user_idx
    ON trainer.job_shares (user_id, resource_id);
