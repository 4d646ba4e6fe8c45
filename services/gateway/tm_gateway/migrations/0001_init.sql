-- Identity: human users (argon2id password hashes) and service tokens for other teams.
CREATE SCHEMA IF NOT EXISTS identity;

CREATE TABLE IF NOT EXISTS identity.users (
    id            uuid PRIMARY KEY,
    username      text        NOT NULL UNIQUE,
    password_hash text        NOT NULL,
    roles         text[]      NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled      boolean     NOT NULL DEFAULT false
);

CREATE TABLE IF NOT EXISTS identity.service_tokens (
    id         uuid PRIMARY KEY,
    name       text        NOT NULL,
    roles      text[]      NOT NULL,
    jti        text        NOT NULL UNIQUE,
    creator_id text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked    boolean     NOT NULL DEFAULT false,
    revoked_at timestamptz
);
