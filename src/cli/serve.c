/*
 * serve.c — `artistry serve` and `artistry worker`.
 *
 * Signals are blocked before any thread starts, so only the main thread
 * receives SIGTERM/SIGINT (through sigwait); it then stops accepting,
 * lets requests in flight finish, stops the job workers after their current
 * job, and closes the databases.
 *
 * Caveats: the shutdown grace period for requests in flight is 10 s.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "db/db.h"
#include "db/migrate.h"
#include "http/http.h"
#include "http/server.h"
#include "platform/cache.h"
#include "platform/events.h"
#include "platform/jobs.h"
#include "platform/pubsub.h"
#include "platform/ratelimit_redis.h"
#include "platform/retention.h"
#include "platform/ticker.h"
#include "realtime/realtime.h"

/* app.shared_ratelimit_store when redis_url is set: buckets in Redis. */
static struct ratelimit_store *redis_ratelimit_store(const struct app *app)
{
    return ratelimit_redis_store_new(app->cfg->redis_url, app->cfg->redis_timeout_ms);
}

static int init_modules(struct app *app, size_t *inited)
{
    for (*inited = 0; *inited < app->nmodules; (*inited)++) {
        const struct service_module *m = app->modules[*inited];
        if (m->init != NULL && m->init(app) != 0) {
            log_error("module failed to start", "%s", m->name);
            return -1;
        }
    }
    return 0;
}

static void fini_modules(struct app *app, size_t inited)
{
    while (inited-- > 0)
        if (app->modules[inited]->fini != NULL)
            app->modules[inited]->fini(app);
}

static int wait_for_signal(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

static void block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Shared by serve and worker: config, dirs, migrations, modules, job registry. */
static int run(int argc, char **argv, bool with_http)
{
    struct config cfg;
    struct app app = {0};
    int status = 1;
    size_t inited = 0;
    struct http_server *srv = NULL;
    struct job_workers *workers = NULL;
    struct ticker *housekeeping = NULL;

    int rc = cli__load_config(&cfg, argc, argv);
    if (rc != 0) {
        config_free(&cfg);
        return rc;
    }
    block_signals();
    app.cfg = &cfg;
    app.started_at_ms = time_now_ms();
    app.schema_version = migrate_builtin_count ? migrate_builtin[migrate_builtin_count - 1].version : 0;
    if (cfg.redis_url != NULL && cfg.redis_url[0] != '\0')
        app.shared_ratelimit_store = redis_ratelimit_store;
    if ((rc = cli__select_modules(&app, &cfg)) != 0) {
        config_free(&cfg);
        return rc;
    }
    app.jobs = jobs_registry_new();
    events_register_jobs(app.jobs);
    if (cfg.job_diagnostics)
        jobs_register_diagnostics(app.jobs);
    if (cli__prepare_dirs(&cfg) != 0)
        goto out;
    struct db *db = cli__open_db(&cfg);
    if (db == NULL)
        goto out;
    if (cfg.migrate_on_start && cli__migrate(db) != 0) {
        db_close(db);
        goto out;
    }
    db_close(db);
    if (cache_start(&cfg) != 0 || pubsub_start(&cfg) != 0)
        goto out;
    if (init_modules(&app, &inited) != 0)
        goto out;
    int nworkers = with_http ? cfg.job_workers : (cfg.job_workers > 0 ? cfg.job_workers : 1);
    if (nworkers > 0 && (workers = jobs_workers_start(&app, nworkers)) == NULL)
        goto out;
    if (with_http && (srv = http_server_start(&app)) == NULL)
        goto out;
    housekeeping = retention_start(&app);
    app.server = srv;
    if (with_http && realtime_start(&app) != 0) /* /socket.io/ answers 404 until this returns */
        goto out;
    int sig = wait_for_signal();
    log_info("shutting down", "signal %d", sig);
    status = 0;
out:
    realtime_stop(); /* closes every socket: the server may only stop once none is upgraded or suspended */
    http_server_stop(srv, 10000);
    ticker_stop(housekeeping);
    jobs_workers_stop(workers);
    fini_modules(&app, inited);
    pubsub_stop();
    cache_stop();
    jobs_registry_free(app.jobs);
    cli__free_modules(&app);
    config_free(&cfg);
    if (status == 0)
        log_info("stopped", NULL);
    return status;
}

int cli_serve(int argc, char **argv)
{
    return run(argc, argv, true);
}

int cli_worker(int argc, char **argv)
{
    return run(argc, argv, false);
}
