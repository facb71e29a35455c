/*
 * db_pg.c — PostgreSQL backend of db.h, over libpq (synchronous calls).
 *
 * Statements are prepared server-side once per connection (PQprepare with a
 * generated name "s<n>", then PQdescribePrepared to learn the parameter count
 * and result columns) and run with PQexecPrepared. Parameters travel as text,
 * except BLOBs, which use the binary format. Results come back as text: the
 * first db_step() executes the statement and fetches the whole PGresult,
 * later steps walk its rows; integers are parsed from text (booleans "t"/"f"
 * read as 1/0), bytea columns are unescaped on demand.
 *
 * Lost connections: an error that leaves the connection bad (class 08, 57P0x,
 * CONNECTION_BAD) marks it broken. The next db_prepare(), db_begin() or
 * db_exec_script() tries PQreset() once; on success every cached statement is
 * re-prepared lazily (a generation counter tells stale ones apart) and the
 * transaction state is cleared, so a restarted server does not wedge a worker.
 *
 * Caveats:
 *   - Whole results are buffered in memory; page large queries with LIMIT.
 *   - Session settings made with SET are lost on reconnect.
 *   - A cached plan may fail with "cached plan must not change result type"
 *     after DDL on its tables (migrations at start-up run before serving).
 *   - PQconnectdb blocks; put connect_timeout=N in the URL to bound it.
 *   - db_column_text() of a BYTEA column is PostgreSQL's hex text ("\x..."),
 *     unlike SQLite's raw bytes; read BYTEA with db_column_blob().
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "db/db_int.h"

#define BYTEA_OID 17
/* Advisory lock key for migrators: "Artistry" as a big-endian 64-bit integer. */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_xact_lock(4715959756067730041)"

struct pg_db {
    struct db base;
    PGconn *conn;
    unsigned gen; /* bumped by every successful PQreset */
    bool broken;  /* the last error left the connection unusable */
    unsigned long next_id;
};

struct pg_stmt {
    struct db_stmt base;
    char name[32];
    char *sql;      /* owned copy, for re-preparing after a reconnect */
    unsigned gen;   /* connection generation the server-side statement belongs to */
    PGresult *desc; /* from PQdescribePrepared: column names before execution */
    int nparams;
    char **vals; /* owned copies; NULL is SQL NULL */
    int *lens;
    int *fmts;
    PGresult *res; /* result of the current execution, or NULL */
    int row;       /* current row, -1 before the first */
    int nrows;
    int64_t changes;
    unsigned char **blobs; /* unescaped bytea per column of the current row (PQfreemem) */
    size_t *bloblens;
    int nblobs;
};

static const struct db_ops pg_ops;

static struct pg_db *pgdb(struct db *db)
{
    return (struct pg_db *)db;
}

/*-----------------------------------------------------------------------------
 * Errors
 */

static enum db_errkind kind_of_sqlstate(const char *s)
{
    if (s == NULL || strlen(s) != 5)
        return DB_E_OTHER;
    if (strcmp(s, "23505") == 0)
        return DB_E_UNIQUE;
    if (strcmp(s, "23503") == 0)
        return DB_E_FOREIGN;
    if (strcmp(s, "23514") == 0 || strcmp(s, "23502") == 0)
        return DB_E_CHECK;
    if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0)
        return DB_E_RETRY;
    /* 57P01..57P03: admin shutdown, crash shutdown, cannot connect now. */
    if (strncmp(s, "08", 2) == 0 || strncmp(s, "57P0", 4) == 0)
        return DB_E_CONN;
    if (strncmp(s, "42", 2) == 0)
        return DB_E_SQL;
    return DB_E_OTHER;
}

/* Fill err from res (may be NULL) and the connection; returns -1. */
static int set_error(struct pg_db *pdb, const PGresult *res, struct db_error *err)
{
    const char *sqlstate = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *constraint = res != NULL ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    /* The primary message and detail read better in one log line than the multi-line full message. */
    const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    enum db_errkind kind = kind_of_sqlstate(sqlstate);
    size_t n;

    if (msg == NULL || *msg == '\0')
        msg = res != NULL ? PQresultErrorMessage(res) : "";
    if (msg == NULL || *msg == '\0')
        msg = PQerrorMessage(pdb->conn);
    if (constraint == NULL && res != NULL && sqlstate != NULL && strcmp(sqlstate, "23502") == 0)
        constraint = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
    if (PQstatus(pdb->conn) == CONNECTION_BAD)
        kind = DB_E_CONN;
    if (kind == DB_E_CONN)
        pdb->broken = true;
    db__error_set(err, kind, sqlstate, constraint, "%s%s%s", msg, detail != NULL ? ": " : "",
                  detail != NULL ? detail : "");
    n = strlen(err->msg);
    while (n > 0 && (err->msg[n - 1] == '\n' || err->msg[n - 1] == ' '))
        err->msg[--n] = '\0';
    return -1;
}

/* Check a result: 0 if ok (COMMAND_OK, TUPLES_OK, EMPTY_QUERY), else fill err and -1. Does not clear res. */
static int check_result(struct pg_db *pdb, const PGresult *res, struct db_error *err)
{
    switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
        return 0;
    default:
        return set_error(pdb, res, err);
    }
}

/* PQexec sql and check it; 0 or -1. */
static int exec_simple(struct pg_db *pdb, const char *sql, struct db_error *err)
{
    PGresult *res = PQexec(pdb->conn, sql);
    int rc = check_result(pdb, res, err);

    PQclear(res);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Connections
 */

static void notice_to_log(void *arg, const char *message)
{
    size_t n = strlen(message);

    (void)arg;
    while (n > 0 && message[n - 1] == '\n')
        n--;
    log_warn("db: postgres notice", "%.*s", (int)n, message);
}

static int session_setup(struct pg_db *pdb, struct db_error *err)
{
    return exec_simple(pdb, "SET client_min_messages = warning", err);
}

/* If the connection broke, try one PQreset; 0 when usable, else -1 (DB_E_CONN). */
static int conn_ensure(struct pg_db *pdb, struct db_error *err)
{
    if (!pdb->broken && PQstatus(pdb->conn) == CONNECTION_OK)
        return 0;
    PQreset(pdb->conn);
    if (PQstatus(pdb->conn) != CONNECTION_OK) {
        pdb->broken = true;
        return set_error(pdb, NULL, err);
    }
    pdb->broken = false;
    pdb->gen++;
    pdb->base._in_tx = false;
    log_warn("db: reconnected to postgres", "generation %u", pdb->gen);
    return session_setup(pdb, err);
}

struct db *db__pg_open(const char *url, struct db_error *err)
{
    struct pg_db *pdb = xcalloc(1, sizeof(*pdb));

    pdb->base._ops = &pg_ops;
    pdb->base._engine = DB_ENGINE_PG;
    pdb->conn = PQconnectdb(url);
    if (pdb->conn == NULL) {
        db__error_set(err, DB_E_CONN, NULL, NULL, "libpq: out of memory");
        goto fail;
    }
    PQsetNoticeProcessor(pdb->conn, notice_to_log, NULL);
    if (PQstatus(pdb->conn) != CONNECTION_OK) {
        set_error(pdb, NULL, err);
        goto fail;
    }
    if (session_setup(pdb, err) != 0)
        goto fail;
    return &pdb->base;

fail:
    PQfinish(pdb->conn);
    free(pdb);
    return NULL;
}

static void pg_close(struct db *db)
{
    PQfinish(pgdb(db)->conn);
    free(db);
}

/*-----------------------------------------------------------------------------
 * Statements
 */

static void free_blobs(struct pg_stmt *st)
{
    for (int i = 0; i < st->nblobs; i++) {
        if (st->blobs[i] != NULL)
            PQfreemem(st->blobs[i]);
        st->blobs[i] = NULL;
    }
}

static void clear_result(struct pg_stmt *st)
{
    free_blobs(st);
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    st->nrows = 0;
}

static void clear_bindings(struct pg_stmt *st)
{
    for (int i = 0; i < st->nparams; i++) {
        free(st->vals[i]);
        st->vals[i] = NULL;
        st->lens[i] = 0;
        st->fmts[i] = 0;
    }
}

/* Create the server-side statement for st->sql in the current generation; 0 or -1. */
static int server_prepare(struct pg_db *pdb, struct pg_stmt *st, struct db_error *err)
{
    PGresult *res;

    snprintf(st->name, sizeof(st->name), "s%lu", pdb->next_id++);
    res = PQprepare(pdb->conn, st->name, st->sql, 0, NULL);
    if (check_result(pdb, res, err) != 0) {
        PQclear(res);
        return -1;
    }
    PQclear(res);
    res = PQdescribePrepared(pdb->conn, st->name);
    if (check_result(pdb, res, err) != 0) {
        PQclear(res);
        return -1;
    }
    PQclear(st->desc);
    st->desc = res;
    st->gen = pdb->gen;
    return 0;
}

/* Make sure the connection is up and st is prepared on it; 0 or -1. */
static int ensure_prepared(struct pg_db *pdb, struct pg_stmt *st, struct db_error *err)
{
    if (conn_ensure(pdb, err) != 0)
        return -1;
    if (st->gen == pdb->gen)
        return 0;
    if (server_prepare(pdb, st, err) != 0)
        return -1;
    if (PQnparams(st->desc) != st->nparams) {
        db__error_set(err, DB_E_SQL, NULL, NULL, "parameter count changed on re-prepare");
        return -1;
    }
    return 0;
}

static void pg_finalize(struct db_stmt *base)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    struct pg_db *pdb = pgdb(base->_db);

    /* Cached statements die with the connection; ad-hoc ones are dropped now. */
    if (!base->_cached && st->gen == pdb->gen && !pdb->broken && st->name[0] != '\0') {
        char sql[64];
        struct db_error err;
        snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
        if (exec_simple(pdb, sql, &err) != 0)
            log_debug("db: deallocate failed", "%s", err.msg);
    }
    clear_result(st);
    clear_bindings(st);
    PQclear(st->desc);
    free(st->vals);
    free(st->lens);
    free(st->fmts);
    free(st->blobs);
    free(st->bloblens);
    free(st->sql);
    free(st);
}

static struct db_stmt *pg_prepare(struct db *db, const char *sql, struct db_error *err)
{
    struct pg_db *pdb = pgdb(db);
    struct pg_stmt *st;

    if (conn_ensure(pdb, err) != 0)
        return NULL;
    st = xcalloc(1, sizeof(*st));
    st->base._db = db;
    st->sql = xstrdup(sql);
    st->row = -1;
    if (server_prepare(pdb, st, err) != 0) {
        st->name[0] = '\0'; /* nothing to deallocate */
        pg_finalize(&st->base);
        return NULL;
    }
    st->nparams = PQnparams(st->desc);
    if (st->nparams > 0) {
        st->vals = xcalloc((size_t)st->nparams, sizeof(*st->vals));
        st->lens = xcalloc((size_t)st->nparams, sizeof(*st->lens));
        st->fmts = xcalloc((size_t)st->nparams, sizeof(*st->fmts));
    }
    return &st->base;
}

static void pg_reset(struct db_stmt *base)
{
    clear_result((struct pg_stmt *)base);
}

static int pg_reuse(struct db_stmt *base, struct db_error *err)
{
    struct pg_stmt *st = (struct pg_stmt *)base;

    clear_result(st);
    clear_bindings(st);
    st->changes = 0;
    return ensure_prepared(pgdb(base->_db), st, err);
}

static int pg_bind(struct db_stmt *base, int idx, struct db_param p)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    char num[64];
    int i = idx - 1;

    if (idx < 1 || idx > st->nparams)
        return -1;
    free(st->vals[i]);
    st->vals[i] = NULL;
    st->lens[i] = 0;
    st->fmts[i] = 0;
    switch (p.type) {
    case DB_T_NULL:
        break;
    case DB_T_I64:
        snprintf(num, sizeof(num), "%lld", (long long)p.i);
        st->vals[i] = xstrdup(num);
        break;
    case DB_T_F64:
        snprintf(num, sizeof(num), "%.17g", p.f);
        st->vals[i] = xstrdup(num);
        break;
    case DB_T_TEXT: {
        size_t n = p.len != 0 ? p.len : strlen(p.s);
        st->vals[i] = xmalloc(n + 1);
        memcpy(st->vals[i], p.s, n);
        st->vals[i][n] = '\0';
        break;
    }
    case DB_T_BLOB:
        if (p.len > (size_t)INT32_MAX)
            return -1;
        st->vals[i] = xmalloc(p.len + 1);
        if (p.len > 0)
            memcpy(st->vals[i], p.s, p.len);
        st->lens[i] = (int)p.len;
        st->fmts[i] = 1;
        break;
    }
    return 0;
}

/* Rows an INSERT/UPDATE/DELETE/MERGE changed; 0 for SELECT and utility commands. */
static int64_t count_changes(PGresult *res)
{
    const char *tuples = PQcmdTuples(res);

    if (strncmp(PQcmdStatus(res), "SELECT", 6) == 0 || *tuples == '\0')
        return 0;
    return strtoll(tuples, NULL, 10);
}

static int pg_step(struct db_stmt *base, struct db_error *err)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    struct pg_db *pdb = pgdb(base->_db);

    if (st->res == NULL) {
        PGresult *res;
        if (ensure_prepared(pdb, st, err) != 0)
            return -1;
        res = PQexecPrepared(pdb->conn, st->name, st->nparams, (const char *const *)st->vals, st->lens, st->fmts, 0);
        if (check_result(pdb, res, err) != 0) {
            PQclear(res);
            return -1;
        }
        st->res = res;
        st->row = -1;
        st->nrows = PQntuples(res);
        st->changes = count_changes(res);
        if (PQnfields(res) > st->nblobs) {
            free(st->blobs);
            free(st->bloblens);
            st->nblobs = PQnfields(res);
            st->blobs = xcalloc((size_t)st->nblobs, sizeof(*st->blobs));
            st->bloblens = xcalloc((size_t)st->nblobs, sizeof(*st->bloblens));
        }
    }
    free_blobs(st);
    if (st->row < st->nrows)
        st->row++;
    return st->row < st->nrows ? 1 : 0;
}

/* True when col of the current row can be read. */
static bool have_cell(const struct pg_stmt *st, int col)
{
    return st->res != NULL && st->row >= 0 && st->row < st->nrows && col >= 0 && col < PQnfields(st->res);
}

static int pg_column_count(struct db_stmt *base)
{
    struct pg_stmt *st = (struct pg_stmt *)base;

    return PQnfields(st->res != NULL ? st->res : st->desc);
}

static const char *pg_column_name(struct db_stmt *base, int col)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    const PGresult *r = st->res != NULL ? st->res : st->desc;

    if (col < 0 || col >= PQnfields(r))
        return NULL;
    return PQfname(r, col);
}

static bool pg_column_is_null(struct db_stmt *base, int col)
{
    struct pg_stmt *st = (struct pg_stmt *)base;

    return !have_cell(st, col) || PQgetisnull(st->res, st->row, col);
}

static const char *pg_column_text(struct db_stmt *base, int col)
{
    struct pg_stmt *st = (struct pg_stmt *)base;

    if (pg_column_is_null(base, col))
        return NULL;
    return PQgetvalue(st->res, st->row, col);
}

static int64_t pg_column_i64(struct db_stmt *base, int col)
{
    const char *s = pg_column_text(base, col);

    if (s == NULL)
        return 0;
    if (strcmp(s, "t") == 0)
        return 1;
    if (strcmp(s, "f") == 0)
        return 0;
    return strtoll(s, NULL, 10);
}

static double pg_column_f64(struct db_stmt *base, int col)
{
    const char *s = pg_column_text(base, col);

    return s != NULL ? strtod(s, NULL) : 0.0;
}

static const void *pg_column_blob(struct db_stmt *base, int col, size_t *len)
{
    struct pg_stmt *st = (struct pg_stmt *)base;

    *len = 0;
    if (pg_column_is_null(base, col))
        return NULL;
    if (PQftype(st->res, col) != BYTEA_OID) {
        *len = (size_t)PQgetlength(st->res, st->row, col);
        return PQgetvalue(st->res, st->row, col);
    }
    if (st->blobs[col] == NULL) {
        st->blobs[col] = PQunescapeBytea((const unsigned char *)PQgetvalue(st->res, st->row, col), &st->bloblens[col]);
        if (st->blobs[col] == NULL)
            APP_PANIC("PQunescapeBytea: out of memory");
    }
    *len = st->bloblens[col];
    return st->blobs[col];
}

static int64_t pg_changes(struct db_stmt *base)
{
    return ((struct pg_stmt *)base)->changes;
}

/*-----------------------------------------------------------------------------
 * Scripts and transactions
 */

static int pg_exec_script(struct db *db, const char *sql, struct db_error *err)
{
    struct pg_db *pdb = pgdb(db);

    if (conn_ensure(pdb, err) != 0)
        return -1;
    return exec_simple(pdb, sql, err);
}

static int pg_begin(struct db *db, struct db_error *err)
{
    struct pg_db *pdb = pgdb(db);

    if (conn_ensure(pdb, err) != 0)
        return -1;
    return exec_simple(pdb, "BEGIN", err);
}

static int pg_commit(struct db *db, struct db_error *err)
{
    struct pg_db *pdb = pgdb(db);
    PGresult *res = PQexec(pdb->conn, "COMMIT");
    int rc = check_result(pdb, res, err);

    /* COMMIT of a transaction an earlier error aborted "succeeds" with tag ROLLBACK. */
    if (rc == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
        db__error_set(err, DB_E_OTHER, "25P02", NULL, "transaction was aborted by an earlier error; rolled back");
        rc = -1;
    }
    PQclear(res);
    return rc;
}

static void pg_rollback(struct db *db)
{
    struct pg_db *pdb = pgdb(db);
    struct db_error err;

    if (exec_simple(pdb, "ROLLBACK", &err) != 0)
        log_warn("db: postgres rollback failed", "%s", err.msg);
}

static int pg_migrate_lock(struct db *db, struct db_error *err)
{
    return exec_simple(pgdb(db), MIGRATE_LOCK_SQL, err);
}

static const struct db_ops pg_ops = {
    .close = pg_close,
    .prepare = pg_prepare,
    .reuse = pg_reuse,
    .finalize = pg_finalize,
    .bind = pg_bind,
    .step = pg_step,
    .reset = pg_reset,
    .column_count = pg_column_count,
    .column_name = pg_column_name,
    .column_is_null = pg_column_is_null,
    .column_i64 = pg_column_i64,
    .column_f64 = pg_column_f64,
    .column_text = pg_column_text,
    .column_blob = pg_column_blob,
    .changes = pg_changes,
    .exec_script = pg_exec_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .migrate_lock = pg_migrate_lock,
};
