/*
 * retention.c — housekeeping deletes and planner statistics (see retention.h).
 */
#include "platform/retention.h"

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/ticker.h"

#define RETENTION_BATCH 1000
#define DAY_MS (24LL * 3600 * 1000)
#define OPTIMIZE_EVERY_MS (3600LL * 1000)

/* Each statement deletes at most $2 rows older than the cutoff $1. */
static const struct rule {
    const char *table;
    const char *sql;
    int64_t keep_ms; /* cutoff = now - keep_ms */
} rules[] = {
    {"revoked_tokens",
     "DELETE FROM revoked_tokens WHERE jti IN "
     "(SELECT jti FROM revoked_tokens WHERE expires_at < $1 LIMIT $2)",
     0},
    {"oauth_states",
     "DELETE FROM oauth_states WHERE state IN "
     "(SELECT state FROM oauth_states WHERE expires_at < $1 LIMIT $2)",
     0},
    {"auth_tokens",
     "DELETE FROM auth_tokens WHERE id IN (SELECT id FROM auth_tokens WHERE expires_at < $1 LIMIT $2)", DAY_MS},
    {"auth_sessions",
     "DELETE FROM auth_sessions WHERE id IN (SELECT id FROM auth_sessions WHERE expires_at < $1 LIMIT $2)",
     DAY_MS},
    {"login_attempts",
     "DELETE FROM login_attempts WHERE id IN "
     "(SELECT id FROM login_attempts WHERE created_at < $1 LIMIT $2)",
     90 * DAY_MS},
    {"jobs (succeeded)",
     "DELETE FROM jobs WHERE id IN "
     "(SELECT id FROM jobs WHERE state = 'succeeded' AND finished_at < $1 LIMIT $2)",
     7 * DAY_MS},
    {"jobs (dead)",
     "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'dead' AND finished_at < $1 LIMIT $2)",
     30 * DAY_MS},
    {"idempotency_keys",
     "DELETE FROM idempotency_keys WHERE (scope, idem_key) IN "
     "(SELECT scope, idem_key FROM idempotency_keys WHERE expires_at < $1 LIMIT $2)",
     0},
    {"webhook_events_in",
     "DELETE FROM webhook_events_in WHERE id IN (SELECT id FROM webhook_events_in "
     "WHERE status IN ('processed', 'ignored') AND received_at < $1 LIMIT $2)",
     30 * DAY_MS},
    /* Finished outbound deliveries; their attempts go with them (ON DELETE CASCADE). */
    {"webhook_deliveries",
     "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries "
     "WHERE status IN ('succeeded', 'dead') AND created_at < $1 LIMIT $2)",
     30 * DAY_MS},
    /* Read notifications; their delivery rows go with them. Unread ones are kept. */
    {"notifications",
     "DELETE FROM notifications WHERE id IN (SELECT id FROM notifications "
     "WHERE read_at IS NOT NULL AND created_at < $1 LIMIT $2)",
     180 * DAY_MS},
};

static int64_t last_optimize_ms;

static void tick(struct db *db, void *ctx)
{
    (void)ctx;
    if (db == NULL)
        return;
    int64_t now = time_now_ms();
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        struct db_error err = {0};
        struct db_param p[] = {DB_I64(now - rules[i].keep_ms), DB_I64(RETENTION_BATCH)};
        int64_t n = db_exec(db, rules[i].sql, p, 2, &err);
        if (n < 0)
            log_warn("retention: delete failed", "table=%s: %s", rules[i].table, err.msg);
        else if (n > 0)
            log_info("retention: deleted", "table=%s rows=%lld", rules[i].table, (long long)n);
    }
    if (db_engine(db) == DB_ENGINE_SQLITE && now - last_optimize_ms >= OPTIMIZE_EVERY_MS) {
        struct db_error err = {0};
        if (db_exec_script(db, "PRAGMA optimize", &err) < 0)
            log_warn("retention: PRAGMA optimize failed", "%s", err.msg);
        last_optimize_ms = now;
    }
}

struct ticker *retention_start(const struct app *app)
{
    return ticker_start(app, "retention", app->cfg->retention_interval_ms, tick, NULL);
}
