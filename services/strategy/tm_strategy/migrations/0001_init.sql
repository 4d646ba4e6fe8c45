-- Strategies: a named, validated training configuration owned by one user.
CREATE SCHEMA IF NOT EXISTS strategy;

CREATE TABLE IF NOT EXISTS strategy.strategies (
    id          uuid PRIMARY KEY,
    owner       text        NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    task        text        NOT NULL,
    agent       text        NOT NULL,
    dataset_id  text        NOT NULL DEFAULT '',
    config      jsonb       NOT NULL,
    version     bigint      NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Keyset pagination: newest first within one owner.
CREATE INDEX IF NOT EXISTS strategies_owner_created_idx
    ON strategy.strategies (owner, created_at DESC, id DESC);
