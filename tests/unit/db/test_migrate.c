/*
 * test_migrate.c — unit tests of the migrator (src/db/migrate.c).
 *
 * Each case runs on SQLite (a fresh temporary file) and, when
 * ARTISTRY_TEST_DATABASE_URL is set, on PostgreSQL in a schema of its own.
 * The migrations are the tests' own arrays, not migrations/.
 *
 * Caveats: the harness is a copy of test_db.c's (each test file is one
 * self-contained Criterion binary).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/ids.h"
#include "db/db.h"
#include "db/migrate.h"

/*-----------------------------------------------------------------------------
 * Harness
 */

enum eng { ENG_SQLITE, ENG_PG };

static struct {
    enum eng eng;
    char dir[64];
    char path[128];
    const char *url;
    char schema[40];
    struct db *db;
} env;

static struct db *open_db(void)
{
    struct db_error err;
    struct db *db = db_open(env.eng == ENG_SQLITE ? env.path : env.url, &err);
    char sql[96];

    cr_assert_not_null(db, "db_open: %s", err.msg);
    if (env.eng == ENG_PG) {
        snprintf(sql, sizeof(sql), "SET search_path TO %s", env.schema);
        cr_assert_eq(db_exec_script(db, sql, &err), 0, "%s", err.msg);
    }
    return db;
}

static void setup(enum eng eng)
{
    struct db_error err;
    unsigned char rnd[8];
    char sql[96];

    memset(&env, 0, sizeof(env));
    env.eng = eng;
    if (eng == ENG_SQLITE) {
        strcpy(env.dir, "/tmp/artistry-migtest-XXXXXX");
        cr_assert_not_null(mkdtemp(env.dir));
        snprintf(env.path, sizeof(env.path), "%s/test.db", env.dir);
        env.db = open_db();
        return;
    }
    env.url = getenv("ARTISTRY_TEST_DATABASE_URL");
    if (env.url == NULL || *env.url == '\0')
        cr_skip_test("ARTISTRY_TEST_DATABASE_URL not set");
    random_bytes(rnd, sizeof(rnd));
    snprintf(env.schema, sizeof(env.schema), "m_%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
             rnd[4], rnd[5], rnd[6], rnd[7]);
    env.db = db_open(env.url, &err);
    cr_assert_not_null(env.db, "db_open: %s", err.msg);
    snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", env.schema);
    cr_assert_eq(db_exec_script(env.db, sql, &err), 0, "%s", err.msg);
    snprintf(sql, sizeof(sql), "SET search_path TO %s", env.schema);
    cr_assert_eq(db_exec_script(env.db, sql, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
    char buf[256];

    db_close(env.db);
    env.db = NULL;
    if (env.eng == ENG_SQLITE && env.dir[0] != '\0') {
        const char *sfx[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
            snprintf(buf, sizeof(buf), "%s/test.db%s", env.dir, sfx[i]);
            unlink(buf);
        }
        rmdir(env.dir);
    } else if (env.eng == ENG_PG && env.schema[0] != '\0') {
        struct db *db = db_open(env.url, NULL);
        if (db != NULL) {
            snprintf(buf, sizeof(buf), "DROP SCHEMA %s CASCADE", env.schema);
            db_exec_script(db, buf, NULL);
            db_close(db);
        }
    }
}

#define MIG_CASE(name)                                                                                                 \
    static void case_##name(struct db *db);                                                                            \
    Test(sqlite, name, .fini = teardown)                                                                               \
    {                                                                                                                  \
        setup(ENG_SQLITE);                                                                                             \
        case_##name(env.db);                                                                                           \
    }                                                                                                                  \
    Test(pg, name, .fini = teardown)                                                                                   \
    {                                                                                                                  \
        setup(ENG_PG);                                                                                                 \
        case_##name(env.db);                                                                                           \
    }                                                                                                                  \
    static void case_##name(struct db *db)

static int64_t scalar(struct db *db, const char *sql)
{
    struct db_error err;
    struct db_stmt *st = db_prepare(db, sql, &err);
    int64_t v;

    cr_assert_not_null(st, "%s: %s", sql, err.msg);
    cr_assert_eq(db_step(st, &err), 1, "%s: %s", sql, err.msg);
    v = db_column_i64(st, 0);
    db_reset(st);
    return v;
}

/*-----------------------------------------------------------------------------
 * Migrations under test
 */

/* 2 needs 1's table, 3 needs 2's: applying out of order would fail. */
static const struct migration good[] = {
    {1, "makers", "CREATE TABLE makers (id TEXT PRIMARY KEY, name TEXT NOT NULL);\n"},
    {2, "items",
     "CREATE TABLE items (id TEXT PRIMARY KEY, maker_id TEXT NOT NULL REFERENCES makers (id), price BIGINT NOT NULL);\n"
     "CREATE INDEX items_maker ON items (maker_id);\n"},
    {3, "seed",
     "INSERT INTO makers (id, name) VALUES ('mk_1', 'Ada');\n"
     "INSERT INTO items (id, maker_id, price) VALUES ('it_1', 'mk_1', 1200);\n"},
};

/* The first two of good[] plus a migration that fails half way. */
static const struct migration failing[] = {
    good[0],
    good[1],
    {3, "broken",
     "CREATE TABLE half (id INTEGER);\n"
     "INSERT INTO half (id) VALUES (1);\n"
     "INSERT INTO no_such_table (id) VALUES (1);\n"},
};

static const char SQL_COUNT_MIG[] = "SELECT COUNT(*) FROM schema_migrations";
static const char SQL_ROWS[] = "SELECT version, name, applied_at FROM schema_migrations ORDER BY version";
static const char SQL_ITEMS[] = "SELECT COUNT(*) FROM items";
static const char SQL_HALF[] = "SELECT COUNT(*) FROM half";

MIG_CASE(applies_in_order_and_records)
{
    struct db_error err;
    struct migrate_status s;
    struct db_stmt *st;

    cr_assert_eq(migrate_status(db, good, 3, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.db_version, 0);
    cr_assert_eq(s.binary_version, 3);
    cr_assert_eq(s.pending, 3);
    cr_assert_eq(s.unknown, 0);

    cr_assert_eq(migrate_up(db, good, 2, &err), 2, "%s", err.msg);
    cr_assert_eq(migrate_up(db, good, 3, &err), 1, "%s", err.msg);
    cr_assert_eq(scalar(db, SQL_ITEMS), 1);

    st = db_prepare(db, SQL_ROWS, &err);
    cr_assert_not_null(st, "%s", err.msg);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(db_step(st, &err), 1, "%s", err.msg);
        cr_assert_eq(db_column_i64(st, 0), good[i].version);
        cr_assert_str_eq(db_column_text(st, 1), good[i].name);
        cr_assert_gt(db_column_i64(st, 2), 1600000000000LL, "applied_at in epoch ms");
    }
    cr_assert_eq(db_step(st, &err), 0);
    db_reset(st);

    cr_assert_eq(migrate_status(db, good, 3, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.db_version, 3);
    cr_assert_eq(s.pending, 0);
    cr_assert_eq(s.unknown, 0);
}

MIG_CASE(idempotent)
{
    struct db_error err;

    cr_assert_eq(migrate_up(db, good, 3, &err), 3, "%s", err.msg);
    cr_assert_eq(migrate_up(db, good, 3, &err), 0, "%s", err.msg);
    cr_assert_eq(migrate_up(db, good, 3, &err), 0, "%s", err.msg);
    cr_assert_eq(scalar(db, SQL_COUNT_MIG), 3);
    cr_assert_eq(scalar(db, SQL_ITEMS), 1, "the seed ran once");
    cr_assert_eq(migrate_up(db, good, 0, &err), -2, "an empty binary is older than any migrated database");
}

MIG_CASE(failing_migration_rolls_back_whole)
{
    struct db_error err;
    struct migrate_status s;

    cr_assert_eq(migrate_up(db, failing, 3, &err), -1);
    cr_assert_neq(err.kind, DB_E_NONE);
    cr_assert(strstr(err.msg, "0003_broken") != NULL, "message names the migration: %s", err.msg);
    cr_assert_not(db_in_tx(db));
    cr_assert_eq(scalar(db, SQL_COUNT_MIG), 2, "the good ones stay applied");
    cr_assert_null(db_prepare(db, SQL_HALF, &err), "the failing migration's table is gone");
    cr_assert_eq(err.kind, DB_E_SQL, "%s: %s", db_errkind_name(err.kind), err.msg);

    cr_assert_eq(migrate_status(db, failing, 3, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.db_version, 2);
    cr_assert_eq(s.pending, 1);

    /* The fixed migration then applies. */
    cr_assert_eq(migrate_up(db, good, 3, &err), 1, "%s", err.msg);
}

MIG_CASE(refuses_newer_database)
{
    struct db_error err;
    struct migrate_status s;
    static const struct migration older_plus[] = {good[0], good[1], {4, "other", "CREATE TABLE other (id INTEGER);"}};

    cr_assert_eq(migrate_up(db, good, 3, &err), 3, "%s", err.msg);
    cr_assert_eq(migrate_up(db, good, 2, &err), -2);
    cr_assert(strstr(err.msg, "newer") != NULL, "%s", err.msg);
    /* Even with something pending, an unknown version stops everything. */
    cr_assert_eq(migrate_up(db, older_plus, 3, &err), -2);
    cr_assert_null(db_prepare(db, "SELECT COUNT(*) FROM other", &err), "nothing applied");

    cr_assert_eq(migrate_status(db, good, 2, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.db_version, 3);
    cr_assert_eq(s.binary_version, 2);
    cr_assert_eq(s.unknown, 1);
    cr_assert_eq(s.pending, 0);
}

MIG_CASE(rejects_unordered_list)
{
    struct db_error err;
    static const struct migration bad[] = {good[1], good[0]};

    cr_assert_eq(migrate_up(db, bad, 2, &err), -1);
    cr_assert_eq(scalar(db, "SELECT 1"), 1);
}

struct racer {
    struct db *db;
    int rc;
    struct db_error err;
};

static void *race(void *arg)
{
    struct racer *r = arg;

    r->rc = migrate_up(r->db, good, 3, &r->err);
    return NULL;
}

/* Two migrators starting at once: together they apply each migration exactly once. */
MIG_CASE(concurrent_migrators)
{
    struct racer r[4];
    pthread_t th[4];
    int total = 0;

    for (int i = 0; i < 4; i++)
        r[i] = (struct racer){.db = open_db()};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, race, &r[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        cr_assert_geq(r[i].rc, 0, "migrator %d: %s", i, r[i].err.msg);
        total += r[i].rc;
        db_close(r[i].db);
    }
    cr_assert_eq(total, 3);
    cr_assert_eq(scalar(db, SQL_COUNT_MIG), 3);
    cr_assert_eq(scalar(db, SQL_ITEMS), 1);
}
