-- Training jobs: one row per run submitted to Ray; later issues add metrics and checkpoints.
CREATE SCHEMA IF NOT EXISTS trainer;

CREATE TABLE IF NOT EXISTS trainer.training_jobs (
    id          uuid PRIMARY KEY,
    owner       text        NOT NULL,
    strategy_id uuid        NOT NULL,
    state       text        NOT NULL DEFAULT 'QUEUED',
    config      jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS training_jobs_owner_created_idx
    ON trainer.training_jobs (owner, created_at DESC, id DESC);
