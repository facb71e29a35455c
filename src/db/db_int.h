/*
 * db_int.h — declarations shared by db.c, db_sqlite.c, db_pg.c and migrate.c.
 *
 * Each backend embeds `struct db` / `struct db_stmt` as the first member of
 * its own connection / statement struct and fills a `struct db_ops` vtable.
 * db.c owns everything engine-independent: argument checks, the per-connection
 * statement cache (keyed by the SQL string's address), transaction state, the
 * observer and db_tx retries.
 *
 * Caveats: private to src/db/; nothing outside this directory includes it
 * (tests may).
 */
#ifndef ARTISTRY_DB_DB_INT_H
#define ARTISTRY_DB_DB_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/** Backend operations. Every err passed to a backend is non-NULL. */
struct db_ops {
    void (*close)(struct db *db);
    /* Compile sql into a new statement; the backend keeps what it needs of sql. */
    struct db_stmt *(*prepare)(struct db *db, const char *sql, struct db_error *err);
    /* A cached statement is handed out again: reset it and clear its bindings. */
    int (*reuse)(struct db_stmt *st, struct db_error *err);
    void (*finalize)(struct db_stmt *st);
    int (*bind)(struct db_stmt *st, int idx, struct db_param p);
    int (*step)(struct db_stmt *st, struct db_error *err);
    void (*reset)(struct db_stmt *st);
    int (*column_count)(struct db_stmt *st);
    const char *(*column_name)(struct db_stmt *st, int col);
    bool (*column_is_null)(struct db_stmt *st, int col);
    int64_t (*column_i64)(struct db_stmt *st, int col);
    double (*column_f64)(struct db_stmt *st, int col);
    const char *(*column_text)(struct db_stmt *st, int col);
    const void *(*column_blob)(struct db_stmt *st, int col, size_t *len);
    int64_t (*changes)(struct db_stmt *st);
    int (*exec_script)(struct db *db, const char *sql, struct db_error *err);
    int (*begin)(struct db *db, struct db_error *err);
    /* On failure the backend leaves no transaction open. */
    int (*commit)(struct db *db, struct db_error *err);
    void (*rollback)(struct db *db);
    /* Serialise migrators; called right after begin (see db__migrate_lock). */
    int (*migrate_lock)(struct db *db, struct db_error *err);
};

/** One entry of the statement cache. */
struct db__cache_ent {
    const char *key;
    struct db_stmt *st;
};

/** Open-addressing (linear probing) hash table: SQL address -> statement. */
struct db__cache {
    struct db__cache_ent *ents;
    size_t cap; /* power of two, or 0 */
    size_t n;
};

/** Common head of every connection. */
struct db {
    const struct db_ops *_ops;
    enum db_engine _engine;
    bool _in_tx;
    struct db__cache _cache;
};

/** Common head of every statement. */
struct db_stmt {
    struct db *_db;
    bool _cached;   /* owned by the cache; db_finalize() refuses it */
    bool _executed; /* db_step() ran since the last prepare/reset (for the observer) */
    bool _done;     /* db_step() returned 0: further steps return 0 without re-executing */
};

/** Fill err (may be NULL); fmt formats msg. */
void db__error_set(struct db_error *err, enum db_errkind kind, const char *sqlstate, const char *constraint,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/** Reset err to "no error". */
void db__error_clear(struct db_error *err);

/**
 * Copy sql into a new malloc'd string with "FOR UPDATE [SKIP LOCKED | NOWAIT]"
 * blanked out (outside quotes). Returns NULL when sql has no such clause.
 */
char *db__strip_for_update(const char *sql);

/** Open a SQLite connection; path without the "sqlite:" prefix. */
struct db *db__sqlite_open(const char *path, struct db_error *err);

/** Open a PostgreSQL connection; url is a libpq connection URI. */
struct db *db__pg_open(const char *url, struct db_error *err);

/**
 * Inside a transaction, block until no other migrator runs (PostgreSQL: a
 * transaction-scoped advisory lock; SQLite: nothing, BEGIN IMMEDIATE already
 * holds the write lock). Returns 0 or -1.
 */
int db__migrate_lock(struct db *db, struct db_error *err);

#endif
