-- 0003_auth.sql — login throttle per (account, client address).
--
-- One row per (email_normalized, ip) that has failed or succeeded to sign
-- in. failed_count counts consecutive failures (reset by a success, or when
-- the last failure is older than the throttle window); locked_until is the
-- end of the current delay. last_success_at makes the address "known" for
-- the account, which exempts it from the account-wide lock kept in
-- account_lockouts (see src/services/auth/README.md). Rows exist for
-- unknown emails too, so throttling reveals nothing about existence.
--
-- Caveats: rows are never purged yet; a cleanup job may delete rows whose
-- updated_at is older than the known-address horizon (30 days by default).
CREATE TABLE auth_login_throttle (
    email_normalized    TEXT NOT NULL,
    ip                  TEXT NOT NULL,
    failed_count        INTEGER NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    last_failed_at      BIGINT,
    locked_until        BIGINT,
    last_success_at     BIGINT,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (email_normalized, ip)
);
CREATE INDEX auth_login_throttle_updated ON auth_login_throttle (updated_at);
