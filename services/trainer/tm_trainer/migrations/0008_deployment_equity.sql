-- Live equity per deployment: one row per processed bar (market time of the bar, the account's
-- equity once the runner had processed it, the counters then). Written with the bar's report in
-- one transaction, so a report applied once adds one row; read by GetDeploymentEquity and the
-- paper -> live tracking-error gate.
CREATE TABLE trainer.deployment_equity (
    deployment_id    uuid NOT NULL REFERENCES trainer.deployments (id) ON DELETE CASCADE,
    bar_time_ns      bigint NOT NULL,
    equity           numeric NOT NULL,
    bars_processed   bigint NOT NULL,
    orders_submitted bigint NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment_id, bar_time_ns)
);
