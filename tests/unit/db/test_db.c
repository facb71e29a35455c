/*
 * test_db.c — unit tests of the database layer (src/db/db.c, db_sqlite.c, db_pg.c).
 *
 * Every case runs twice: on SQLite (a file in a fresh temporary directory)
 * and on PostgreSQL when ARTISTRY_TEST_DATABASE_URL is set (each test in its
 * own schema, dropped afterwards); without the variable the PostgreSQL cases
 * are skipped. Criterion runs each test in its own process.
 *
 * Caveats: the PostgreSQL reconnect case terminates its own backend with
 * pg_terminate_backend(), which needs a superuser or the same role.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "db/db_int.h"

/*-----------------------------------------------------------------------------
 * Harness: one database per test, on either engine
 */

enum eng { ENG_SQLITE, ENG_PG };

static struct {
    enum eng eng;
    char dir[64];
    char path[128];
    const char *url;
    char schema[40];
    struct db *db; /* main connection, closed by teardown */
} env;

/* Open another connection to the test database (same schema on PostgreSQL). */
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
        strcpy(env.dir, "/tmp/artistry-dbtest-XXXXXX");
        cr_assert_not_null(mkdtemp(env.dir));
        snprintf(env.path, sizeof(env.path), "sqlite:%s/test.db", env.dir);
        env.db = open_db();
        return;
    }
    env.url = getenv("ARTISTRY_TEST_DATABASE_URL");
    if (env.url == NULL || *env.url == '\0')
        cr_skip_test("ARTISTRY_TEST_DATABASE_URL not set");
    random_bytes(rnd, sizeof(rnd));
    snprintf(env.schema, sizeof(env.schema), "t_%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
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

/* Declare a case body and register it once per engine. */
#define DB_CASE(name)                                                                                                  \
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

static void exec_ok(struct db *db, const char *sql)
{
    struct db_error err;

    cr_assert_eq(db_exec_script(db, sql, &err), 0, "%s: %s", sql, err.msg);
}

/* SELECT returning one integer. */
static int64_t scalar(struct db *db, const char *sql, const struct db_param *p, int n)
{
    struct db_error err;
    struct db_stmt *st = db_prepare(db, sql, &err);
    int64_t v;

    cr_assert_not_null(st, "%s: %s", sql, err.msg);
    cr_assert_eq(db_bind_all(st, p, n), 0);
    cr_assert_eq(db_step(st, &err), 1, "%s: %s", sql, err.msg);
    v = db_column_i64(st, 0);
    cr_assert_eq(db_step(st, &err), 0);
    db_reset(st);
    return v;
}

/*-----------------------------------------------------------------------------
 * Binding, stepping, columns
 */

static const char SQL_TYPES_INS[] = "INSERT INTO ty (id, i, f, s, b, n) VALUES ($1, $2, $3, $4, $5, $6)";
static const char SQL_TYPES_SEL[] = "SELECT id, i, f, s, b, n FROM ty ORDER BY id";

DB_CASE(types_roundtrip)
{
    struct db_error err;
    struct db_stmt *st;
    static const unsigned char blob[] = {0x00, 0x01, 0xff, 0x00, 'x', 0x80};
    const void *bp;
    size_t blen;

    exec_ok(db, "CREATE TABLE ty (id INTEGER PRIMARY KEY, i BIGINT, f DOUBLE PRECISION, s TEXT, b BYTEA, n TEXT)");
    struct db_param r1[] = {
        DB_I64(1), DB_I64(INT64_MAX), DB_F64(3.25), DB_TEXT("héllo 'quoted'"), DB_BLOB(blob, sizeof(blob)), DB_NULL};
    struct db_param r2[] = {DB_I64(2),        DB_I64(INT64_MIN),
                            DB_F64(-1e-300),  {.type = DB_T_TEXT, .s = "abcdef", .len = 3},
                            DB_BLOB(blob, 0), DB_TEXT(NULL)};
    cr_assert_eq(db_exec(db, SQL_TYPES_INS, r1, 6, &err), 1, "%s", err.msg);
    cr_assert_eq(db_exec(db, SQL_TYPES_INS, r2, 6, &err), 1, "%s", err.msg);

    st = db_prepare(db, SQL_TYPES_SEL, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(db_column_count(st), 6);
    cr_assert_str_eq(db_column_name(st, 0), "id");
    cr_assert_str_eq(db_column_name(st, 5), "n");

    cr_assert_eq(db_step(st, &err), 1, "%s", err.msg);
    cr_assert_eq(db_column_count(st), 6);
    cr_assert_eq(db_column_i64(st, 0), 1);
    cr_assert_eq(db_column_i64(st, 1), INT64_MAX);
    cr_assert_float_eq(db_column_f64(st, 2), 3.25, 1e-12);
    cr_assert_str_eq(db_column_text(st, 3), "héllo 'quoted'");
    bp = db_column_blob(st, 4, &blen);
    cr_assert_eq(blen, sizeof(blob));
    cr_assert_eq(memcmp(bp, blob, sizeof(blob)), 0);
    /* A second read of the same cell gives the same bytes. */
    cr_assert_eq(memcmp(db_column_blob(st, 4, &blen), blob, sizeof(blob)), 0);
    cr_assert(db_column_is_null(st, 5));
    cr_assert_null(db_column_text(st, 5));
    cr_assert_not(db_column_is_null(st, 3));

    cr_assert_eq(db_step(st, &err), 1, "%s", err.msg);
    cr_assert_eq(db_column_i64(st, 1), INT64_MIN);
    cr_assert_float_eq(db_column_f64(st, 2), -1e-300, 1e-310);
    cr_assert_str_eq(db_column_text(st, 3), "abc");
    db_column_blob(st, 4, &blen);
    cr_assert_eq(blen, 0);
    cr_assert(db_column_is_null(st, 5));

    cr_assert_eq(db_step(st, &err), 0);
    db_reset(st);
}

static const char SQL_PARAM_INS[] = "INSERT INTO pr (a, b, c) VALUES ($2, $1, $1)";
static const char SQL_PARAM_SEL[] = "SELECT a, b, c, CAST($3 AS BIGINT) - CAST($1 AS BIGINT) FROM pr WHERE b = $2";

DB_CASE(params_out_of_order_and_repeated)
{
    struct db_error err;
    struct db_stmt *st;

    exec_ok(db, "CREATE TABLE pr (a TEXT, b TEXT, c TEXT)");
    struct db_param p[] = {DB_TEXT("one"), DB_TEXT("two")};
    cr_assert_eq(db_exec(db, SQL_PARAM_INS, p, 2, &err), 1, "%s", err.msg);

    st = db_prepare(db, SQL_PARAM_SEL, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(db_bind(st, 3, DB_TEXT("10")), 0);
    cr_assert_eq(db_bind(st, 1, DB_TEXT("4")), 0);
    cr_assert_eq(db_bind(st, 2, DB_TEXT("one")), 0);
    cr_assert_eq(db_bind(st, 4, DB_I64(1)), -1, "out of range");
    cr_assert_eq(db_bind(st, 0, DB_I64(1)), -1, "out of range");
    cr_assert_eq(db_step(st, &err), 1, "%s", err.msg);
    cr_assert_str_eq(db_column_text(st, 0), "two");
    cr_assert_str_eq(db_column_text(st, 1), "one");
    cr_assert_str_eq(db_column_text(st, 2), "one");
    cr_assert_eq(db_column_i64(st, 3), 6);
    cr_assert_eq(db_step(st, &err), 0);

    /* db_reset keeps bindings. */
    db_reset(st);
    cr_assert_eq(db_step(st, &err), 1, "%s", err.msg);
    cr_assert_eq(db_column_i64(st, 3), 6);
    db_reset(st);
}

static const char SQL_CH_INS[] = "INSERT INTO ch (id, v) VALUES ($1, $2)";
static const char SQL_CH_UPD[] = "UPDATE ch SET v = v + 1 WHERE v >= $1";
static const char SQL_CH_SEL[] = "SELECT id FROM ch";
static const char SQL_CH_DDL[] = "CREATE TABLE ch2 (id INTEGER)";
static const char SQL_CH_COUNT[] = "SELECT COUNT(*) FROM ch";

DB_CASE(changes_and_exec)
{
    struct db_error err;
    struct db_stmt *st;

    exec_ok(db, "CREATE TABLE ch (id INTEGER PRIMARY KEY, v BIGINT NOT NULL); "
                "CREATE INDEX ch_v ON ch (v)");
    for (int i = 1; i <= 3; i++) {
        struct db_param p[] = {DB_I64(i), DB_I64(i * 10)};
        cr_assert_eq(db_exec(db, SQL_CH_INS, p, 2, &err), 1, "%s", err.msg);
    }
    struct db_param p[] = {DB_I64(20)};
    cr_assert_eq(db_exec(db, SQL_CH_UPD, p, 1, &err), 2, "%s", err.msg);
    p[0] = DB_I64(1000);
    cr_assert_eq(db_exec(db, SQL_CH_UPD, p, 1, &err), 0, "%s", err.msg);

    st = db_prepare(db, SQL_CH_SEL, &err);
    cr_assert_not_null(st);
    while (db_step(st, &err) == 1)
        ;
    cr_assert_eq(db_changes(st), 0, "a SELECT changes nothing");
    db_reset(st);

    /* DDL after DML reports 0, not the previous statement's count. */
    p[0] = DB_I64(0);
    cr_assert_eq(db_exec(db, SQL_CH_UPD, p, 1, &err), 3, "%s", err.msg);
    cr_assert_eq(db_exec(db, SQL_CH_DDL, NULL, 0, &err), 0, "%s", err.msg);

    /* Stepping a finished statement does not run it again. */
    struct db_param q[] = {DB_I64(4), DB_I64(40)};
    st = db_prepare(db, SQL_CH_INS, &err);
    cr_assert_eq(db_bind_all(st, q, 2), 0);
    cr_assert_eq(db_step(st, &err), 0, "%s", err.msg);
    cr_assert_eq(db_changes(st), 1);
    cr_assert_eq(db_step(st, &err), 0, "%s", err.msg);
    db_reset(st);
    cr_assert_eq(scalar(db, SQL_CH_COUNT, NULL, 0), 4);
}

/*-----------------------------------------------------------------------------
 * Errors
 */

static const char SQL_K_PARENT[] = "INSERT INTO parent (id) VALUES ($1)";
static const char SQL_K_CHILD[] = "INSERT INTO child (id, parent_id, qty, email) VALUES ($1, $2, $3, $4)";
static const char SQL_K_NOSUCH[] = "SELECT x FROM no_such_table";
static const char SQL_K_BAD[] = "SELEKT 1";

static void child_insert(struct db *db, int id, int parent, struct db_param qty, const char *email,
                         enum db_errkind want, int line)
{
    struct db_error err;
    struct db_param p[] = {DB_I64(id), DB_I64(parent), qty, DB_TEXT(email)};
    int64_t rc = db_exec(db, SQL_K_CHILD, p, 4, &err);

    if (want == DB_E_NONE) {
        cr_assert_eq(rc, 1, "line %d: %s", line, err.msg);
        return;
    }
    cr_assert_eq(rc, -1, "line %d", line);
    cr_assert_eq(err.kind, want, "line %d: kind %s, want %s (%s)", line, db_errkind_name(err.kind),
                 db_errkind_name(want), err.msg);
}

DB_CASE(constraint_kinds)
{
    struct db_error err;
    struct db_param p1[] = {DB_I64(1)};

    exec_ok(db, "CREATE TABLE parent (id INTEGER PRIMARY KEY); "
                "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id), "
                "qty INTEGER NOT NULL CONSTRAINT qty_positive CHECK (qty > 0), "
                "email TEXT CONSTRAINT child_email_key UNIQUE)");
    cr_assert_eq(db_exec(db, SQL_K_PARENT, p1, 1, &err), 1, "%s", err.msg);
    cr_assert_eq(db_exec(db, SQL_K_PARENT, p1, 1, &err), -1);
    cr_assert_eq(err.kind, DB_E_UNIQUE, "duplicate primary key: %s", db_errkind_name(err.kind));

    child_insert(db, 1, 1, DB_I64(1), "a@x", DB_E_NONE, __LINE__);
    child_insert(db, 2, 1, DB_I64(1), "a@x", DB_E_UNIQUE, __LINE__);
    {
        struct db_param p[] = {DB_I64(3), DB_I64(1), DB_I64(1), DB_TEXT("a@x")};
        cr_assert_eq(db_exec(db, SQL_K_CHILD, p, 4, &err), -1);
        cr_assert_eq(err.kind, DB_E_UNIQUE);
        cr_assert_neq(err.constraint[0], '\0', "constraint/column named");
        if (db_engine(db) == DB_ENGINE_PG) {
            cr_assert_str_eq(err.constraint, "child_email_key");
            cr_assert_str_eq(err.sqlstate, "23505");
        }
    }
    child_insert(db, 4, 99, DB_I64(1), "b@x", DB_E_FOREIGN, __LINE__);
    child_insert(db, 5, 1, DB_I64(0), "c@x", DB_E_CHECK, __LINE__);
    child_insert(db, 6, 1, DB_NULL, "d@x", DB_E_CHECK, __LINE__);

    cr_assert_null(db_prepare(db, SQL_K_NOSUCH, &err));
    cr_assert_eq(err.kind, DB_E_SQL, "%s", db_errkind_name(err.kind));
    cr_assert_null(db_prepare(db, SQL_K_BAD, &err));
    cr_assert_eq(err.kind, DB_E_SQL, "%s", db_errkind_name(err.kind));
    cr_assert_neq(err.msg[0], '\0');
}

/*-----------------------------------------------------------------------------
 * Transactions
 */

static const char SQL_TX_INS[] = "INSERT INTO tx (id) VALUES ($1)";
static const char SQL_TX_COUNT[] = "SELECT COUNT(*) FROM tx";

struct tx_ctx {
    int calls;
    int fail_times; /* fail with DB_E_RETRY this many times */
    int result;     /* returned once past the failures */
    int64_t id;
};

static int tx_insert(struct db *db, void *arg, struct db_error *err)
{
    struct tx_ctx *c = arg;
    struct db_param p[] = {DB_I64(c->id)};

    c->calls++;
    cr_assert(db_in_tx(db));
    if (db_exec(db, SQL_TX_INS, p, 1, err) < 0)
        return -1;
    if (c->calls <= c->fail_times) {
        err->kind = DB_E_RETRY;
        snprintf(err->msg, sizeof(err->msg), "forced");
        return -1;
    }
    return c->result;
}

DB_CASE(tx_commit_and_rollback)
{
    struct db_error err;
    struct tx_ctx ok = {.id = 1}, bad = {.id = 2, .result = -1};

    exec_ok(db, "CREATE TABLE tx (id INTEGER PRIMARY KEY)");
    cr_assert_eq(db_tx(db, 3, tx_insert, &ok, &err), 0, "%s", err.msg);
    cr_assert_not(db_in_tx(db));
    cr_assert_eq(db_tx(db, 3, tx_insert, &bad, &err), -1);
    cr_assert_eq(bad.calls, 1, "a plain failure is not retried");
    cr_assert_not(db_in_tx(db));
    cr_assert_eq(scalar(db, SQL_TX_COUNT, NULL, 0), 1);

    /* Manual transactions; nesting is refused. */
    cr_assert_eq(db_begin(db, &err), 0, "%s", err.msg);
    cr_assert_eq(db_begin(db, &err), -1);
    struct db_param p[] = {DB_I64(3)};
    cr_assert_eq(db_exec(db, SQL_TX_INS, p, 1, &err), 1);
    db_rollback(db);
    cr_assert_not(db_in_tx(db));
    cr_assert_eq(scalar(db, SQL_TX_COUNT, NULL, 0), 1);
    cr_assert_eq(db_begin(db, &err), 0);
    cr_assert_eq(db_exec(db, SQL_TX_INS, p, 1, &err), 1);
    cr_assert_eq(db_commit(db, &err), 0, "%s", err.msg);
    cr_assert_eq(scalar(db, SQL_TX_COUNT, NULL, 0), 2);
    cr_assert_eq(db_commit(db, &err), -1, "commit outside a transaction");
    db_rollback(db); /* no-op */
}

DB_CASE(tx_retry_forced)
{
    struct db_error err;
    struct tx_ctx c = {.id = 1, .fail_times = 2};
    struct tx_ctx never = {.id = 2, .fail_times = 100};

    exec_ok(db, "CREATE TABLE tx (id INTEGER PRIMARY KEY)");
    cr_assert_eq(db_tx(db, 5, tx_insert, &c, &err), 0, "%s", err.msg);
    cr_assert_eq(c.calls, 3);
    cr_assert_eq(db_tx(db, 3, tx_insert, &never, &err), -1);
    cr_assert_eq(never.calls, 3);
    cr_assert_eq(err.kind, DB_E_RETRY);
    /* Each failed attempt rolled back: only the successful insert is there. */
    cr_assert_eq(scalar(db, SQL_TX_COUNT, NULL, 0), 1);
}

static const char SQL_LK_UPD[] = "UPDATE lk SET v = v + 1 WHERE id = 1";
static const char SQL_LK_GET[] = "SELECT v FROM lk WHERE id = 1";

static int tx_bump(struct db *db, void *arg, struct db_error *err)
{
    (*(int *)arg)++;
    return db_exec(db, SQL_LK_UPD, NULL, 0, err) == 1 ? 0 : -1;
}

static void *release_later(void *arg)
{
    struct db_error err;
    struct timespec ts = {0, 150 * 1000 * 1000};

    nanosleep(&ts, NULL);
    if (db_commit(arg, &err) != 0)
        fprintf(stderr, "release_later: %s\n", err.msg);
    return NULL;
}

/* A holds the write lock (SQLite) / the row lock (PostgreSQL); B's transaction retries until A commits. */
DB_CASE(tx_retry_on_lock)
{
    struct db_error err;
    struct db *b = open_db();
    pthread_t th;
    int calls = 0;
    int64_t t0;

    exec_ok(db, "CREATE TABLE lk (id INTEGER PRIMARY KEY, v BIGINT NOT NULL); INSERT INTO lk VALUES (1, 0)");
    /* Make B give up waiting quickly so the retry loop is what waits. */
    exec_ok(b, db_engine(b) == DB_ENGINE_SQLITE ? "PRAGMA busy_timeout = 20" : "SET lock_timeout = '20ms'");

    cr_assert_eq(db_begin(db, &err), 0, "%s", err.msg);
    cr_assert_eq(db_exec(db, SQL_LK_UPD, NULL, 0, &err), 1, "%s", err.msg);

    /* Without retries, the lock surfaces as DB_E_RETRY. */
    cr_assert_eq(db_tx(b, 1, tx_bump, &calls, &err), -1);
    cr_assert_eq(err.kind, DB_E_RETRY, "%s: %s", db_errkind_name(err.kind), err.msg);
    cr_assert_not(db_in_tx(b));

    t0 = time_mono_ns();
    cr_assert_eq(pthread_create(&th, NULL, release_later, db), 0);
    cr_assert_eq(db_tx(b, 50, tx_bump, &calls, &err), 0, "%s", err.msg);
    pthread_join(th, NULL);
    cr_assert_geq(time_mono_ns() - t0, 100 * 1000 * 1000, "B waited for A");
    cr_assert_eq(scalar(db, SQL_LK_GET, NULL, 0), 2);
    db_close(b);
}

/*-----------------------------------------------------------------------------
 * Statement cache, ad-hoc statements, row locking, scripts
 */

static const char SQL_C1[] = "SELECT CAST($1 AS BIGINT) + 1";
static const char SQL_C2[] = "SELECT CAST($1 AS BIGINT) + 1";

DB_CASE(statement_cache)
{
    struct db_error err;
    struct db_stmt *a, *b, *c, *once;
    char adhoc[64];

    a = db_prepare(db, SQL_C1, &err);
    cr_assert_not_null(a, "%s", err.msg);
    cr_assert_eq(db_bind(a, 1, DB_I64(41)), 0);
    cr_assert_eq(db_step(a, &err), 1, "%s", err.msg);
    cr_assert_eq(db_column_i64(a, 0), 42);

    b = db_prepare(db, SQL_C1, &err);
    cr_assert_eq(a, b, "same SQL address, same statement");
    /* db_prepare reset the statement and cleared its bindings. */
    cr_assert_eq(db_step(b, &err), 1, "%s", err.msg);
    cr_assert(db_column_is_null(b, 0), "NULL + 1 is NULL");
    db_reset(b);

    c = db_prepare(db, SQL_C2, &err);
    cr_assert_not_null(c);
    cr_assert_neq(c, a, "the cache is keyed by address");

    /* Enough statements to force the table to grow; all still found. */
    static char texts[200][48];
    struct db_stmt *sts[200];
    for (int i = 0; i < 200; i++) {
        snprintf(texts[i], sizeof(texts[i]), "SELECT %d", i);
        sts[i] = db_prepare(db, texts[i], &err);
        cr_assert_not_null(sts[i], "%s", err.msg);
    }
    for (int i = 0; i < 200; i++) {
        cr_assert_eq(db_prepare(db, texts[i], &err), sts[i]);
        cr_assert_eq(db_step(sts[i], &err), 1);
        cr_assert_eq(db_column_i64(sts[i], 0), i);
        db_reset(sts[i]);
    }
    cr_assert_eq(db_prepare(db, SQL_C1, &err), a);

    snprintf(adhoc, sizeof(adhoc), "SELECT CAST($1 AS BIGINT) * %d", 3);
    once = db_prepare_once(db, adhoc, &err);
    cr_assert_not_null(once, "%s", err.msg);
    cr_assert_eq(db_bind(once, 1, DB_I64(5)), 0);
    cr_assert_eq(db_step(once, &err), 1);
    cr_assert_eq(db_column_i64(once, 0), 15);
    db_finalize(once);
}

static const char SQL_FU_SEL[] = "SELECT id FROM jobs WHERE state = $1 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
static const char SQL_FU_SEL2[] = "SELECT id FROM jobs WHERE id = $1\n  FOR  UPDATE";
static const char SQL_FU_LIT[] = "SELECT 'for update' || ' FOR UPDATE' FROM jobs WHERE id = 1";

DB_CASE(for_update)
{
    struct db_error err;
    struct db_param p[] = {DB_TEXT("ready")};

    exec_ok(db, "CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT NOT NULL); "
                "INSERT INTO jobs VALUES (1, 'done'); INSERT INTO jobs VALUES (2, 'ready')");
    cr_assert_eq(db_begin(db, &err), 0);
    cr_assert_eq(scalar(db, SQL_FU_SEL, p, 1), 2);
    p[0] = DB_I64(1);
    cr_assert_eq(scalar(db, SQL_FU_SEL2, p, 1), 1);
    cr_assert_eq(db_commit(db, &err), 0, "%s", err.msg);

    struct db_stmt *st = db_prepare(db, SQL_FU_LIT, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(db_step(st, &err), 1);
    cr_assert_str_eq(db_column_text(st, 0), "for update FOR UPDATE", "string literals untouched");
    db_reset(st);
}

Test(sqlite, strip_for_update)
{
    char *s;

    cr_assert_null(db__strip_for_update("SELECT 1"));
    cr_assert_null(db__strip_for_update("SELECT 'FOR UPDATE'"));
    cr_assert_null(db__strip_for_update("SELECT before_update FROM t"));
    s = db__strip_for_update("SELECT 1 FOR UPDATE SKIP LOCKED");
    cr_assert_str_eq(s, "SELECT 1                       ");
    free(s);
    s = db__strip_for_update("select 1 for update nowait;");
    cr_assert_str_eq(s, "select 1                  ;");
    free(s);
    s = db__strip_for_update("SELECT 1 FOR UPDATE) x");
    cr_assert_str_eq(s, "SELECT 1           ) x");
    free(s);
}

DB_CASE(exec_script_multi)
{
    struct db_error err;

    exec_ok(db, "CREATE TABLE s1 (id INTEGER); CREATE TABLE s2 (id INTEGER);\n"
                "INSERT INTO s1 VALUES (1); INSERT INTO s2 VALUES (2);");
    cr_assert_eq(scalar(db, "SELECT (SELECT id FROM s1) + (SELECT id FROM s2)", NULL, 0), 3);
    cr_assert_eq(db_exec_script(db, "INSERT INTO s1 VALUES (1); INSERT INTO nope VALUES (1)", &err), -1);
    cr_assert_eq(err.kind, DB_E_SQL, "%s", db_errkind_name(err.kind));
}

static int observed;

static void observe(double seconds)
{
    cr_assert_geq(seconds, 0.0);
    observed++;
}

DB_CASE(observer)
{
    struct db_error err;
    struct db_stmt *st;

    db_set_observer(observe);
    exec_ok(db, "CREATE TABLE ob (id INTEGER)");
    cr_assert_eq(db_exec(db, "INSERT INTO ob VALUES (1), (2)", NULL, 0, &err), 2);
    cr_assert_eq(observed, 1);
    st = db_prepare(db, "SELECT id FROM ob", &err);
    cr_assert_eq(db_step(st, &err), 1);
    cr_assert_eq(db_step(st, &err), 1);
    cr_assert_eq(db_step(st, &err), 0);
    cr_assert_eq(observed, 2, "one observation per execution, not per row");
    db_reset(st);
    db_set_observer(NULL);
    cr_assert_eq(db_exec(db, "INSERT INTO ob VALUES (3)", NULL, 0, &err), 1);
    cr_assert_eq(observed, 2);
}

/*-----------------------------------------------------------------------------
 * Engine-specific
 */

static const char SQL_PID[] = "SELECT pg_backend_pid()";
static const char SQL_KILL[] = "SELECT pg_terminate_backend(CAST($1 AS INTEGER))";

Test(pg, reconnect_after_lost_connection, .fini = teardown)
{
    struct db_error err;
    struct db *killer;
    int64_t pid;

    setup(ENG_PG);
    killer = open_db();
    pid = scalar(env.db, SQL_PID, NULL, 0);
    struct db_param p[] = {DB_I64(pid)};
    cr_assert_eq(scalar(killer, SQL_KILL, p, 1), 1);
    db_close(killer);

    struct db_stmt *st = db_prepare(env.db, SQL_PID, &err);
    if (st != NULL) { /* the cached statement needs no round trip: the loss shows at step */
        cr_assert_eq(db_step(st, &err), -1);
        db_reset(st);
    }
    cr_assert_eq(err.kind, DB_E_CONN, "%s: %s", db_errkind_name(err.kind), err.msg);
    /* The next prepare reconnects and re-prepares the cached statement. */
    cr_assert_neq(scalar(env.db, SQL_PID, NULL, 0), pid);
}

Test(sqlite, open_errors)
{
    struct db_error err;

    cr_assert_null(db_open("sqlite:/nonexistent-dir/x/y.db", &err));
    cr_assert_eq(err.kind, DB_E_CONN);
    cr_assert_null(db_open("", &err));
    cr_assert_null(db_open("postgres://nobody@127.0.0.1:1/none?connect_timeout=2", &err));
    cr_assert_eq(err.kind, DB_E_CONN);
}

Test(sqlite, url_and_names)
{
    cr_assert(db_url_is_pg("postgres://u@h/db"));
    cr_assert(db_url_is_pg("postgresql://u@h/db"));
    cr_assert_not(db_url_is_pg("sqlite:/tmp/x.db"));
    cr_assert_not(db_url_is_pg("/tmp/postgres://x"));
    cr_assert_not(db_url_is_pg(NULL));
    cr_assert_str_eq(db_errkind_name(DB_E_UNIQUE), "unique_violation");
    cr_assert_str_eq(db_errkind_name(DB_E_RETRY), "retry");
    cr_assert_str_eq(db_errkind_name(DB_E_OTHER), "other");
}
