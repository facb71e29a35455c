/*
 * migrate.c — apply schema migrations and report schema status.
 *
 * Every unit of work runs through db_tx(): take the migrator lock
 * (db__migrate_lock: an advisory lock on PostgreSQL, the write lock BEGIN
 * IMMEDIATE already holds on SQLite), create schema_migrations if missing,
 * read the applied versions, then apply at most one migration together with
 * its schema_migrations row. Reading the versions after taking the lock is
 * what keeps two migrators starting at once from applying the same migration
 * twice: the second one waits, then sees the first one's row.
 *
 * A migration's SQL runs with db_exec_script(), so one migration may hold
 * several statements. DDL is transactional on both engines, so a failing
 * migration leaves nothing behind.
 *
 * Caveats:
 *   - Migration SQL must not contain BEGIN/COMMIT, nor (on SQLite) PRAGMAs
 *     that are no-ops inside a transaction, such as foreign_keys.
 *   - Unapplied versions below the highest applied one are applied too, in
 *     ascending order (a branch merged late still runs).
 */
#include "db/migrate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "db/db_int.h"

#define TX_ATTEMPTS 5

static const char SQL_CREATE[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 "version INTEGER PRIMARY KEY, "
                                 "name TEXT NOT NULL, "
                                 "applied_at BIGINT NOT NULL)";
static const char SQL_VERSIONS[] = "SELECT version FROM schema_migrations ORDER BY version";
static const char SQL_RECORD[] = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";

/* What one transaction found or did. */
struct work {
    const struct migration *m;
    size_t n;
    bool apply; /* apply the first pending migration */
    bool *have; /* have[i]: m[i] is applied (n entries) */
    struct migrate_status st;
    int applied; /* index applied by this transaction, or -1 */
};

static int find_version(const struct migration *m, size_t n, int version)
{
    for (size_t i = 0; i < n; i++)
        if (m[i].version == version)
            return (int)i;
    return -1;
}

/* Lock, create the table, read the applied versions into w->have and w->st; 0 or -1. */
static int load_state(struct db *db, struct work *w, struct db_error *err)
{
    struct db_stmt *st;
    int rc;

    if (db__migrate_lock(db, err) != 0)
        return -1;
    if (db_exec(db, SQL_CREATE, NULL, 0, err) < 0)
        return -1;
    st = db_prepare(db, SQL_VERSIONS, err);
    if (st == NULL)
        return -1;
    memset(w->have, 0, w->n * sizeof(*w->have));
    memset(&w->st, 0, sizeof(w->st));
    w->st.binary_version = w->n > 0 ? w->m[w->n - 1].version : 0;
    while ((rc = db_step(st, err)) == 1) {
        int v = (int)db_column_i64(st, 0);
        int i = find_version(w->m, w->n, v);
        if (v > w->st.db_version)
            w->st.db_version = v;
        if (i < 0)
            w->st.unknown++;
        else
            w->have[i] = true;
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < w->n; i++)
        if (!w->have[i])
            w->st.pending++;
    return 0;
}

/* db_tx body: read the state and, if w->apply, apply the first pending migration. */
static int tx_body(struct db *db, void *ctx, struct db_error *err)
{
    struct work *w = ctx;
    const struct migration *mig;
    size_t i;

    w->applied = -1;
    if (load_state(db, w, err) != 0)
        return -1;
    if (!w->apply)
        return 0;
    if (w->st.unknown > 0) {
        db__error_set(err, DB_E_OTHER, NULL, NULL,
                      "database is newer than this binary: %d applied migration(s) unknown here "
                      "(database version %d, binary version %d)",
                      w->st.unknown, w->st.db_version, w->st.binary_version);
        return -1;
    }
    for (i = 0; i < w->n && w->have[i]; i++)
        ;
    if (i == w->n)
        return 0;
    mig = &w->m[i];
    const char *sql = db_engine(db) == DB_ENGINE_PG && mig->sql_pg != NULL ? mig->sql_pg : mig->sql;
    if (db_exec_script(db, sql, err) != 0) {
        char msg[512];
        snprintf(msg, sizeof(msg), "migration %04d_%.100s: %.255s", mig->version, mig->name, err->msg);
        memcpy(err->msg, msg, sizeof(err->msg) - 1);
        err->msg[sizeof(err->msg) - 1] = '\0';
        return -1;
    }
    struct db_param p[] = {DB_I64(mig->version), DB_TEXT(mig->name), DB_I64(time_now_ms())};
    if (db_exec(db, SQL_RECORD, p, 3, err) < 0)
        return -1;
    w->applied = (int)i;
    return 0;
}

/* Check that m is strictly ascending with positive versions; 0 or -1. */
static int check_list(const struct migration *m, size_t n, struct db_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (m[i].version <= 0 || (i > 0 && m[i].version <= m[i - 1].version) || m[i].sql == NULL || m[i].name == NULL) {
            db__error_set(err, DB_E_OTHER, NULL, NULL, "migration list: bad or unordered entry %zu (version %d)", i,
                          m[i].version);
            return -1;
        }
    }
    return 0;
}

/** Read the status of db relative to m[0..n-1]; 0 or -1. Takes the migrator lock briefly. */
int migrate_status(struct db *db, const struct migration *m, size_t n, struct migrate_status *out, struct db_error *err)
{
    struct work w = {.m = m, .n = n, .apply = false};
    int rc = -1;

    if (check_list(m, n, err) != 0)
        return -1;
    w.have = xcalloc(n > 0 ? n : 1, sizeof(*w.have));
    if (db_tx(db, TX_ATTEMPTS, tx_body, &w, err) != 0)
        goto out;
    *out = w.st;
    rc = 0;
out:
    free(w.have);
    return rc;
}

/** Apply pending migrations, one transaction each; count applied, -1 on failure, -2 if the database is newer. */
int migrate_up(struct db *db, const struct migration *m, size_t n, struct db_error *err)
{
    struct work w = {.m = m, .n = n, .apply = true};
    struct db_error scratch;
    int applied = 0;

    if (err == NULL)
        err = &scratch;
    if (check_list(m, n, err) != 0)
        return -1;
    w.have = xcalloc(n > 0 ? n : 1, sizeof(*w.have));
    for (;;) {
        if (db_tx(db, TX_ATTEMPTS, tx_body, &w, err) != 0) {
            if (w.st.unknown > 0) {
                log_error("db: refusing to migrate", "%s", err->msg);
                applied = -2;
            } else {
                log_error("db: migration failed", "%s", err->msg);
                applied = -1;
            }
            goto out;
        }
        if (w.applied < 0)
            break;
        log_info("db: migration applied", "%04d_%s", m[w.applied].version, m[w.applied].name);
        applied++;
    }
out:
    free(w.have);
    return applied;
}
