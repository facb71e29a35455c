/*
 * db.h — one database interface, two backends (SQLite 3, PostgreSQL via libpq).
 *
 * The same SQL text runs on both engines: parameters are written $1..$n
 * (SQLite binds them by name, because its positional index follows first
 * appearance), ids are TEXT, money BIGINT minor units, timestamps BIGINT
 * epoch milliseconds, booleans INTEGER 0/1, JSON as TEXT.
 *
 * Dialect differences live only in db_sqlite.c and db_pg.c:
 *   - "FOR UPDATE" / "FOR UPDATE SKIP LOCKED" row-locking clauses are dropped
 *     on SQLite, where db_begin() takes the database write lock up front
 *     (BEGIN IMMEDIATE), which is stronger.
 *
 * A `struct db` is one connection and belongs to one thread. Prepared
 * statements are cached per connection, keyed by the SQL string's address
 * (service SQL lives in static tables), so pass static strings to
 * db_prepare(); db_prepare_once() is for ad-hoc text.
 *
 * Errors are typed (struct db_error.kind) so callers can map a unique
 * violation to 409 and retry busy/serialization failures.
 *
 * Caveats: a statement handle is valid until the next db_prepare() of the
 * same SQL on the same connection, or db_close().
 */
#ifndef ARTISTRY_DB_DB_H
#define ARTISTRY_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum db_engine { DB_ENGINE_SQLITE, DB_ENGINE_PG };

enum db_errkind {
    DB_E_NONE = 0,
    DB_E_UNIQUE,    /* unique or primary-key violation (SQLSTATE 23505, SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY) */
    DB_E_FOREIGN,   /* foreign-key violation (23503) */
    DB_E_CHECK,     /* CHECK or NOT NULL violation (23514, 23502) */
    DB_E_RETRY,     /* busy, locked, serialization failure (40001) or deadlock (40P01): safe to retry the transaction */
    DB_E_CONN,      /* connection lost or could not connect */
    DB_E_SQL,       /* syntax error, unknown table: a bug */
    DB_E_OTHER,
};

/** Details of a failed database call. */
struct db_error {
    enum db_errkind kind;
    char sqlstate[6];     /* PostgreSQL SQLSTATE or "" */
    char constraint[64];  /* constraint or column named by the engine, when known */
    char msg[256];        /* engine message (for the log, not the client) */
};

/** Parameter and column types. */
enum db_type { DB_T_NULL, DB_T_I64, DB_T_TEXT, DB_T_BLOB, DB_T_F64 };

/** One bound parameter; build with the DB_* helpers below. */
struct db_param {
    enum db_type type;
    int64_t i;
    double f;
    const char *s; /* TEXT: NUL-terminated unless len set; BLOB: len bytes */
    size_t len;
};

#define DB_NULL ((struct db_param){.type = DB_T_NULL})
#define DB_I64(v) ((struct db_param){.type = DB_T_I64, .i = (int64_t)(v)})
#define DB_F64(v) ((struct db_param){.type = DB_T_F64, .f = (double)(v)})
/* A function, not a macro: a NULL string binds SQL NULL, and arrays pass without -Waddress noise. */
static inline struct db_param db_param_text(const char *v)
{
    struct db_param p = {.type = v ? DB_T_TEXT : DB_T_NULL, .s = v};
    return p;
}
#define DB_TEXT(v) db_param_text(v)
#define DB_BLOB(p, n) ((struct db_param){.type = DB_T_BLOB, .s = (const char *)(p), .len = (n)})

struct db;
struct db_stmt;

/*-----------------------------------------------------------------------------
 * Connections
 */

/**
 * Open a connection. url is "postgres://..." / "postgresql://..." for
 * PostgreSQL, otherwise a SQLite file path ("sqlite:" prefix optional;
 * parent directory must exist). SQLite connections get WAL, foreign_keys=ON,
 * busy_timeout=5000, synchronous=NORMAL. Returns NULL and fills err on failure.
 * The caller owns the connection; release with db_close().
 */
struct db *db_open(const char *url, struct db_error *err);

/** Finalize cached statements and close. NULL is a no-op. */
void db_close(struct db *db);

enum db_engine db_engine(const struct db *db);

/** True if url names PostgreSQL. */
bool db_url_is_pg(const char *url);

/*-----------------------------------------------------------------------------
 * Statements
 */

/**
 * Prepare (or fetch from the per-connection cache) the statement for sql,
 * which must be a static string. The statement is reset and its bindings
 * cleared. Returns NULL and fills err if the SQL does not compile.
 */
struct db_stmt *db_prepare(struct db *db, const char *sql, struct db_error *err);

/** Bind parameter $idx (1-based). Returns 0, or -1 if idx is out of range. */
int db_bind(struct db_stmt *st, int idx, struct db_param p);

/** Bind params[0..n-1] to $1..$n. */
int db_bind_all(struct db_stmt *st, const struct db_param *params, int n);

/**
 * Execute / advance. Returns 1 when a row is available, 0 when done, -1 on
 * error (err filled). On PostgreSQL the first call executes the statement.
 */
int db_step(struct db_stmt *st, struct db_error *err);

/** Reset the statement so it can be bound and stepped again. */
void db_reset(struct db_stmt *st);

int db_column_count(struct db_stmt *st);
const char *db_column_name(struct db_stmt *st, int col);
bool db_column_is_null(struct db_stmt *st, int col);
int64_t db_column_i64(struct db_stmt *st, int col);
double db_column_f64(struct db_stmt *st, int col);
/** Text of the column (NULL if SQL NULL); valid until the next step/reset. */
const char *db_column_text(struct db_stmt *st, int col);
/** Bytes of a BLOB/TEXT column; *len receives the length. */
const void *db_column_blob(struct db_stmt *st, int col, size_t *len);

/** Rows changed by the last completed INSERT/UPDATE/DELETE on this statement. */
int64_t db_changes(struct db_stmt *st);

/*-----------------------------------------------------------------------------
 * Convenience
 */

/** Prepare sql, bind params, step to completion. Returns rows changed, or -1. */
int64_t db_exec(struct db *db, const char *sql, const struct db_param *params, int n, struct db_error *err);

/** Run a script of several statements without parameters (migrations). Returns 0 or -1. */
int db_exec_script(struct db *db, const char *sql, struct db_error *err);

/** Prepare an ad-hoc (non-static) SQL text; the caller must db_finalize() it. */
struct db_stmt *db_prepare_once(struct db *db, const char *sql, struct db_error *err);
void db_finalize(struct db_stmt *st);

/*-----------------------------------------------------------------------------
 * Transactions
 */

/** BEGIN (SQLite: BEGIN IMMEDIATE). Nested calls are an error. */
int db_begin(struct db *db, struct db_error *err);
int db_commit(struct db *db, struct db_error *err);
/** ROLLBACK; never fails from the caller's point of view (errors are logged). */
void db_rollback(struct db *db);
bool db_in_tx(const struct db *db);

/**
 * Run fn(db, ctx, err) inside a transaction: commit if it returns 0, roll
 * back if -1. When the failure is DB_E_RETRY (busy, serialization failure,
 * deadlock) the whole transaction is retried up to `attempts` times with a
 * short randomised backoff; fn must therefore be free of side effects outside
 * the database. Returns 0 or -1.
 */
int db_tx(struct db *db, int attempts, int (*fn)(struct db *db, void *ctx, struct db_error *err), void *ctx,
          struct db_error *err);

/** Human-readable name of an error kind ("unique_violation", ...). */
const char *db_errkind_name(enum db_errkind kind);

/*-----------------------------------------------------------------------------
 * Observation: the metrics layer registers a callback for query durations.
 */
typedef void (*db_observer_fn)(double seconds);
/** Set a process-wide observer called after every db_step() that executes a statement. */
void db_set_observer(db_observer_fn fn);

#endif
