-- Outbound webhooks (src/services/webhooks/README.md).
--
-- webhook_endpoints gains what secret rotation and health need:
--   previous_secret / previous_secret_until: the secret replaced by the last
--     rotation, still used (as a second v1 signature) until that time;
--   failing_since: when the current run of failed attempts began (NULL while
--     healthy), for "failing for a day" disabling;
--   disabled_at / disabled_reason: why an endpoint stopped receiving.
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_until BIGINT;
ALTER TABLE webhook_endpoints ADD COLUMN failing_since BIGINT;
ALTER TABLE webhook_endpoints ADD COLUMN disabled_at BIGINT;
ALTER TABLE webhook_endpoints ADD COLUMN disabled_reason TEXT;

-- One row per HTTP attempt of a delivery (webhook_deliveries keeps only the
-- latest outcome). response_status is NULL when no response arrived
-- (connection refused, timeout, address refused); response_excerpt holds
-- at most the first 1024 bytes of the body.
CREATE TABLE webhook_delivery_attempts (
    id                  TEXT NOT NULL PRIMARY KEY,
    delivery_id         TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt             INTEGER NOT NULL CHECK (attempt > 0),
    manual              INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
    succeeded           INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
    response_status     INTEGER,
    response_excerpt    TEXT,
    error               TEXT,
    duration_ms         BIGINT NOT NULL CHECK (duration_ms >= 0),
    created_at          BIGINT NOT NULL
);
CREATE INDEX webhook_delivery_attempts_delivery ON webhook_delivery_attempts (delivery_id, created_at);
