-- Issue 10 (ModifyOrder): one row per modification request, written in the same transaction as
-- its audit decision; (account_id, request_id) is the idempotency key. outcome: DENIED,
-- PENDING (allowed, not yet answered by the venue), APPLIED, REJECTED (venue refused),
-- AMBIGUOUS (venue outcome unknown).
CREATE TABLE IF NOT EXISTS risk.order_modifies (
    account_id      uuid        NOT NULL REFERENCES risk.accounts (id),
    request_id      text        NOT NULL,
    client_order_id text        NOT NULL,
    decision_id     uuid        NOT NULL,
    quantity        numeric     NOT NULL,
    limit_price     numeric,
    outcome         text        NOT NULL,
    venue_reason    text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (account_id, request_id),
    FOREIGN KEY (account_id, client_order_id) REFERENCES risk.orders (account_id, client_order_id)
);
