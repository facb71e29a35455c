/*
 * versions.c — version counters (see versions.h).
 */
#include "platform/versions.h"

#include "db/db.h"

static const char sql_get[] = "SELECT version FROM cache_versions WHERE name = $1";
static const char sql_bump[] = "INSERT INTO cache_versions (name, version) VALUES ($1, 1) "
                               "ON CONFLICT (name) DO UPDATE SET version = cache_versions.version + 1";

int versions_get(struct db *db, const char *name, int64_t *out, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, sql_get, err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(name));
    int rc = db_step(st, err);
    *out = rc == 1 ? db_column_i64(st, 0) : 0;
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

int versions_bump(struct db *db, const char *name, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(name)};
    return db_exec(db, sql_bump, p, 1, err) < 0 ? -1 : 0;
}
