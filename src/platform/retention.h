/*
 * retention.h — housekeeping: delete rows whose purpose has passed, and keep
 * the SQLite planner's statistics fresh.
 *
 * Every retention_interval_ms (configuration) a ticker deletes, in batches of at most
 * RETENTION_BATCH rows per table and tick (so a large backlog never holds
 * the write lock for long):
 *   revoked_tokens     once the access token it denies has expired
 *   oauth_states       once expired (10 minutes)
 *   auth_tokens        a day after they expired (used or not)
 *   auth_sessions      a day after the refresh token expired
 *   login_attempts     after 90 days (kept for the account export and audit)
 *   jobs               succeeded: after 7 days; dead: after 30 days
 *   idempotency_keys   once expired (24 h after the first request)
 *   webhook_events_in  processed or ignored: after 30 days (providers
 *                      redeliver for at most a few days, so dedupe holds)
 * On SQLite it also runs PRAGMA optimize once an hour.
 *
 * Several server instances may run it at once: every delete is idempotent.
 */
#ifndef ARTISTRY_PLATFORM_RETENTION_H
#define ARTISTRY_PLATFORM_RETENTION_H

struct app;
struct ticker;

/** Start the housekeeping ticker (NULL if it cannot start: logged, not fatal). */
struct ticker *retention_start(const struct app *app);

#endif
