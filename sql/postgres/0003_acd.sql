-- The ACD's routing settings per queue (offer timeout, wrap-up, escalation steps); a queue
-- without a row uses the defaults documented in docs/acd.md.
CREATE TABLE queue_acd (
    queue_id TEXT PRIMARY KEY REFERENCES queues(id),
    offer_timeout_ms BIGINT NOT NULL,
    wrap_up_ms BIGINT NOT NULL,
    steps TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);
