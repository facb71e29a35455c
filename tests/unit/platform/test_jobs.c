/*
 * test_jobs.c — the job queue against a real database.
 *
 * Every case runs twice: on a fresh SQLite file in a temporary directory,
 * and on a fresh PostgreSQL database created under
 * ARTISTRY_TEST_DATABASE_URL (skipped when that is unset). Each case applies
 * the migrations compiled into the library (migrate_builtin), builds a
 * struct app by hand and calls jobs_run_one() directly, so nothing sleeps:
 * retries are made due by moving run_at back with a direct UPDATE.
 *
 * Caveats: Criterion forks one process per test, so the handler counters
 * below are per test. The PostgreSQL URL must allow CREATE DATABASE.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "db/migrate.h"
#include "platform/jobs.h"
#include "unit/testdb.h"

/*-----------------------------------------------------------------------------
 * Fixture
 */

struct env {
    struct testdb t;
    struct db *db; /* t.db */
    struct config cfg;
    struct app app;
    struct job_registry *reg;
};

static atomic_int ok_calls;
static atomic_int fail_calls;
static atomic_int last_attempt;
static atomic_int seen_n;
#define RACE_JOBS 200
static atomic_int race_hits[RACE_JOBS];

static int h_ok(struct job *job, const char **errmsg)
{
    (void)errmsg;
    atomic_fetch_add(&ok_calls, 1);
    atomic_store(&last_attempt, job->attempt);
    json_t *n = json_object_get(job->payload, "n");
    if (json_is_integer(n))
        atomic_store(&seen_n, (int)json_integer_value(n));
    cr_assert_not_null(job->arena);
    cr_assert_not_null(job->db);
    return 0;
}

static int h_fail(struct job *job, const char **errmsg)
{
    atomic_fetch_add(&fail_calls, 1);
    atomic_store(&last_attempt, job->attempt);
    *errmsg = "boom";
    return -1;
}

static int h_permanent(struct job *job, const char **errmsg)
{
    atomic_fetch_add(&fail_calls, 1);
    atomic_store(&last_attempt, job->attempt);
    *errmsg = "refused for good";
    return JOB_PERMANENT_FAILURE;
}

static int h_race(struct job *job, const char **errmsg)
{
    (void)errmsg;
    json_t *i = json_object_get(job->payload, "i");
    cr_assert(json_is_integer(i));
    int k = (int)json_integer_value(i);
    cr_assert(k >= 0 && k < RACE_JOBS);
    atomic_fetch_add(&race_hits[k], 1);
    return 0;
}

static void env_open(struct env *e, bool pg)
{
    memset(e, 0, sizeof *e);
    atomic_store(&ok_calls, 0);
    atomic_store(&fail_calls, 0);
    testdb_open(&e->t, pg, "jobs");
    e->db = e->t.db;

    config_defaults(&e->cfg);
    e->cfg.database = e->t.url; /* not owned by cfg: config_free only frees _alloc */
    e->cfg.job_poll_ms = 20;
    e->reg = jobs_registry_new();
    jobs_register(e->reg, "test.ok", h_ok, 0);
    jobs_register(e->reg, "test.fail", h_fail, 3);
    jobs_register(e->reg, "test.race", h_race, 0);
    jobs_register(e->reg, "test.permanent", h_permanent, 5);
    jobs_register_diagnostics(e->reg);
    e->app.cfg = &e->cfg;
    e->app.jobs = e->reg;
}

static void env_close(struct env *e)
{
    jobs_registry_free(e->reg);
    config_free(&e->cfg);
    testdb_close(&e->t);
}

/*-----------------------------------------------------------------------------
 * Row inspection
 */

struct row {
    char state[16];
    int attempts;
    int64_t run_at;
    bool has_finished;
    bool has_lease;
    char last_error[256];
    char dedupe_key[64];
};

static const char *const Q_ROW = "SELECT state, attempts, run_at, finished_at, lease_until, last_error, dedupe_key "
                                 "FROM jobs WHERE id = $1";
static const char *const Q_DUE_NOW = "UPDATE jobs SET run_at = 0 WHERE id = $1";
static const char *const Q_FAKE_CLAIM = "UPDATE jobs SET state = 'running', attempts = $2, locked_by = 'dead-worker', "
                                        "lease_until = $3 WHERE id = $1";
static const char *const Q_NROWS = "SELECT COUNT(*) FROM jobs";
static const char *const Q_BAD_ATTEMPTS = "SELECT COUNT(*) FROM jobs WHERE state <> 'succeeded' OR attempts <> 1";

static struct row get_row(struct env *e, const char *id)
{
    struct db_error err;
    struct row r;
    memset(&r, 0, sizeof r);
    struct db_stmt *st = db_prepare(e->db, Q_ROW, &err);
    cr_assert_not_null(st, "%s", err.msg);
    db_bind(st, 1, DB_TEXT(id));
    cr_assert_eq(db_step(st, &err), 1, "job %s not found: %s", id, err.msg);
    snprintf(r.state, sizeof r.state, "%s", db_column_text(st, 0));
    r.attempts = (int)db_column_i64(st, 1);
    r.run_at = db_column_i64(st, 2);
    r.has_finished = !db_column_is_null(st, 3);
    r.has_lease = !db_column_is_null(st, 4);
    if (!db_column_is_null(st, 5))
        snprintf(r.last_error, sizeof r.last_error, "%s", db_column_text(st, 5));
    if (!db_column_is_null(st, 6))
        snprintf(r.dedupe_key, sizeof r.dedupe_key, "%s", db_column_text(st, 6));
    db_reset(st);
    return r;
}

static int64_t scalar(struct env *e, const char *sql)
{
    struct db_error err;
    struct db_stmt *st = db_prepare(e->db, sql, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(db_step(st, &err), 1, "%s", err.msg);
    int64_t v = db_column_i64(st, 0);
    db_reset(st);
    return v;
}

static void exec1(struct env *e, const char *sql, const struct db_param *p, int n)
{
    struct db_error err;
    cr_assert_eq(db_exec(e->db, sql, p, n, &err), 1, "%s: %s", sql, err.msg);
}

static void make_due(struct env *e, const char *id)
{
    exec1(e, Q_DUE_NOW, (struct db_param[]){DB_TEXT(id)}, 1);
}

/* Simulate a claim by a worker that then died: locked_by "dead-worker". */
static void fake_claim(struct env *e, const char *id, int attempts, int64_t lease_until)
{
    exec1(e, Q_FAKE_CLAIM, (struct db_param[]){DB_TEXT(id), DB_I64(attempts), DB_I64(lease_until)}, 3);
}

static void enqueue(struct env *e, const char *kind, json_t *payload, const struct job_opts *o, char *id)
{
    struct db_error err;
    cr_assert_eq(jobs_enqueue(e->db, kind, payload, o, id, &err), 0, "enqueue %s: %s", kind, err.msg);
    json_decref(payload);
}

static int run(struct env *e)
{
    return jobs_run_one(&e->app, e->db, "test-worker");
}

/*-----------------------------------------------------------------------------
 * Cases (each runs on both engines)
 */

static void case_success(struct env *e)
{
    char id[ID_MAX_LEN];
    enqueue(e, "test.ok", json_pack("{s:i}", "n", 42), NULL, id);
    cr_assert(id_valid(id, "job"), "id %s", id);
    cr_assert_str_eq(get_row(e, id).state, "queued");

    cr_assert_eq(run(e), 1);
    cr_assert_eq(atomic_load(&ok_calls), 1);
    cr_assert_eq(atomic_load(&seen_n), 42);
    cr_assert_eq(atomic_load(&last_attempt), 1);
    struct row r = get_row(e, id);
    cr_assert_str_eq(r.state, "succeeded");
    cr_assert_eq(r.attempts, 1);
    cr_assert(r.has_finished);
    cr_assert(!r.has_lease);

    cr_assert_eq(run(e), 0, "nothing left to run");
    struct jobs_counts c;
    struct db_error err;
    cr_assert_eq(jobs_count(e->db, &c, &err), 0, "%s", err.msg);
    cr_assert_eq(c.succeeded, 1);
    cr_assert_eq(c.queued + c.running + c.dead, 0);
}

static void case_enqueue_in_tx(struct env *e)
{
    struct db_error err;
    char a[ID_MAX_LEN], b[ID_MAX_LEN];
    cr_assert_eq(db_begin(e->db, &err), 0, "%s", err.msg);
    enqueue(e, "test.ok", NULL, NULL, a);
    db_rollback(e->db);
    cr_assert_eq(scalar(e, Q_NROWS), 0, "rolled back with the caller's transaction");
    cr_assert_eq(db_begin(e->db, &err), 0, "%s", err.msg);
    enqueue(e, "test.ok", NULL, NULL, b);
    cr_assert_eq(db_commit(e->db, &err), 0, "%s", err.msg);
    cr_assert_eq(scalar(e, Q_NROWS), 1);
    cr_assert_eq(run(e), 1);
    cr_assert_str_eq(get_row(e, b).state, "succeeded");
}

static void case_backoff_then_dead(struct env *e)
{
    char id[ID_MAX_LEN];
    enqueue(e, "test.fail", json_object(), NULL, id); /* registered with 3 attempts */

    int64_t t0 = time_now_ms();
    cr_assert_eq(run(e), 1);
    struct row r = get_row(e, id);
    cr_assert_str_eq(r.state, "queued");
    cr_assert_eq(r.attempts, 1);
    cr_assert_str_eq(r.last_error, "boom");
    cr_assert(!r.has_lease);
    cr_assert(r.run_at >= t0 + 800 && r.run_at <= time_now_ms() + 1200, "first backoff ~1 s, got %lld",
              (long long)(r.run_at - t0));
    cr_assert_eq(run(e), 0, "a retry is not due before its backoff");

    make_due(e, id);
    t0 = time_now_ms();
    cr_assert_eq(run(e), 1);
    r = get_row(e, id);
    cr_assert_str_eq(r.state, "queued");
    cr_assert_eq(r.attempts, 2);
    cr_assert_eq(atomic_load(&last_attempt), 2);
    cr_assert(r.run_at >= t0 + 1600 && r.run_at <= time_now_ms() + 2400, "second backoff ~2 s, got %lld",
              (long long)(r.run_at - t0));

    make_due(e, id);
    cr_assert_eq(run(e), 1);
    r = get_row(e, id);
    cr_assert_str_eq(r.state, "dead");
    cr_assert_eq(r.attempts, 3);
    cr_assert(r.has_finished);
    cr_assert_eq(atomic_load(&fail_calls), 3);
    cr_assert_eq(run(e), 0, "dead jobs are not run");
}

/* A permanent failure is dead at its first attempt, whatever attempts are left. */
static void case_permanent_failure(struct env *e)
{
    char id[ID_MAX_LEN];
    enqueue(e, "test.permanent", json_object(), NULL, id); /* registered with 5 attempts */
    cr_assert_eq(run(e), 1);
    struct row r = get_row(e, id);
    cr_assert_str_eq(r.state, "dead");
    cr_assert_eq(r.attempts, 1);
    cr_assert_str_eq(r.last_error, "refused for good");
    cr_assert(r.has_finished);
    cr_assert(!r.has_lease);
    make_due(e, id);
    cr_assert_eq(run(e), 0, "dead jobs are not run");
    cr_assert_eq(atomic_load(&fail_calls), 1);
}

static void case_ops_fail_and_override(struct env *e)
{
    char id[ID_MAX_LEN], one[ID_MAX_LEN];
    enqueue(e, "ops.fail", NULL, NULL, id);
    struct job_opts o = {.max_attempts = 1};
    enqueue(e, "test.fail", NULL, &o, one);
    make_due(e, one); /* run it first */

    cr_assert_eq(run(e), 1);
    struct row r = get_row(e, one);
    cr_assert_str_eq(r.state, "dead", "max_attempts from the enqueue options wins over the kind's");
    cr_assert_eq(r.attempts, 1);

    for (int i = 1; i <= 3; i++) {
        cr_assert_eq(run(e), 1);
        r = get_row(e, id);
        cr_assert_eq(r.attempts, i);
        cr_assert_str_eq(r.last_error, "diagnostic failure");
        cr_assert_str_eq(r.state, i < 3 ? "queued" : "dead");
        make_due(e, id);
    }
}

static void case_ops_sleep(struct env *e)
{
    char good[ID_MAX_LEN], bad[ID_MAX_LEN];
    enqueue(e, "ops.sleep", json_pack("{s:i}", "ms", 30), NULL, good);
    int64_t t0 = time_now_ms();
    cr_assert_eq(run(e), 1);
    cr_assert(time_now_ms() - t0 >= 30);
    cr_assert_str_eq(get_row(e, good).state, "succeeded");

    enqueue(e, "ops.sleep", json_pack("{s:s}", "ms", "soon"), NULL, bad);
    cr_assert_eq(run(e), 1);
    struct row r = get_row(e, bad);
    cr_assert_str_eq(r.state, "queued");
    cr_assert(strstr(r.last_error, "ms") != NULL);
}

static void case_lease_reclaimed(struct env *e)
{
    char id[ID_MAX_LEN];
    enqueue(e, "test.ok", NULL, NULL, id);

    /* Claimed by a worker whose lease has not expired: left alone. */
    fake_claim(e, id, 1, time_now_ms() + 60000);
    cr_assert_eq(run(e), 0);
    cr_assert_eq(atomic_load(&ok_calls), 0);

    /* That worker crashed and its lease ran out: reclaimed and run. */
    fake_claim(e, id, 1, time_now_ms() - 1000);
    cr_assert_eq(run(e), 1);
    cr_assert_eq(atomic_load(&ok_calls), 1);
    cr_assert_eq(atomic_load(&last_attempt), 2);
    struct row r = get_row(e, id);
    cr_assert_str_eq(r.state, "succeeded");
    cr_assert_eq(r.attempts, 2);
}

static void case_lease_reclaimed_exhausted(struct env *e)
{
    char id[ID_MAX_LEN];
    struct job_opts o = {.max_attempts = 2};
    enqueue(e, "test.ok", NULL, &o, id);
    fake_claim(e, id, 2, time_now_ms() - 1000);
    cr_assert_eq(run(e), 1);
    cr_assert_eq(atomic_load(&ok_calls), 0, "the last attempt is not run a second time");
    struct row r = get_row(e, id);
    cr_assert_str_eq(r.state, "dead");
    cr_assert_eq(r.attempts, 2);
    cr_assert(r.has_finished);
}

static void case_not_due(struct env *e)
{
    char id[ID_MAX_LEN];
    struct job_opts o = {.run_at_ms = time_now_ms() + 60000};
    enqueue(e, "test.ok", NULL, &o, id);
    cr_assert_eq(run(e), 0);
    cr_assert_eq(atomic_load(&ok_calls), 0);
    struct row r = get_row(e, id);
    cr_assert_str_eq(r.state, "queued");
    cr_assert_eq(r.attempts, 0);
}

static void case_unknown_kind(struct env *e)
{
    char id[ID_MAX_LEN];
    enqueue(e, "nobody.handles_this", json_object(), NULL, id);
    cr_assert_eq(run(e), 1);
    struct row r = get_row(e, id);
    /* Handed back for a process that mounts the owning module; the attempt does not count. */
    cr_assert_str_eq(r.state, "queued");
    cr_assert(strstr(r.last_error, "handed back") != NULL, "%s", r.last_error);
    cr_assert_eq(r.attempts, 0);
    cr_assert_not(r.has_finished);
    cr_assert_eq(run(e), 0, "not due again for a minute");
}

static void case_dedupe(struct env *e)
{
    char a[ID_MAX_LEN], b[ID_MAX_LEN], c[ID_MAX_LEN], d[ID_MAX_LEN];
    struct job_opts o = {.dedupe_key = "listing:1"};
    enqueue(e, "test.ok", NULL, &o, a);
    enqueue(e, "test.ok", NULL, &o, b);
    cr_assert_str_eq(a, b, "the duplicate reports the queued job's id");
    cr_assert_eq(scalar(e, Q_NROWS), 1);
    enqueue(e, "test.fail", NULL, &o, c); /* same key, other kind */
    cr_assert_str_neq(a, c);
    cr_assert_eq(scalar(e, Q_NROWS), 2);

    make_due(e, a);
    cr_assert_eq(run(e), 1);
    cr_assert_str_eq(get_row(e, a).state, "succeeded");
    enqueue(e, "test.ok", NULL, &o, d);
    cr_assert_str_neq(a, d, "once the first ran, the key is free again");
    cr_assert_eq(scalar(e, Q_NROWS), 3);

    /*
     * A running job with a key does not block a new one with that key; when
     * the running one fails and goes back to queued, it gives up its key
     * rather than fail on the unique index.
     */
    char f[ID_MAX_LEN], g[ID_MAX_LEN];
    struct job_opts o2 = {.dedupe_key = "listing:2"};
    enqueue(e, "test.fail", NULL, &o2, f);
    fake_claim(e, f, 0, time_now_ms() - 1000);
    make_due(e, f);
    enqueue(e, "test.fail", NULL, &o2, g);
    cr_assert_str_neq(f, g);
    /* Run c (test.fail, due now) and f: whichever order, f must end queued without its key. */
    make_due(e, c);
    cr_assert_eq(run(e), 1);
    cr_assert_eq(run(e), 1);
    struct row rf = get_row(e, f), rg = get_row(e, g);
    cr_assert_str_eq(rf.state, "queued");
    cr_assert_eq(rf.attempts, 1);
    cr_assert_str_eq(rf.dedupe_key, "");
    cr_assert_str_eq(rg.state, "queued");
    cr_assert_str_eq(rg.dedupe_key, "listing:2");
}

struct racer {
    struct env *e;
    const char *worker;
    int ran;
    int errors;
};

static void *race_main(void *arg)
{
    struct racer *r = arg;
    struct db_error err;
    struct db *db = db_open(r->e->t.url, &err);
    if (db == NULL) {
        r->errors++;
        return NULL;
    }
    int idle = 0;
    while (idle < 3) {
        int rc = jobs_run_one(&r->e->app, db, r->worker);
        if (rc == 1) {
            r->ran++;
            idle = 0;
        } else if (rc == 0) {
            idle++;
        } else if (++r->errors > 20) {
            break;
        }
    }
    db_close(db);
    return NULL;
}

static void case_race(struct env *e)
{
    struct db_error err;
    for (int i = 0; i < RACE_JOBS; i++)
        atomic_store(&race_hits[i], 0);
    cr_assert_eq(db_begin(e->db, &err), 0, "%s", err.msg);
    for (int i = 0; i < RACE_JOBS; i++)
        enqueue(e, "test.race", json_pack("{s:i}", "i", i), NULL, NULL);
    cr_assert_eq(db_commit(e->db, &err), 0, "%s", err.msg);

    struct racer r[2] = {{.e = e, .worker = "racer-a"}, {.e = e, .worker = "racer-b"}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, race_main, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);

    cr_assert_eq(r[0].errors + r[1].errors, 0, "database errors while racing");
    cr_assert_eq(r[0].ran + r[1].ran, RACE_JOBS);
    for (int i = 0; i < RACE_JOBS; i++)
        cr_assert_eq(atomic_load(&race_hits[i]), 1, "job %d ran %d times", i, atomic_load(&race_hits[i]));
    cr_assert_eq(scalar(e, Q_BAD_ATTEMPTS), 0);
    cr_log_info("%s race: a ran %d, b ran %d", e->t.pg ? "pg" : "sqlite", r[0].ran, r[1].ran);
}

static void case_workers(struct env *e)
{
    struct db_error err;
    struct jobs_counts c;
    for (int i = 0; i < 20; i++)
        enqueue(e, "test.ok", NULL, NULL, NULL);
    struct job_workers *w = jobs_workers_start(&e->app, 2);
    cr_assert_not_null(w);
    int64_t deadline = time_now_ms() + 10000;
    do {
        usleep(10000);
        cr_assert_eq(jobs_count(e->db, &c, &err), 0, "%s", err.msg);
    } while (c.succeeded < 20 && time_now_ms() < deadline);
    cr_assert_eq(c.succeeded, 20);
    int64_t t0 = time_now_ms();
    jobs_workers_stop(w);
    cr_assert(time_now_ms() - t0 < 1000, "stop took %lld ms", (long long)(time_now_ms() - t0));
    cr_assert_eq(atomic_load(&ok_calls), 20);
}

static void case_workers_stop_prompt(struct env *e)
{
    e->cfg.job_poll_ms = 30000;
    struct job_workers *w = jobs_workers_start(&e->app, 3);
    cr_assert_not_null(w);
    usleep(100000);
    int64_t t0 = time_now_ms();
    jobs_workers_stop(w);
    cr_assert(time_now_ms() - t0 < 1000, "stop took %lld ms", (long long)(time_now_ms() - t0));
}

/*-----------------------------------------------------------------------------
 * Registration: one Test per case and engine.
 */

static void on_engine(bool pg, void (*fn)(struct env *))
{
    struct env e;
    env_open(&e, pg);
    fn(&e);
    env_close(&e);
}

#define BOTH_ENGINES(name)                                                                                             \
    Test(jobs_sqlite, name) { on_engine(false, case_##name); }                                                         \
    Test(jobs_pg, name) { on_engine(true, case_##name); }

BOTH_ENGINES(success)
BOTH_ENGINES(enqueue_in_tx)
BOTH_ENGINES(backoff_then_dead)
BOTH_ENGINES(permanent_failure)
BOTH_ENGINES(ops_fail_and_override)
BOTH_ENGINES(ops_sleep)
BOTH_ENGINES(lease_reclaimed)
BOTH_ENGINES(lease_reclaimed_exhausted)
BOTH_ENGINES(not_due)
BOTH_ENGINES(unknown_kind)
BOTH_ENGINES(dedupe)
BOTH_ENGINES(race)
BOTH_ENGINES(workers)
BOTH_ENGINES(workers_stop_prompt)

Test(jobs, backoff_bounds)
{
    for (int k = 0; k < 50; k++) {
        int64_t b1 = jobs_backoff_ms(1), b2 = jobs_backoff_ms(2), b5 = jobs_backoff_ms(5);
        cr_assert(b1 >= 800 && b1 <= 1200, "%lld", (long long)b1);
        cr_assert(b2 >= 1600 && b2 <= 2400, "%lld", (long long)b2);
        cr_assert(b5 >= 12800 && b5 <= 19200, "%lld", (long long)b5);
        int64_t cap = jobs_backoff_ms(40);
        cr_assert(cap >= 2880000 && cap <= 4320000, "capped at 1 h +-20%%: %lld", (long long)cap);
        int64_t z = jobs_backoff_ms(0);
        cr_assert(z >= 800 && z <= 1200);
    }
}

Test(jobs, pg_url_rewrite)
{
    char out[256];
    testdb_url_with_db("postgres://u@127.0.0.1:5432/postgres", "x", out, sizeof out);
    cr_assert_str_eq(out, "postgres://u@127.0.0.1:5432/x");
    testdb_url_with_db("postgresql://u@h:1/db?sslmode=disable", "x", out, sizeof out);
    cr_assert_str_eq(out, "postgresql://u@h:1/x?sslmode=disable");
    testdb_url_with_db("postgres://h:1?host=/tmp", "x", out, sizeof out);
    cr_assert_str_eq(out, "postgres://h:1/x?host=/tmp");
}
