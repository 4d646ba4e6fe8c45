-- Model registry: registered models, versions made from finished training jobs, aliases,
-- deployment records, and an append-only history that answers "which version had alias X /
-- was deployed on account A at time T".

CREATE TABLE IF NOT EXISTS strategy.registered_models (
    id             uuid PRIMARY KEY,
    owner          text        NOT NULL,
    name           text        NOT NULL,
    description    text        NOT NULL DEFAULT '',
    latest_version bigint      NOT NULL DEFAULT 0,
    request_id     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT registered_models_owner_name_key UNIQUE (owner, name)
);

CREATE INDEX IF NOT EXISTS registered_models_owner_created_idx
    ON strategy.registered_models (owner, created_at DESC, id DESC);

CREATE UNIQUE INDEX IF NOT EXISTS registered_models_owner_request_idx
    ON strategy.registered_models (owner, request_id) WHERE request_id IS NOT NULL;

-- A version copies what it needs from the training job, so it stays meaningful when the job
-- row is gone. Deleted versions keep their row (deleted_at) so numbers are never reused and
-- the history keeps pointing at something.
CREATE TABLE IF NOT EXISTS strategy.model_versions (
    model_id             uuid        NOT NULL REFERENCES strategy.registered_models (id),
    version              bigint      NOT NULL CHECK (version >= 1),
    owner                text        NOT NULL,
    description          text        NOT NULL DEFAULT '',
    training_job_id      text        NOT NULL,
    strategy_id          text        NOT NULL DEFAULT '',
    strategy_version     bigint      NOT NULL DEFAULT 0,
    dataset_id           text        NOT NULL DEFAULT '',
    dataset_content_hash text        NOT NULL DEFAULT '',
    model_uri            text        NOT NULL,
    run_spec             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    run_record           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    metrics              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    tags                 jsonb       NOT NULL DEFAULT '{}'::jsonb,
    ever_deployed        boolean     NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    PRIMARY KEY (model_id, version)
);

-- One live version per (model, training job): registering the job again returns it.
CREATE UNIQUE INDEX IF NOT EXISTS model_versions_model_job_idx
    ON strategy.model_versions (model_id, training_job_id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS model_versions_job_idx ON strategy.model_versions (training_job_id);
CREATE INDEX IF NOT EXISTS model_versions_owner_created_idx
    ON strategy.model_versions (owner, created_at DESC, model_id, version DESC);

CREATE TABLE IF NOT EXISTS strategy.model_aliases (
    model_id   uuid        NOT NULL REFERENCES strategy.registered_models (id),
    alias      text        NOT NULL,
    version    bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, alias),
    FOREIGN KEY (model_id, version) REFERENCES strategy.model_versions (model_id, version)
);

-- Minimal deployment record (issue 11 item 2 grows it into a supervised job).
CREATE TABLE IF NOT EXISTS strategy.model_deployments (
    id         uuid PRIMARY KEY,
    owner      text        NOT NULL,
    model_id   uuid        NOT NULL,
    version    bigint      NOT NULL,
    account_id text        NOT NULL,
    mode       text        NOT NULL CHECK (mode IN ('paper', 'live')),
    request_id text,
    started_at timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz,
    FOREIGN KEY (model_id, version) REFERENCES strategy.model_versions (model_id, version)
);

CREATE UNIQUE INDEX IF NOT EXISTS model_deployments_owner_request_idx
    ON strategy.model_deployments (owner, request_id) WHERE request_id IS NOT NULL;

-- Append-only: every change above writes one row in the same transaction; point-in-time
-- questions are answered from here alone.
CREATE TABLE IF NOT EXISTS strategy.model_history (
    seq           bigserial PRIMARY KEY,
    model_id      uuid        NOT NULL,
    version       bigint      NOT NULL DEFAULT 0,
    kind          text        NOT NULL,
    alias         text        NOT NULL DEFAULT '',
    tag_key       text        NOT NULL DEFAULT '',
    tag_value     text        NOT NULL DEFAULT '',
    deployment_id uuid,
    account_id    text        NOT NULL DEFAULT '',
    actor         text        NOT NULL,
    at            timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX IF NOT EXISTS model_history_alias_idx
    ON strategy.model_history (model_id, alias, at) WHERE alias <> '';
CREATE INDEX IF NOT EXISTS model_history_account_idx
    ON strategy.model_history (account_id, at) WHERE account_id <> '';

CREATE OR REPLACE FUNCTION strategy.model_history_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'strategy.model_history is append-only (% refused)', TG_OP;
END;
$$;

DROP TRIGGER IF EXISTS model_history_append_only ON strategy.model_history;
CREATE TRIGGER model_history_append_only
    BEFORE UPDATE OR DELETE ON strategy.model_history
    FOR EACH ROW EXECUTE FUNCTION strategy.model_history_is_append_only();

DROP TRIGGER IF EXISTS model_history_no_truncate ON strategy.model_history;
CREATE TRIGGER model_history_no_truncate
    BEFORE TRUNCATE ON strategy.model_history
    FOR EACH STATEMENT EXECUTE FUNCTION strategy.model_history_is_append_only();
