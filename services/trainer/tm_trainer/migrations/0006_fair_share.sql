-- Fair sharing of the cluster: a priority per job (the queue runs higher first, then oldest),
-- a time limit per run on the cluster and when the current run started, and why the job at the
-- head of the queue waits (written by the scheduler).
ALTER TABLE trainer.training_jobs
    ADD COLUMN priority       integer          NOT NULL DEFAULT 0,
    ADD COLUMN time_limit_s   double precision NOT NULL DEFAULT 0,
    ADD COLUMN run_started_at timestamptz,
    ADD COLUMN wait_reason    text             NOT NULL DEFAULT '';

DROP INDEX IF EXISTS trainer.training_jobs_queue_idx;
CREATE INDEX training_jobs_queue_idx
    ON trainer.training_jobs (state, priority DESC, queued_at, id);
CREATE INDEX training_jobs_owner_state_idx ON trainer.training_jobs (owner, state);
