/*
 * db_sqlite.c — SQLite 3 backend of db.h.
 *
 * Connections are opened with SQLITE_OPEN_NOMUTEX (one connection per
 * thread) and set up with WAL, foreign_keys=ON, busy_timeout=5000 and
 * synchronous=NORMAL. Extended result codes are on so constraint failures
 * map to typed errors.
 *
 * Parameters: the shared SQL writes $1..$n. SQLite treats "$1" as a *named*
 * parameter whose index follows first appearance ("$2 ... $1" gives $2 index
 * 1), so prepare() builds a map from n to sqlite3_bind_parameter_index(stmt,
 * "$n") and db_bind() goes through it.
 *
 * Row locking: "FOR UPDATE [SKIP LOCKED | NOWAIT]" is blanked out before
 * compiling; db_begin() uses BEGIN IMMEDIATE, which takes the database write
 * lock up front and is therefore stronger.
 *
 * Caveats:
 *   - db_exec_script() runs sqlite3_exec(); a script must not BEGIN/COMMIT
 *     itself when the caller runs it inside a transaction (migrations do).
 *   - db_changes() is 0 for statements that changed no row (including DDL)
 *     and for statements reset before reaching SQLITE_DONE (e.g. INSERT ...
 *     RETURNING read for one row only); PostgreSQL counts those at once.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "db/db_int.h"

struct sq_db {
    struct db base;
    sqlite3 *h;
};

struct sq_stmt {
    struct db_stmt base;
    sqlite3_stmt *h;
    int *pmap;            /* pmap[n-1]: SQLite index of "$n", 0 if absent */
    int nparams;          /* highest n of any "$n" */
    bool running;         /* stepped since the last reset */
    int64_t total_before; /* sqlite3_total_changes64() when execution started */
    int64_t changes;
};

static const struct db_ops sq_ops;

static sqlite3 *handle(struct db *db)
{
    return ((struct sq_db *)db)->h;
}

/*-----------------------------------------------------------------------------
 * Errors
 */

/* SQLite names the column or constraint after ": " ("UNIQUE constraint failed: t.email"). */
static const char *constraint_from_msg(const char *msg)
{
    const char *p = strstr(msg, "constraint failed: ");

    return p != NULL ? p + strlen("constraint failed: ") : NULL;
}

static enum db_errkind kind_of(int rc)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
        return DB_E_UNIQUE;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return DB_E_FOREIGN;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
        return DB_E_CHECK;
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return DB_E_RETRY;
    case SQLITE_ERROR:
    case SQLITE_RANGE:
        return DB_E_SQL;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
        return DB_E_CONN;
    }
    return DB_E_OTHER;
}

/* Fill err from result code rc and the connection's last message; returns -1. */
static int set_error(sqlite3 *h, int rc, struct db_error *err)
{
    const char *msg = h != NULL ? sqlite3_errmsg(h) : sqlite3_errstr(rc);

    db__error_set(err, kind_of(rc), NULL, constraint_from_msg(msg), "%s", msg);
    return -1;
}

/*-----------------------------------------------------------------------------
 * Connections
 */

struct db *db__sqlite_open(const char *path, struct db_error *err)
{
    struct sq_db *db = NULL;
    sqlite3 *h = NULL;
    char *msg = NULL;
    int rc;

    rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (h == NULL) {
            db__error_set(err, DB_E_CONN, NULL, NULL, "sqlite open %s: %s", path, sqlite3_errstr(rc));
        } else {
            db__error_set(err, DB_E_CONN, NULL, NULL, "sqlite open %s: %s", path, sqlite3_errmsg(h));
        }
        goto fail;
    }
    sqlite3_extended_result_codes(h, 1);
    sqlite3_busy_timeout(h, 5000);
    /* journal_mode returns a row; sqlite3_exec ignores it. */
    rc = sqlite3_exec(h, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", NULL, NULL,
                      &msg);
    if (rc != SQLITE_OK) {
        db__error_set(err, kind_of(rc) == DB_E_RETRY ? DB_E_RETRY : DB_E_CONN, NULL, NULL, "sqlite setup %s: %s", path,
                      msg != NULL ? msg : sqlite3_errstr(rc));
        goto fail;
    }
    db = xcalloc(1, sizeof(*db));
    db->base._ops = &sq_ops;
    db->base._engine = DB_ENGINE_SQLITE;
    db->h = h;
    return &db->base;

fail:
    sqlite3_free(msg);
    sqlite3_close_v2(h);
    return NULL;
}

static void sq_close(struct db *db)
{
    struct sq_db *sdb = (struct sq_db *)db;

    if (sqlite3_close_v2(sdb->h) != SQLITE_OK)
        log_warn("db: sqlite close failed", "%s", sqlite3_errmsg(sdb->h));
    free(sdb);
}

/*-----------------------------------------------------------------------------
 * Statements
 */

/* Parse "$n" (n >= 1, decimal) from a parameter name; 0 if it is not one. */
static int dollar_number(const char *name)
{
    long n = 0;

    if (name == NULL || name[0] != '$' || name[1] == '\0')
        return 0;
    for (const char *p = name + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || n > 100000)
            return 0;
        n = n * 10 + (*p - '0');
    }
    return (int)n;
}

static struct db_stmt *sq_prepare(struct db *db, const char *sql, struct db_error *err)
{
    sqlite3 *h = handle(db);
    char *stripped = db__strip_for_update(sql);
    sqlite3_stmt *sh = NULL;
    const char *tail = NULL;
    struct sq_stmt *st = NULL;
    int rc, count, maxn = 0;

    rc = sqlite3_prepare_v3(h, stripped != NULL ? stripped : sql, -1, SQLITE_PREPARE_PERSISTENT, &sh, &tail);
    if (rc != SQLITE_OK) {
        set_error(h, rc, err);
        goto out;
    }
    if (sh == NULL) {
        db__error_set(err, DB_E_SQL, NULL, NULL, "empty statement");
        goto out;
    }
    while (tail != NULL && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
        tail++;
    if (tail != NULL && *tail != '\0') {
        db__error_set(err, DB_E_SQL, NULL, NULL, "more than one statement (use db_exec_script)");
        goto out;
    }
    count = sqlite3_bind_parameter_count(sh);
    for (int i = 1; i <= count; i++) {
        int n = dollar_number(sqlite3_bind_parameter_name(sh, i));
        if (n > maxn)
            maxn = n;
    }
    st = xcalloc(1, sizeof(*st));
    st->h = sh;
    st->nparams = maxn;
    st->pmap = maxn > 0 ? xcalloc((size_t)maxn, sizeof(int)) : NULL;
    for (int i = 1; i <= count; i++) {
        int n = dollar_number(sqlite3_bind_parameter_name(sh, i));
        if (n > 0)
            st->pmap[n - 1] = i;
    }
    sh = NULL;
out:
    sqlite3_finalize(sh);
    free(stripped);
    return st != NULL ? &st->base : NULL;
}

static void sq_reset(struct db_stmt *base)
{
    struct sq_stmt *st = (struct sq_stmt *)base;

    /* The return value repeats the last step's error, already reported. */
    sqlite3_reset(st->h);
    st->running = false;
}

static int sq_reuse(struct db_stmt *base, struct db_error *err)
{
    struct sq_stmt *st = (struct sq_stmt *)base;

    (void)err;
    sqlite3_reset(st->h);
    sqlite3_clear_bindings(st->h);
    st->running = false;
    st->changes = 0;
    return 0;
}

static void sq_finalize(struct db_stmt *base)
{
    struct sq_stmt *st = (struct sq_stmt *)base;

    sqlite3_finalize(st->h);
    free(st->pmap);
    free(st);
}

static int sq_bind(struct db_stmt *base, int idx, struct db_param p)
{
    struct sq_stmt *st = (struct sq_stmt *)base;
    int i, rc = SQLITE_OK;

    if (idx < 1 || idx > st->nparams)
        return -1;
    i = st->pmap[idx - 1];
    if (i == 0)
        return 0; /* a gap in $1..$n: nothing to bind */
    switch (p.type) {
    case DB_T_NULL:
        rc = sqlite3_bind_null(st->h, i);
        break;
    case DB_T_I64:
        rc = sqlite3_bind_int64(st->h, i, p.i);
        break;
    case DB_T_F64:
        rc = sqlite3_bind_double(st->h, i, p.f);
        break;
    case DB_T_TEXT:
        rc = sqlite3_bind_text64(st->h, i, p.s, p.len != 0 ? p.len : strlen(p.s), SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
    case DB_T_BLOB:
        rc = sqlite3_bind_blob64(st->h, i, p.len != 0 ? p.s : "", p.len, SQLITE_TRANSIENT);
        break;
    }
    return rc == SQLITE_OK ? 0 : -1;
}

static int sq_step(struct db_stmt *base, struct db_error *err)
{
    struct sq_stmt *st = (struct sq_stmt *)base;
    sqlite3 *h = sqlite3_db_handle(st->h);
    int rc;

    if (!st->running) {
        st->running = true;
        st->total_before = sqlite3_total_changes64(h);
    }
    rc = sqlite3_step(st->h);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE) {
        /*
         * sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE
         * on the connection, so DDL would report a stale number: only trust
         * it when this statement changed something.
         */
        st->changes = sqlite3_total_changes64(h) != st->total_before ? sqlite3_changes64(h) : 0;
        return 0;
    }
    return set_error(h, rc, err);
}

static int sq_column_count(struct db_stmt *base)
{
    return sqlite3_column_count(((struct sq_stmt *)base)->h);
}

static const char *sq_column_name(struct db_stmt *base, int col)
{
    return sqlite3_column_name(((struct sq_stmt *)base)->h, col);
}

static bool sq_column_is_null(struct db_stmt *base, int col)
{
    return sqlite3_column_type(((struct sq_stmt *)base)->h, col) == SQLITE_NULL;
}

static int64_t sq_column_i64(struct db_stmt *base, int col)
{
    return sqlite3_column_int64(((struct sq_stmt *)base)->h, col);
}

static double sq_column_f64(struct db_stmt *base, int col)
{
    return sqlite3_column_double(((struct sq_stmt *)base)->h, col);
}

static const char *sq_column_text(struct db_stmt *base, int col)
{
    return (const char *)sqlite3_column_text(((struct sq_stmt *)base)->h, col);
}

static const void *sq_column_blob(struct db_stmt *base, int col, size_t *len)
{
    sqlite3_stmt *h = ((struct sq_stmt *)base)->h;
    /* blob first, then bytes: that order never converts the value twice. */
    const void *p = sqlite3_column_blob(h, col);

    *len = (size_t)sqlite3_column_bytes(h, col);
    return p;
}

static int64_t sq_changes(struct db_stmt *base)
{
    return ((struct sq_stmt *)base)->changes;
}

/*-----------------------------------------------------------------------------
 * Scripts and transactions
 */

static int exec_simple(struct db *db, const char *sql, struct db_error *err)
{
    sqlite3 *h = handle(db);
    int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);

    if (rc != SQLITE_OK)
        return set_error(h, sqlite3_extended_errcode(h), err);
    return 0;
}

static int sq_exec_script(struct db *db, const char *sql, struct db_error *err)
{
    return exec_simple(db, sql, err);
}

static int sq_begin(struct db *db, struct db_error *err)
{
    return exec_simple(db, "BEGIN IMMEDIATE", err);
}

static int sq_commit(struct db *db, struct db_error *err)
{
    if (exec_simple(db, "COMMIT", err) == 0)
        return 0;
    /* A failed COMMIT leaves the transaction open; callers expect it gone. */
    if (!sqlite3_get_autocommit(handle(db)))
        sqlite3_exec(handle(db), "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static void sq_rollback(struct db *db)
{
    sqlite3 *h = handle(db);

    /* An error may already have rolled the transaction back (e.g. SQLITE_FULL). */
    if (sqlite3_get_autocommit(h))
        return;
    if (sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
        log_error("db: sqlite rollback failed", "%s", sqlite3_errmsg(h));
}

static int sq_migrate_lock(struct db *db, struct db_error *err)
{
    /* BEGIN IMMEDIATE already holds the database write lock. */
    (void)db;
    (void)err;
    return 0;
}

static const struct db_ops sq_ops = {
    .close = sq_close,
    .prepare = sq_prepare,
    .reuse = sq_reuse,
    .finalize = sq_finalize,
    .bind = sq_bind,
    .step = sq_step,
    .reset = sq_reset,
    .column_count = sq_column_count,
    .column_name = sq_column_name,
    .column_is_null = sq_column_is_null,
    .column_i64 = sq_column_i64,
    .column_f64 = sq_column_f64,
    .column_text = sq_column_text,
    .column_blob = sq_column_blob,
    .changes = sq_changes,
    .exec_script = sq_exec_script,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .migrate_lock = sq_migrate_lock,
};
