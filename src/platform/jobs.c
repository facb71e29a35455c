/*
 * jobs.c — durable, table-backed job queue: registry, enqueue, claim/run,
 * backoff, counts, worker threads and the ops.* diagnostic kinds.
 *
 * Life of a job (table `jobs`, migrations/0002_jobs.sql):
 *   - jobs_enqueue() inserts a queued row on the caller's connection, so it
 *     commits or rolls back with the caller's transaction. A dedupe key makes
 *     the insert a no-op (INSERT ... ON CONFLICT DO NOTHING against a partial
 *     unique index over queued rows) when the same kind+key is still queued.
 *   - jobs_run_one() claims the oldest due row with ONE UPDATE ... RETURNING
 *     inside a short transaction: queued and due, or running with an expired
 *     lease (its worker died). PostgreSQL picks the row with FOR UPDATE SKIP
 *     LOCKED so workers never wait on one another; on SQLite the db layer
 *     drops that clause and BEGIN IMMEDIATE serialises claimers instead.
 *   - The handler runs outside any transaction, with a fresh arena and the
 *     parsed payload. Its outcome is written by an UPDATE that applies only
 *     while we still own the lease (id, locked_by, attempts, state), so a
 *     worker whose lease expired and was reclaimed cannot overwrite the new
 *     owner's outcome.
 *   - Failure: dead once attempts reach max_attempts, otherwise queued again
 *     at now + jobs_backoff_ms(attempts). A reclaimed job that had already
 *     used its last attempt is marked dead instead of run again.
 *
 * Caveats:
 *   - Delivery is at least once: a handler that outlives job_lease_ms, or a
 *     worker killed after the handler's side effects but before the outcome
 *     was written, means the job runs again. Handlers must be idempotent and
 *     finish well inside the lease (there is no lease renewal).
 *   - A kind with no handler in this process is handed back: queued again
 *     a minute later with its attempt not counted, so that in a split
 *     deployment (--services) a process that mounts the owning module runs
 *     it. A kind nobody handles therefore stays queued (visible in
 *     jobs{state="queued"} and in last_error), never silently dead.
 *   - Payloads may hold personal data: they are never logged. last_error is
 *     the handler's message, truncated to LAST_ERROR_MAX bytes.
 *   - Finished rows are kept (no pruning here).
 */
#include "platform/jobs.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "base/arena.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"

#define JOBS_MAX_KINDS 128
#define JOBS_DEFAULT_MAX_ATTEMPTS 5
#define JOBS_DEFAULT_LEASE_MS 300000
#define JOBS_DEFAULT_POLL_MS 500
#define LAST_ERROR_MAX 1024
#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS 3600000
#define CLAIM_TX_ATTEMPTS 5
#define FINISH_ATTEMPTS 3
#define SLEEP_MAX_MS 3600000
#define SLEEP_STEP_MS 50

/*-----------------------------------------------------------------------------
 * SQL
 */

enum jobs_q {
    JOBS_Q_ENQUEUE,
    JOBS_Q_DEDUPE_ID,
    JOBS_Q_CLAIM,
    JOBS_Q_SUCCEED,
    JOBS_Q_RETRY,
    JOBS_Q_RETRY_NODEDUPE,
    JOBS_Q_DEAD,
    JOBS_Q_HAND_BACK,
    JOBS_Q_COUNT,
    JOBS_Q__COUNT
};

/*
 * The outcome statements share their first four parameters: $1 id, $2 our
 * worker id, $3 the attempts value our claim wrote, $4 now.
 */
/* A kind this process does not handle is offered to other processes again after this delay. */
#define HAND_BACK_MS 60000

#define JOBS_OWNED "WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'"

static const char *const jobs_sql[JOBS_Q__COUNT] = {
    [JOBS_Q_ENQUEUE] = "INSERT INTO jobs (id, kind, payload, state, run_at, attempts, max_attempts, dedupe_key, "
                       "created_at, updated_at) VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6, $7, $7) "
                       "ON CONFLICT DO NOTHING",
    [JOBS_Q_DEDUPE_ID] = "SELECT id FROM jobs WHERE kind = $1 AND dedupe_key = $2 AND state = 'queued'",
    [JOBS_Q_CLAIM] = "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, lease_until = $2, "
                     "updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $3) "
                     "OR (state = 'running' AND lease_until < $3) ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
                     "RETURNING id, kind, payload, attempts, max_attempts",
    [JOBS_Q_SUCCEED] = "UPDATE jobs SET state = 'succeeded', locked_by = NULL, lease_until = NULL, finished_at = $4, "
                       "updated_at = $4 " JOBS_OWNED,
    [JOBS_Q_RETRY] = "UPDATE jobs SET state = 'queued', locked_by = NULL, lease_until = NULL, run_at = $5, "
                     "last_error = $6, updated_at = $4 " JOBS_OWNED,
    /* Used when going back to queued collides with a newer queued duplicate. */
    [JOBS_Q_RETRY_NODEDUPE] = "UPDATE jobs SET state = 'queued', locked_by = NULL, lease_until = NULL, run_at = $5, "
                              "last_error = $6, updated_at = $4, dedupe_key = NULL " JOBS_OWNED,
    [JOBS_Q_DEAD] = "UPDATE jobs SET state = 'dead', locked_by = NULL, lease_until = NULL, attempts = $5, "
                    "last_error = $6, finished_at = $4, updated_at = $4 " JOBS_OWNED,
    [JOBS_Q_HAND_BACK] = "UPDATE jobs SET state = 'queued', locked_by = NULL, lease_until = NULL, run_at = $5, "
                         "attempts = attempts - 1, last_error = $6, updated_at = $4 " JOBS_OWNED,
    [JOBS_Q_COUNT] = "SELECT state, COUNT(*) FROM jobs GROUP BY state",
};

static void set_err(struct db_error *err, enum db_errkind kind, const char *msg)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof *err);
    err->kind = kind;
    snprintf(err->msg, sizeof err->msg, "%s", msg);
}

/*-----------------------------------------------------------------------------
 * Registry
 */

struct job_kind {
    const char *kind;
    job_handler fn;
    int max_attempts;
};

struct job_registry {
    struct job_kind kinds[JOBS_MAX_KINDS];
    size_t n;
};

struct job_registry *jobs_registry_new(void)
{
    return xcalloc(1, sizeof(struct job_registry));
}

void jobs_registry_free(struct job_registry *r)
{
    free(r);
}

static const struct job_kind *find_kind(const struct job_registry *r, const char *kind)
{
    if (r == NULL)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->kinds[i].kind, kind) == 0)
            return &r->kinds[i];
    return NULL;
}

void jobs_register(struct job_registry *r, const char *kind, job_handler fn, int max_attempts)
{
    APP_ASSERT(r != NULL && kind != NULL && kind[0] != '\0' && fn != NULL);
    if (find_kind(r, kind) != NULL)
        APP_PANIC("job kind registered twice");
    if (r->n >= JOBS_MAX_KINDS)
        APP_PANIC("too many job kinds; raise JOBS_MAX_KINDS");
    r->kinds[r->n].kind = kind;
    r->kinds[r->n].fn = fn;
    r->kinds[r->n].max_attempts = max_attempts > 0 ? max_attempts : JOBS_DEFAULT_MAX_ATTEMPTS;
    r->n++;
}

/*-----------------------------------------------------------------------------
 * Enqueue and counts
 */

int jobs_enqueue(struct db *db, const char *kind, json_t *payload, const struct job_opts *opts, char *id_out,
                 struct db_error *err)
{
    struct db_error local;
    char id[ID_MAX_LEN];
    char *text = NULL;
    int ret = -1;

    if (err == NULL)
        err = &local;
    if (id_out != NULL)
        id_out[0] = '\0';
    if (kind == NULL || kind[0] == '\0') {
        set_err(err, DB_E_OTHER, "jobs_enqueue: empty kind");
        goto out;
    }
    text = payload != NULL ? json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("{}");
    if (text == NULL) {
        set_err(err, DB_E_OTHER, "jobs_enqueue: payload cannot be encoded as JSON");
        goto out;
    }

    int64_t now = time_now_ms();
    int64_t run_at = opts != NULL && opts->run_at_ms > 0 ? opts->run_at_ms : now;
    const char *dedupe = opts != NULL && opts->dedupe_key != NULL && opts->dedupe_key[0] != '\0' ? opts->dedupe_key
                                                                                                 : NULL;
    /* NULL max_attempts: the kind's registered default, resolved when the job runs. */
    struct db_param maxp = opts != NULL && opts->max_attempts > 0 ? DB_I64(opts->max_attempts) : DB_NULL;

    /* Through a pointer: DB_TEXT tests its argument for NULL, which -Waddress rejects for an array. */
    const char *idp = id_generate("job", id, sizeof id);
    struct db_param p[] = {DB_TEXT(idp), DB_TEXT(kind), DB_TEXT(text), DB_I64(run_at), maxp, DB_TEXT(dedupe),
                           DB_I64(now)};
    int64_t n = db_exec(db, jobs_sql[JOBS_Q_ENQUEUE], p, 7, err);
    if (n < 0)
        goto out;
    if (n == 0 && dedupe == NULL) {
        set_err(err, DB_E_UNIQUE, "jobs_enqueue: id collision");
        goto out;
    }
    if (id_out != NULL) {
        if (n > 0) {
            memcpy(id_out, id, strlen(id) + 1);
        } else {
            /* Deduplicated: report the queued job that absorbed this one. */
            struct db_stmt *st = db_prepare(db, jobs_sql[JOBS_Q_DEDUPE_ID], err);
            if (st == NULL)
                goto out;
            db_bind(st, 1, DB_TEXT(kind));
            db_bind(st, 2, DB_TEXT(dedupe));
            int rc = db_step(st, err);
            if (rc < 0)
                goto out;
            /* Not found: it was claimed meanwhile; the caller gets "". */
            if (rc == 1 && db_column_text(st, 0) != NULL)
                snprintf(id_out, ID_MAX_LEN, "%s", db_column_text(st, 0));
            db_reset(st);
        }
    }
    ret = 0;
out:
    free(text);
    return ret;
}

int jobs_count(struct db *db, struct jobs_counts *out, struct db_error *err)
{
    memset(out, 0, sizeof *out);
    struct db_stmt *st = db_prepare(db, jobs_sql[JOBS_Q_COUNT], err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = db_step(st, err)) == 1) {
        const char *state = db_column_text(st, 0);
        int64_t n = db_column_i64(st, 1);
        if (state == NULL)
            continue;
        if (strcmp(state, "queued") == 0)
            out->queued = n;
        else if (strcmp(state, "running") == 0)
            out->running = n;
        else if (strcmp(state, "succeeded") == 0)
            out->succeeded = n;
        else if (strcmp(state, "dead") == 0)
            out->dead = n;
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

int64_t jobs_backoff_ms(int attempts)
{
    if (attempts < 1)
        attempts = 1;
    int shift = attempts - 1 > 22 ? 22 : attempts - 1; /* 1000 << 22 is already far past the cap */
    int64_t base = (int64_t)BACKOFF_BASE_MS << shift;
    if (base > BACKOFF_CAP_MS)
        base = BACKOFF_CAP_MS;
    uint32_t r;
    random_bytes(&r, sizeof r);
    /* Jitter of +-20% in 0.1% steps, so retries of a burst spread out. */
    return base * (800 + (int64_t)(r % 401)) / 1000;
}

/*-----------------------------------------------------------------------------
 * Claim and run
 */

struct claim {
    const char *worker;
    int64_t now, lease_until;
    struct arena *arena;
    bool got;
    const char *id, *kind, *payload;
    int attempts;
    int max_attempts; /* 0: NULL in the row */
};

static int claim_tx(struct db *db, void *ctx, struct db_error *err)
{
    struct claim *c = ctx;
    c->got = false;
    struct db_stmt *st = db_prepare(db, jobs_sql[JOBS_Q_CLAIM], err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(c->worker));
    db_bind(st, 2, DB_I64(c->lease_until));
    db_bind(st, 3, DB_I64(c->now));
    int rc = db_step(st, err);
    if (rc == 1) {
        c->got = true;
        c->id = arena_strdup(c->arena, db_column_text(st, 0));
        c->kind = arena_strdup(c->arena, db_column_text(st, 1));
        c->payload = arena_strdup(c->arena, db_column_text(st, 2));
        c->attempts = (int)db_column_i64(st, 3);
        c->max_attempts = db_column_is_null(st, 4) ? 0 : (int)db_column_i64(st, 4);
        /* One row at most; finish the statement so SQLite can commit. */
        rc = db_step(st, err);
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Copy at most LAST_ERROR_MAX bytes of msg, cutting on a UTF-8 boundary. */
static const char *clip_error(struct arena *a, const char *msg)
{
    size_t len = strlen(msg);
    if (len <= LAST_ERROR_MAX)
        return msg;
    len = LAST_ERROR_MAX;
    while (len > 0 && ((unsigned char)msg[len] & 0xC0) == 0x80)
        len--;
    return arena_strndup(a, msg, len);
}

/*
 * Write the outcome if we still own the lease. Returns 0 (also when the
 * lease was lost, which is logged) or -1 on a database error.
 */
static int finish(struct db *db, enum jobs_q q, const struct claim *c, struct db_param p5, struct db_param p6)
{
    struct db_error err;
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(c->id), DB_TEXT(c->worker), DB_I64(c->attempts), DB_I64(now), p5, p6};
    int np = q == JOBS_Q_SUCCEED ? 4 : 6;
    int64_t n = -1;

    for (int i = 0; i < FINISH_ATTEMPTS; i++) {
        n = db_exec(db, jobs_sql[q], p, np, &err);
        if (n >= 0)
            break;
        if (err.kind == DB_E_UNIQUE && q == JOBS_Q_RETRY) {
            /* A newer duplicate was queued while we ran: keep both, drop our key. */
            q = JOBS_Q_RETRY_NODEDUPE;
            continue;
        }
        if (err.kind != DB_E_RETRY)
            break;
    }
    if (n < 0) {
        log_error("job outcome not recorded", "kind=%s id=%s attempt=%d error=%s: %s", c->kind, c->id, c->attempts,
                  db_errkind_name(err.kind), err.msg);
        return -1;
    }
    if (n == 0)
        log_warn("job lease lost", "kind=%s id=%s attempt=%d: another worker reclaimed it; outcome dropped", c->kind,
                 c->id, c->attempts);
    return 0;
}

static int fail_job(struct db *db, const struct claim *c, int max_attempts, const char *msg)
{
    bool dead = c->attempts >= max_attempts;
    log_warn("job failed", "kind=%s id=%s attempt=%d/%d error=%s next=%s", c->kind, c->id, c->attempts, max_attempts,
             msg, dead ? "dead" : "retry");
    if (dead)
        return finish(db, JOBS_Q_DEAD, c, DB_I64(c->attempts), DB_TEXT(msg));
    return finish(db, JOBS_Q_RETRY, c, DB_I64(time_now_ms() + jobs_backoff_ms(c->attempts)), DB_TEXT(msg));
}

static int kill_job(struct db *db, const struct claim *c, int attempts, const char *msg)
{
    log_warn("job dead", "kind=%s id=%s attempt=%d error=%s", c->kind, c->id, attempts, msg);
    return finish(db, JOBS_Q_DEAD, c, DB_I64(attempts), DB_TEXT(msg));
}

int jobs_run_one(struct app *app, struct db *db, const char *worker_id)
{
    APP_ASSERT(app != NULL && app->jobs != NULL && db != NULL && worker_id != NULL);
    struct arena arena;
    struct db_error err;
    json_t *payload = NULL;
    int ret = -1;

    arena_init(&arena, 0);
    int64_t lease_ms = app->cfg != NULL && app->cfg->job_lease_ms > 0 ? app->cfg->job_lease_ms : JOBS_DEFAULT_LEASE_MS;
    struct claim c = {.worker = worker_id, .arena = &arena};
    c.now = time_now_ms();
    c.lease_until = c.now + lease_ms;

    if (db_tx(db, CLAIM_TX_ATTEMPTS, claim_tx, &c, &err) != 0) {
        log_error("job claim failed", "worker=%s error=%s: %s", worker_id, db_errkind_name(err.kind), err.msg);
        goto out;
    }
    if (!c.got) {
        ret = 0;
        goto out;
    }

    const struct job_kind *k = find_kind(app->jobs, c.kind);
    if (k == NULL) {
        log_warn("job kind not handled here: handed back", "kind=%s id=%s worker=%s", c.kind, c.id, worker_id);
        ret = finish(db, JOBS_Q_HAND_BACK, &c, DB_I64(time_now_ms() + HAND_BACK_MS),
                     DB_TEXT("no handler for this kind in the worker that claimed it; handed back")) == 0
                  ? 1
                  : -1;
        goto out;
    }
    int max_attempts = c.max_attempts > 0 ? c.max_attempts : k->max_attempts;
    if (c.attempts > max_attempts) {
        /* Reclaimed after a crash during its last attempt: do not run it again. */
        ret = kill_job(db, &c, c.attempts - 1, "lease expired during the last attempt") == 0 ? 1 : -1;
        goto out;
    }
    json_error_t jerr;
    payload = json_loads(c.payload != NULL ? c.payload : "{}", JSON_DECODE_ANY, &jerr);
    if (payload == NULL) {
        ret = kill_job(db, &c, c.attempts, "payload is not valid JSON") == 0 ? 1 : -1;
        goto out;
    }

    struct job job = {
        .id = c.id,
        .kind = c.kind,
        .payload = payload,
        .attempt = c.attempts,
        .max_attempts = max_attempts,
        .arena = &arena,
        .db = db,
        .app = app,
    };
    const char *errmsg = NULL;
    int hr = k->fn(&job, &errmsg);
    if (db_in_tx(db)) {
        log_error("job handler left a transaction open", "kind=%s id=%s: rolled back", c.kind, c.id);
        db_rollback(db);
        hr = -1;
        if (errmsg == NULL)
            errmsg = "handler left a transaction open";
    }
    int fr;
    if (hr == 0)
        fr = finish(db, JOBS_Q_SUCCEED, &c, DB_NULL, DB_NULL);
    else if (hr == JOB_PERMANENT_FAILURE)
        fr = kill_job(db, &c, c.attempts,
                      clip_error(&arena, errmsg != NULL && errmsg[0] != '\0' ? errmsg : "permanent failure"));
    else
        fr = fail_job(db, &c, max_attempts,
                      clip_error(&arena, errmsg != NULL && errmsg[0] != '\0' ? errmsg : "handler failed"));
    ret = fr == 0 ? 1 : -1;
out:
    json_decref(payload);
    arena_destroy(&arena);
    return ret;
}

/*-----------------------------------------------------------------------------
 * Worker threads
 */

struct worker {
    struct job_workers *pool;
    pthread_t thread;
    bool started;
    char id[320];
};

struct job_workers {
    struct app *app;
    int n;
    struct worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

static bool stopping(struct job_workers *w)
{
    pthread_mutex_lock(&w->mu);
    bool s = w->stop;
    pthread_mutex_unlock(&w->mu);
    return s;
}

/* Sleep up to ms, returning early when stop is requested. */
static void idle_wait(struct job_workers *w, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = (int64_t)ts.tv_nsec + (ms % 1000) * 1000000;
    ts.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&w->mu);
    while (!w->stop)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&w->mu);
}

static void *worker_main(void *arg)
{
    struct worker *me = arg;
    struct job_workers *w = me->pool;
    struct db *db = NULL;
    int errors = 0;
    int64_t poll = w->app->cfg != NULL && w->app->cfg->job_poll_ms > 0 ? w->app->cfg->job_poll_ms
                                                                        : JOBS_DEFAULT_POLL_MS;

    while (!stopping(w)) {
        if (db == NULL) {
            db = app_db_open(w->app);
            if (db == NULL) {
                idle_wait(w, poll > 1000 ? poll : 1000);
                continue;
            }
        }
        int r = jobs_run_one(w->app, db, me->id);
        if (r == 1) {
            errors = 0;
            continue;
        }
        if (r < 0 && ++errors >= 3) {
            /* The connection may be broken: start over with a new one. */
            db_close(db);
            db = NULL;
            errors = 0;
        }
        idle_wait(w, poll);
    }
    db_close(db);
    return NULL;
}

struct job_workers *jobs_workers_start(struct app *app, int n)
{
    APP_ASSERT(app != NULL && app->jobs != NULL);
    if (n < 0)
        n = 0;
    struct job_workers *w = xcalloc(1, sizeof *w);
    w->app = app;
    w->n = n;
    w->workers = xcalloc(n > 0 ? (size_t)n : 1, sizeof(struct worker));
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);

    char host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';

    for (int i = 0; i < n; i++) {
        struct worker *me = &w->workers[i];
        me->pool = w;
        snprintf(me->id, sizeof me->id, "%s:%ld:%d", host, (long)getpid(), i);
        int rc = pthread_create(&me->thread, NULL, worker_main, me);
        if (rc != 0) {
            log_error("job worker not started", "thread %d: %s", i, strerror(rc));
            jobs_workers_stop(w);
            return NULL;
        }
        me->started = true;
    }
    return w;
}

void jobs_workers_stop(struct job_workers *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->n; i++)
        if (w->workers[i].started)
            pthread_join(w->workers[i].thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->workers);
    free(w);
}

/*-----------------------------------------------------------------------------
 * Diagnostic kinds
 */

static int ops_sleep(struct job *job, const char **errmsg)
{
    json_t *v = json_is_object(job->payload) ? json_object_get(job->payload, "ms") : NULL;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > SLEEP_MAX_MS) {
        *errmsg = "payload must be {\"ms\": 0..3600000}";
        return -1;
    }
    int64_t left = (int64_t)json_integer_value(v);
    /* Small steps keep the thread responsive to signals and tooling. */
    while (left > 0) {
        int64_t step = left < SLEEP_STEP_MS ? left : SLEEP_STEP_MS;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(step * 1000000)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        left -= step;
    }
    return 0;
}

static int ops_fail(struct job *job, const char **errmsg)
{
    (void)job;
    *errmsg = "diagnostic failure";
    return -1;
}

void jobs_register_diagnostics(struct job_registry *r)
{
    jobs_register(r, "ops.sleep", ops_sleep, JOBS_DEFAULT_MAX_ATTEMPTS);
    jobs_register(r, "ops.fail", ops_fail, 3);
}
