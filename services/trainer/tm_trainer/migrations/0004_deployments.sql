-- Deployments: a registered model version trading a risk-service account, run by a supervised
-- Ray job. The runner's progress (last processed bar, its stream position) is recorded here so
-- a restarted runner resumes after it; client order ids derive from deployment + bar, so a bar
-- processed twice never places a second order.
CREATE TABLE trainer.deployments (
    id                     uuid PRIMARY KEY,
    owner                  text NOT NULL,
    model_id               text NOT NULL,
    model_version          bigint NOT NULL,
    model_uri              text NOT NULL,
    account_id             text NOT NULL,
    instruments            text[] NOT NULL,
    bar_source             text NOT NULL,
    bar_interval_seconds   bigint NOT NULL,
    mode                   text NOT NULL,
    limits                 jsonb NOT NULL DEFAULT '{}'::jsonb,
    state                  text NOT NULL,
    flatten_on_stop        boolean NOT NULL DEFAULT false,
    start_stream_id        text NOT NULL DEFAULT '',
    stream_cursor          text NOT NULL DEFAULT '',
    last_bar_ns            bigint,
    bars_processed         bigint NOT NULL DEFAULT 0,
    orders_submitted       bigint NOT NULL DEFAULT 0,
    report_cursor          text NOT NULL DEFAULT '0-0',
    failure_reason         text NOT NULL DEFAULT '',
    attempt                integer NOT NULL DEFAULT 0,
    ray_submission_id      text NOT NULL DEFAULT '',
    registry_deployment_id text NOT NULL DEFAULT '',
    request_id             text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner, request_id)
);

CREATE INDEX deployments_owner_created ON trainer.deployments (owner, created_at DESC, id DESC);
CREATE INDEX deployments_state ON trainer.deployments (state);
