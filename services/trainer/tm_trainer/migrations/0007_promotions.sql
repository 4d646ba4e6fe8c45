-- Promotion gates: per-owner thresholds, and every stored gate evaluation (rules with threshold,
-- actual value and outcome) with the live approvals of a risk officer (two people).
CREATE TABLE trainer.promotion_policies (
    owner       text PRIMARY KEY,
    policy      jsonb NOT NULL,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE trainer.promotions (
    id              uuid PRIMARY KEY,
    owner           text NOT NULL,
    model_id        text NOT NULL,
    model_version   bigint NOT NULL,
    account_id      text NOT NULL DEFAULT '',
    stage           text NOT NULL,
    state           text NOT NULL,
    rules           jsonb NOT NULL,
    passed          boolean NOT NULL,
    requested_by    text NOT NULL,
    decided_by      text NOT NULL DEFAULT '',
    decision_reason text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz
);

CREATE INDEX promotions_owner_created ON trainer.promotions (owner, created_at DESC, id DESC);
CREATE INDEX promotions_version ON trainer.promotions (model_id, model_version, stage, state);
