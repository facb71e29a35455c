-- 0002_jobs.sql — the durable job queue (src/platform/jobs.c).
--
-- A row moves queued -> running -> succeeded | dead, or running -> queued
-- again after a failure (run_at pushed back by the backoff). A running row
-- whose lease_until has passed belongs to a crashed worker and may be
-- claimed again. Timestamps are epoch milliseconds.
--
-- max_attempts NULL means "the kind's registered default", read when the job
-- runs, so changing a kind's registration applies to jobs already queued.
--
-- The dedupe index covers queued rows only: a running job does not stop a
-- new one with the same key from being queued (the new one may carry newer
-- work). payload is JSON as TEXT and may hold personal data: never log it.
CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL DEFAULT '{}',
    state         TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'succeeded', 'dead')),
    run_at        BIGINT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  INTEGER CHECK (max_attempts IS NULL OR max_attempts > 0),
    last_error    TEXT,
    locked_by     TEXT,
    lease_until   BIGINT,
    dedupe_key    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    finished_at   BIGINT
);

CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
CREATE INDEX jobs_state_lease_until ON jobs (state, lease_until);
CREATE UNIQUE INDEX jobs_queued_dedupe ON jobs (kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND state = 'queued';
