/*
 * db.c — the engine-independent half of the database layer.
 *
 * db_open() picks a backend from the URL; every other call checks its
 * arguments, substitutes a scratch struct db_error when the caller passed
 * NULL, and dispatches through the connection's vtable (struct db_ops in
 * db_int.h). Shared machinery lives here: the per-connection statement cache
 * (SQL address -> statement, open addressing), transaction bookkeeping,
 * db_tx() retries with randomised backoff, and the process-wide observer.
 *
 * Caveats:
 *   - The cache is keyed by address, not by text: two different buffers with
 *     the same SQL get two statements, and a reused stack buffer would find a
 *     stale statement. Only static strings go through db_prepare()/db_exec().
 *   - db_set_observer() is meant to be called once at start-up; the pointer is
 *     atomic so a late call is not a data race, merely racy in effect.
 */
#include "db/db.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/arena.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db_int.h"

static _Atomic(db_observer_fn) observer;

/*-----------------------------------------------------------------------------
 * Errors
 */

void db__error_clear(struct db_error *err)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof(*err));
}

void db__error_set(struct db_error *err, enum db_errkind kind, const char *sqlstate, const char *constraint,
                   const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    memset(err, 0, sizeof(*err));
    err->kind = kind;
    if (sqlstate != NULL)
        snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", sqlstate);
    if (constraint != NULL)
        snprintf(err->constraint, sizeof(err->constraint), "%s", constraint);
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

/** Name of an error kind, for logs and metrics labels. */
const char *db_errkind_name(enum db_errkind kind)
{
    switch (kind) {
    case DB_E_NONE:
        return "none";
    case DB_E_UNIQUE:
        return "unique_violation";
    case DB_E_FOREIGN:
        return "foreign_key_violation";
    case DB_E_CHECK:
        return "check_violation";
    case DB_E_RETRY:
        return "retry";
    case DB_E_CONN:
        return "connection";
    case DB_E_SQL:
        return "sql";
    case DB_E_OTHER:
        break;
    }
    return "other";
}

/*-----------------------------------------------------------------------------
 * SQL rewriting shared by the backends
 */

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* If the word w starts at p (case-insensitive, whole word), return the address after it, else NULL. */
static const char *match_word(const char *p, const char *w)
{
    size_t n = strlen(w);

    if (strncasecmp(p, w, n) != 0 || is_word_char(p[n]))
        return NULL;
    return p + n;
}

static const char *skip_space(const char *p)
{
    while (is_space(*p))
        p++;
    return p;
}

/* "FOR UPDATE [SKIP LOCKED | NOWAIT]" starting at p: return its end, or NULL. */
static const char *match_for_update(const char *p)
{
    const char *q, *r;

    if ((q = match_word(p, "FOR")) == NULL || q == skip_space(q))
        return NULL;
    if ((q = match_word(skip_space(q), "UPDATE")) == NULL)
        return NULL;
    r = skip_space(q);
    if (r != q) {
        const char *s;
        if ((s = match_word(r, "SKIP")) != NULL && s != skip_space(s) &&
            (s = match_word(skip_space(s), "LOCKED")) != NULL)
            return s;
        if ((s = match_word(r, "NOWAIT")) != NULL)
            return s;
    }
    return q;
}

char *db__strip_for_update(const char *sql)
{
    char *out = NULL;
    const char *p = sql;
    char quote = 0;

    while (*p != '\0') {
        const char *end;

        if (quote != 0) {
            if (*p == quote)
                quote = 0;
            p++;
            continue;
        }
        if (*p == '\'' || *p == '"') {
            quote = *p++;
            continue;
        }
        if ((p == sql || !is_word_char(p[-1])) && (end = match_for_update(p)) != NULL) {
            if (out == NULL)
                out = xstrdup(sql);
            memset(out + (p - sql), ' ', (size_t)(end - p));
            p = end;
            continue;
        }
        p++;
    }
    return out;
}

/*-----------------------------------------------------------------------------
 * Statement cache
 */

static size_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;

    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)x;
}

static struct db_stmt *cache_get(const struct db__cache *c, const char *key)
{
    size_t i;

    if (c->cap == 0)
        return NULL;
    for (i = ptr_hash(key) & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        if (c->ents[i].key == key)
            return c->ents[i].st;
        if (c->ents[i].key == NULL)
            return NULL;
    }
}

static void cache_insert(struct db__cache_ent *ents, size_t cap, const char *key, struct db_stmt *st)
{
    size_t i;

    for (i = ptr_hash(key) & (cap - 1); ents[i].key != NULL; i = (i + 1) & (cap - 1))
        ;
    ents[i].key = key;
    ents[i].st = st;
}

static void cache_put(struct db__cache *c, const char *key, struct db_stmt *st)
{
    /* Keep the load under 1/2 so probes stay short. */
    if ((c->n + 1) * 2 > c->cap) {
        size_t ncap = c->cap == 0 ? 64 : c->cap * 2;
        struct db__cache_ent *nents = xcalloc(ncap, sizeof(*nents));
        for (size_t i = 0; i < c->cap; i++)
            if (c->ents[i].key != NULL)
                cache_insert(nents, ncap, c->ents[i].key, c->ents[i].st);
        free(c->ents);
        c->ents = nents;
        c->cap = ncap;
    }
    cache_insert(c->ents, c->cap, key, st);
    c->n++;
}

/*-----------------------------------------------------------------------------
 * Connections
 */

/** True if url names PostgreSQL ("postgres://" or "postgresql://"). */
bool db_url_is_pg(const char *url)
{
    if (url == NULL)
        return false;
    return strncasecmp(url, "postgres://", 11) == 0 || strncasecmp(url, "postgresql://", 13) == 0;
}

/** Open a connection; see db.h. The caller owns the result. */
struct db *db_open(const char *url, struct db_error *err)
{
    struct db *db;

    db__error_clear(err);
    if (url == NULL || *url == '\0') {
        db__error_set(err, DB_E_CONN, NULL, NULL, "empty database url");
        return NULL;
    }
    if (db_url_is_pg(url)) {
        db = db__pg_open(url, err);
    } else {
        if (strncmp(url, "sqlite:", 7) == 0)
            url += 7;
        db = db__sqlite_open(url, err);
    }
    return db;
}

/** Finalize cached statements and close; NULL is a no-op. */
void db_close(struct db *db)
{
    if (db == NULL)
        return;
    for (size_t i = 0; i < db->_cache.cap; i++)
        if (db->_cache.ents[i].key != NULL)
            db->_ops->finalize(db->_cache.ents[i].st);
    free(db->_cache.ents);
    db->_cache.ents = NULL;
    db->_cache.cap = db->_cache.n = 0;
    db->_ops->close(db);
}

/** Engine behind this connection. */
enum db_engine db_engine(const struct db *db)
{
    return db->_engine;
}

/*-----------------------------------------------------------------------------
 * Statements
 */

/** Cached prepare; see db.h. The statement stays owned by the connection. */
struct db_stmt *db_prepare(struct db *db, const char *sql, struct db_error *err)
{
    struct db_error scratch;
    struct db_stmt *st;

    if (err == NULL)
        err = &scratch;
    db__error_clear(err);
    APP_ASSERT(db != NULL && sql != NULL);
    st = cache_get(&db->_cache, sql);
    if (st != NULL) {
        if (db->_ops->reuse(st, err) != 0)
            return NULL;
        st->_executed = st->_done = false;
        return st;
    }
    st = db->_ops->prepare(db, sql, err);
    if (st == NULL)
        return NULL;
    st->_db = db;
    st->_cached = true;
    st->_executed = st->_done = false;
    cache_put(&db->_cache, sql, st);
    return st;
}

/** Uncached prepare of ad-hoc text; the caller must db_finalize() the result. */
struct db_stmt *db_prepare_once(struct db *db, const char *sql, struct db_error *err)
{
    struct db_error scratch;
    struct db_stmt *st;

    if (err == NULL)
        err = &scratch;
    db__error_clear(err);
    APP_ASSERT(db != NULL && sql != NULL);
    st = db->_ops->prepare(db, sql, err);
    if (st == NULL)
        return NULL;
    st->_db = db;
    st->_cached = false;
    st->_executed = st->_done = false;
    return st;
}

/** Release a statement from db_prepare_once(); NULL is a no-op. */
void db_finalize(struct db_stmt *st)
{
    if (st == NULL)
        return;
    /* Cached statements belong to the connection; finalizing one would leave a dangling cache entry. */
    APP_ASSERT(!st->_cached);
    st->_db->_ops->finalize(st);
}

/** Bind $idx; 0, or -1 if idx is out of range. */
int db_bind(struct db_stmt *st, int idx, struct db_param p)
{
    if (p.type == DB_T_TEXT && p.s == NULL)
        p.type = DB_T_NULL;
    return st->_db->_ops->bind(st, idx, p);
}

/** Bind params[0..n-1] to $1..$n; 0 or -1. */
int db_bind_all(struct db_stmt *st, const struct db_param *params, int n)
{
    for (int i = 0; i < n; i++)
        if (db_bind(st, i + 1, params[i]) != 0)
            return -1;
    return 0;
}

/** Execute / advance: 1 row, 0 done, -1 error. Blocks on the database. */
int db_step(struct db_stmt *st, struct db_error *err)
{
    struct db_error scratch;
    db_observer_fn fn = atomic_load_explicit(&observer, memory_order_relaxed);
    bool first = !st->_executed;
    int64_t t0 = 0;
    int rc;

    if (err == NULL)
        err = &scratch;
    db__error_clear(err);
    /* SQLite would silently re-run a finished statement; PostgreSQL would not. Neither does this. */
    if (st->_done)
        return 0;
    if (first && fn != NULL)
        t0 = time_mono_ns();
    rc = st->_db->_ops->step(st, err);
    st->_executed = true;
    st->_done = rc == 0;
    if (first && fn != NULL)
        fn((double)(time_mono_ns() - t0) / 1e9);
    return rc;
}

/** Reset for re-execution; bindings are kept. */
void db_reset(struct db_stmt *st)
{
    st->_executed = st->_done = false;
    st->_db->_ops->reset(st);
}

int db_column_count(struct db_stmt *st)
{
    return st->_db->_ops->column_count(st);
}

const char *db_column_name(struct db_stmt *st, int col)
{
    return st->_db->_ops->column_name(st, col);
}

bool db_column_is_null(struct db_stmt *st, int col)
{
    return st->_db->_ops->column_is_null(st, col);
}

int64_t db_column_i64(struct db_stmt *st, int col)
{
    return st->_db->_ops->column_i64(st, col);
}

double db_column_f64(struct db_stmt *st, int col)
{
    return st->_db->_ops->column_f64(st, col);
}

const char *db_column_text(struct db_stmt *st, int col)
{
    return st->_db->_ops->column_text(st, col);
}

const void *db_column_blob(struct db_stmt *st, int col, size_t *len)
{
    size_t scratch;

    return st->_db->_ops->column_blob(st, col, len != NULL ? len : &scratch);
}

int64_t db_changes(struct db_stmt *st)
{
    return st->_db->_ops->changes(st);
}

/*-----------------------------------------------------------------------------
 * Convenience
 */

/** Prepare (cached), bind, run to completion; rows changed or -1. */
int64_t db_exec(struct db *db, const char *sql, const struct db_param *params, int n, struct db_error *err)
{
    struct db_error scratch;
    struct db_stmt *st;
    int64_t changes = -1;
    int rc;

    if (err == NULL)
        err = &scratch;
    st = db_prepare(db, sql, err);
    if (st == NULL)
        goto out;
    if (db_bind_all(st, params, n) != 0) {
        db__error_set(err, DB_E_SQL, NULL, NULL, "db_exec: cannot bind %d parameters", n);
        goto out;
    }
    while ((rc = db_step(st, err)) == 1)
        ;
    if (rc == 0)
        changes = db_changes(st);
    db_reset(st);
out:
    return changes;
}

/** Run a multi-statement script without parameters; 0 or -1. */
int db_exec_script(struct db *db, const char *sql, struct db_error *err)
{
    struct db_error scratch;

    if (err == NULL)
        err = &scratch;
    db__error_clear(err);
    return db->_ops->exec_script(db, sql, err);
}

/*-----------------------------------------------------------------------------
 * Transactions
 */

int db_begin(struct db *db, struct db_error *err)
{
    struct db_error scratch;

    if (err == NULL)
        err = &scratch;
    db__error_clear(err);
    if (db->_in_tx) {
        db__error_set(err, DB_E_OTHER, NULL, NULL, "db_begin: already in a transaction");
        return -1;
    }
    if (db->_ops->begin(db, err) != 0)
        return -1;
    db->_in_tx = true;
    return 0;
}

/** COMMIT; on failure no transaction is left open (it was rolled back). */
int db_commit(struct db *db, struct db_error *err)
{
    struct db_error scratch;
    int rc;

    if (err == NULL)
        err = &scratch;
    db__error_clear(err);
    if (!db->_in_tx) {
        db__error_set(err, DB_E_OTHER, NULL, NULL, "db_commit: not in a transaction");
        return -1;
    }
    rc = db->_ops->commit(db, err);
    db->_in_tx = false;
    return rc;
}

void db_rollback(struct db *db)
{
    if (!db->_in_tx)
        return;
    db->_ops->rollback(db);
    db->_in_tx = false;
}

bool db_in_tx(const struct db *db)
{
    return db->_in_tx;
}

/* Sleep a random 50-100% of min(2 ms << attempt, 50 ms). */
static void backoff(int attempt)
{
    int64_t cap_us = attempt >= 5 ? 50000 : (int64_t)2000 << attempt;
    uint32_t r;
    int64_t us;
    struct timespec ts;

    if (cap_us > 50000)
        cap_us = 50000;
    random_bytes(&r, sizeof(r));
    us = cap_us / 2 + (int64_t)(r % (uint32_t)(cap_us / 2 + 1));
    ts.tv_sec = 0;
    ts.tv_nsec = (long)(us * 1000);
    nanosleep(&ts, NULL);
}

/* One attempt of db_tx: begin, fn, commit or roll back. */
static int tx_once(struct db *db, int (*fn)(struct db *db, void *ctx, struct db_error *err), void *ctx,
                   struct db_error *err)
{
    if (db_begin(db, err) != 0)
        return -1;
    if (fn(db, ctx, err) != 0) {
        db_rollback(db);
        return -1;
    }
    return db_commit(db, err);
}

/** Run fn in a transaction, retrying DB_E_RETRY failures; see db.h. Blocks. */
int db_tx(struct db *db, int attempts, int (*fn)(struct db *db, void *ctx, struct db_error *err), void *ctx,
          struct db_error *err)
{
    struct db_error scratch;

    if (err == NULL)
        err = &scratch;
    if (attempts < 1)
        attempts = 1;
    for (int i = 0; i < attempts; i++) {
        if (i > 0) {
            log_debug("db_tx: retrying", "attempt %d: %s", i, err->msg);
            backoff(i - 1);
        }
        db__error_clear(err);
        if (tx_once(db, fn, ctx, err) == 0)
            return 0;
        /* fn may fail without setting err (kind NONE): that is not retryable. */
        if (err->kind != DB_E_RETRY)
            break;
    }
    return -1;
}

/*-----------------------------------------------------------------------------
 * Observation and migration hooks
 */

/** Install the process-wide query-duration observer (NULL to remove). */
void db_set_observer(db_observer_fn fn)
{
    atomic_store_explicit(&observer, fn, memory_order_relaxed);
}

int db__migrate_lock(struct db *db, struct db_error *err)
{
    return db->_ops->migrate_lock(db, err);
}
