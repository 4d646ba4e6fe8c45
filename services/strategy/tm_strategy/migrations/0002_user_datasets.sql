-- Users' own datasets (uploads and the versions derived from any dataset), one row per version.
CREATE TABLE IF NOT EXISTS strategy.user_datasets (
    id             text PRIMARY KEY,
    owner          text        NOT NULL,
    name           text        NOT NULL,
    filename       text        NOT NULL,
    relative_path  text        NOT NULL,
    format         text        NOT NULL,
    size_bytes     bigint      NOT NULL,
    content_hash   text        NOT NULL,
    version        text        NOT NULL DEFAULT 'uploaded',
    parent_id      text        NOT NULL DEFAULT '',
    repairs        jsonb       NOT NULL DEFAULT '[]',
    quality        jsonb       NOT NULL,
    request_id     text,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS user_datasets_owner_idx
    ON strategy.user_datasets (owner, created_at DESC);

CREATE UNIQUE INDEX IF NOT EXISTS user_datasets_owner_request_idx
    ON strategy.user_datasets (owner, request_id) WHERE request_id IS NOT NULL;
