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
    request_id  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT strategies_owner_name_key UNIQUE (owner, name)
);

-- Keyset pagination: newest first within one owner.
CREATE INDEX IF NOT EXISTS strategies_owner_created_idx
    ON strategy.strategies (owner, created_at DESC, id DESC);

-- Idempotent create: one strategy per (owner, request_id).
CREATE UNIQUE INDEX IF NOT EXISTS strategies_owner_request_idx
    ON strategy.strategies (owner, request_id) WHERE request_id IS NOT NULL;

-- Every version ever stored, so GetStrategy can read an older one.
CREATE TABLE IF NOT EXISTS strategy.strategy_versions (
    strategy_id uuid        NOT NULL REFERENCES strategy.strategies (id) ON DELETE CASCADE,
    version     bigint      NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL,
    task        text        NOT NULL,
    agent       text        NOT NULL,
    dataset_id  text        NOT NULL,
    config      jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (strategy_id, version)
);
