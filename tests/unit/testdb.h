/*
 * testdb.h — a fresh, migrated database for a unit test: a SQLite file in a
 * new temporary directory, or a new database on the PostgreSQL server of
 * ARTISTRY_TEST_DATABASE_URL (the test is skipped when it is not set),
 * dropped again by testdb_close.
 *
 * Header-only (static inline): each unit test is one source file.
 */
#ifndef ARTISTRY_TESTS_UNIT_TESTDB_H
#define ARTISTRY_TESTS_UNIT_TESTDB_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/ids.h"
#include "db/db.h"
#include "db/migrate.h"

struct testdb {
    bool pg;
    char dir[64];
    char url[512];
    char admin_url[512]; /* PostgreSQL: where the test database was created from */
    char pgname[64];
    struct db *db;
};

/* Replace the database name in a postgres:// URL. */
static inline void testdb_url_with_db(const char *url, const char *name, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    p = p != NULL ? p + 3 : url;
    const char *slash = strchr(p, '/');
    const char *q = strchr(p, '?');
    if (slash != NULL && q != NULL && q < slash)
        slash = NULL;
    size_t head = slash != NULL ? (size_t)(slash - url) : (q != NULL ? (size_t)(q - url) : strlen(url));
    snprintf(out, cap, "%.*s/%s%s", (int)head, url, name, q != NULL ? q : "");
}

static inline void testdb_admin_sql(const char *url, const char *sql)
{
    struct db_error err;
    struct db *a = db_open(url, &err);
    cr_assert_not_null(a, "connect %s: %s", url, err.msg);
    cr_assert_eq(db_exec_script(a, sql, &err), 0, "%s: %s", sql, err.msg);
    db_close(a);
}

/* Create, open and migrate; tag names the database or directory ("jobs", "ledger"). */
static inline void testdb_open(struct testdb *t, bool pg, const char *tag)
{
    struct db_error err;
    memset(t, 0, sizeof *t);
    t->pg = pg;
    if (pg) {
        const char *base = getenv("ARTISTRY_TEST_DATABASE_URL");
        if (base == NULL || base[0] == '\0')
            cr_skip_test("ARTISTRY_TEST_DATABASE_URL not set");
        unsigned char r[6];
        random_bytes(r, sizeof r);
        snprintf(t->pgname, sizeof t->pgname, "%s_test_%02x%02x%02x%02x%02x%02x", tag, r[0], r[1], r[2], r[3], r[4],
                 r[5]);
        snprintf(t->admin_url, sizeof t->admin_url, "%s", base);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", t->pgname);
        testdb_admin_sql(base, sql);
        testdb_url_with_db(base, t->pgname, t->url, sizeof t->url);
    } else {
        snprintf(t->dir, sizeof t->dir, "/tmp/artistry-%s-XXXXXX", tag);
        cr_assert_not_null(mkdtemp(t->dir));
        snprintf(t->url, sizeof t->url, "%s/test.db", t->dir);
    }
    t->db = db_open(t->url, &err);
    cr_assert_not_null(t->db, "open %s: %s", t->url, err.msg);
    cr_assert(migrate_up(t->db, migrate_builtin, migrate_builtin_count, &err) >= 0, "migrate: %s", err.msg);
}

/* Close and remove the database (drop it, or delete the file and its directory). */
static inline void testdb_close(struct testdb *t)
{
    db_close(t->db);
    t->db = NULL;
    if (t->pg) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", t->pgname);
        testdb_admin_sql(t->admin_url, sql);
    } else {
        static const char *const suffix[] = {"", "-wal", "-shm"};
        char path[600];
        for (size_t i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s%s", t->url, suffix[i]);
            unlink(path);
        }
        rmdir(t->dir);
    }
}

#endif
