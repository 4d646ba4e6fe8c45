-- What a training job needs to run on Ray and what it reports: request, placement, progress,
-- results, the event-stream cursor of the one writer, and the metrics history.
ALTER TABLE trainer.training_jobs
    ADD COLUMN strategy_version    bigint           NOT NULL DEFAULT 0,
    ADD COLUMN request_id          text,
    ADD COLUMN overrides           jsonb            NOT NULL DEFAULT '{}',
    ADD COLUMN seed                bigint           NOT NULL DEFAULT 0,
    ADD COLUMN total_steps         bigint           NOT NULL DEFAULT 0,
    ADD COLUMN dataset_path        text             NOT NULL DEFAULT '',
    ADD COLUMN dataset_hash        text             NOT NULL DEFAULT '',
    ADD COLUMN requested_resources jsonb            NOT NULL DEFAULT '{}',
    ADD COLUMN assigned_resources  jsonb,
    ADD COLUMN device              text             NOT NULL DEFAULT '',
    ADD COLUMN failure_reason      text             NOT NULL DEFAULT '',
    ADD COLUMN progress_step       bigint           NOT NULL DEFAULT 0,
    ADD COLUMN episodic_return     double precision NOT NULL DEFAULT 0,
    ADD COLUMN sps                 double precision NOT NULL DEFAULT 0,
    ADD COLUMN final_metrics       jsonb            NOT NULL DEFAULT '{}',
    ADD COLUMN run_record          jsonb,
    ADD COLUMN checkpoint_uri      text             NOT NULL DEFAULT '',
    ADD COLUMN model_uri           text             NOT NULL DEFAULT '',
    ADD COLUMN attempt             integer          NOT NULL DEFAULT 0,
    ADD COLUMN ray_submission_id   text             NOT NULL DEFAULT '',
    ADD COLUMN event_cursor        text             NOT NULL DEFAULT '0-0',
    ADD COLUMN queued_at           timestamptz      NOT NULL DEFAULT now(),
    ADD COLUMN started_at          timestamptz,
    ADD COLUMN ended_at            timestamptz;

-- Idempotent create: one job per (owner, request_id).
CREATE UNIQUE INDEX training_jobs_owner_request_idx
    ON trainer.training_jobs (owner, request_id) WHERE request_id IS NOT NULL;

-- The scheduler's FIFO queue.
CREATE INDEX training_jobs_queue_idx ON trainer.training_jobs (state, queued_at, id);

-- Metric history; the primary key makes replayed events no-ops.
CREATE TABLE trainer.job_metrics (
    job_id      uuid             NOT NULL REFERENCES trainer.training_jobs (id) ON DELETE CASCADE,
    step        bigint           NOT NULL,
    name        text             NOT NULL,
    value       double precision NOT NULL,
    recorded_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, step, name)
);
