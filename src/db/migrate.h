/*
 * migrate.h — schema migrations.
 *
 * Migrations are files migrations/NNNN_name.sql, compiled into the binary
 * (see the Makefile's generated migrations_gen.c) so a deployed binary
 * carries its schema. They run in order, each in its own transaction, and
 * are recorded in schema_migrations(version, name, applied_at). The migrator
 * refuses to run when the database has a version the binary does not know
 * (a newer binary migrated it).
 */
#ifndef ARTISTRY_DB_MIGRATE_H
#define ARTISTRY_DB_MIGRATE_H

#include <stddef.h>

struct db;
struct db_error;

/** One migration: version number, name, SQL text. */
struct migration {
    int version;
    const char *name;
    const char *sql;    /* both engines, or SQLite when sql_pg is set */
    const char *sql_pg; /* PostgreSQL's text where the engines differ; NULL: use sql */
};

/** The migrations compiled into this binary, ascending by version. */
extern const struct migration migrate_builtin[];
extern const size_t migrate_builtin_count;

/** State of a database relative to a set of migrations. */
struct migrate_status {
    int db_version;      /* highest applied version, 0 if none */
    int binary_version;  /* highest known version */
    int pending;         /* known but not applied */
    int unknown;         /* applied but not known: the database is newer */
};

/** Read the status. Returns 0 or -1 (err filled). */
int migrate_status(struct db *db, const struct migration *m, size_t n, struct migrate_status *out,
                   struct db_error *err);

/**
 * Apply pending migrations in order. Returns the number applied (>= 0), or
 * -1 on failure (err filled; a failing migration is rolled back whole),
 * or -2 if the database is newer than the binary (nothing done).
 */
int migrate_up(struct db *db, const struct migration *m, size_t n, struct db_error *err);

#endif
