/*
 * jobs.h — durable, table-backed background jobs.
 *
 * A job is a row of `jobs`: kind, JSON payload, state (queued, running,
 * succeeded, dead), run_at, attempts, max_attempts, last_error and a lease.
 * Workers claim the oldest due job (PostgreSQL: FOR UPDATE SKIP LOCKED;
 * SQLite: under the write lock of BEGIN IMMEDIATE), set its lease, and run
 * the handler registered for its kind. Success marks it succeeded; failure
 * schedules a retry with exponential backoff and jitter, or marks it dead
 * after the last attempt. A job whose lease expired (its worker crashed) is
 * claimable again, so a kill -9 loses no job; handlers must be idempotent.
 *
 * Enqueue inside the caller's transaction (jobs_enqueue takes the caller's
 * connection) so a job exists if and only if the state change that wants it
 * committed.
 */
#ifndef ARTISTRY_PLATFORM_JOBS_H
#define ARTISTRY_PLATFORM_JOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct app;
struct arena;
struct db;
struct db_error;
struct job_registry;

/** What a handler sees of the job it runs. */
struct job {
    const char *id;
    const char *kind;
    json_t *payload; /* borrowed */
    int attempt;     /* 1 for the first run */
    int max_attempts;
    struct arena *arena; /* freed after the handler returns */
    struct db *db;       /* the worker's connection */
    struct app *app;
};

/**
 * A job handler: 0 on success; -1 on failure with a message in *errmsg
 * (arena string), which is stored as last_error and retried with backoff;
 * JOB_PERMANENT_FAILURE when retrying cannot help (a provider refused the
 * request for good): the job is dead at once. May block: it runs on a
 * worker thread, not a request thread.
 */
#define JOB_PERMANENT_FAILURE (-2)

typedef int (*job_handler)(struct job *job, const char **errmsg);

/** Registry of kinds → handlers. Created by the app at start-up. */
struct job_registry *jobs_registry_new(void);
void jobs_registry_free(struct job_registry *r);

/** Register a handler for kind (a static string, "module.action"). Not thread-safe: call at init. */
void jobs_register(struct job_registry *r, const char *kind, job_handler fn, int max_attempts);

/** Options for enqueueing. */
struct job_opts {
    int64_t run_at_ms;   /* 0: now */
    int max_attempts;    /* 0: the kind's default */
    const char *dedupe_key; /* optional: a queued job with the same kind+key is not duplicated */
};

/**
 * Insert a job on db (use the caller's transaction if one is open). Writes
 * the new id into id_out (>= 40 bytes) when non-NULL. Returns 0 or -1.
 */
int jobs_enqueue(struct db *db, const char *kind, json_t *payload, const struct job_opts *opts, char *id_out,
                 struct db_error *err);

/**
 * Claim and run at most one due job. Returns 1 if a job ran (whatever its
 * outcome), 0 if none was due, -1 on a database error.
 */
int jobs_run_one(struct app *app, struct db *db, const char *worker_id);

/** Counts by state, for /metrics. Returns 0 or -1. */
struct jobs_counts {
    int64_t queued, running, succeeded, dead;
};
int jobs_count(struct db *db, struct jobs_counts *out, struct db_error *err);

/** Backoff before attempt n+1 after n failures, ms (exponential, capped, jittered). */
int64_t jobs_backoff_ms(int attempts);

/**
 * Register the diagnostic kinds used by operational tests: "ops.sleep"
 * (payload {"ms": N}, 0 <= N <= 3600000: sleeps N ms, then succeeds) and
 * "ops.fail" (always fails with "diagnostic failure"; 3 attempts). Register
 * them only when configured (config job_diagnostics). Not thread-safe.
 */
void jobs_register_diagnostics(struct job_registry *r);

/*-----------------------------------------------------------------------------
 * Worker threads
 */
struct job_workers;

/**
 * Start n worker threads, each with its own database connection, polling
 * every app->cfg->job_poll_ms when idle. Returns NULL on failure.
 */
struct job_workers *jobs_workers_start(struct app *app, int n);

/** Ask workers to stop after their current job, join them, close their connections. */
void jobs_workers_stop(struct job_workers *w);

#endif
