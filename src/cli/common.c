/*
 * common.c — subcommand set-up.
 */
#include "cli/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "base/arena.h"
#include "base/config.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "db/db.h"
#include "db/migrate.h"
#include "http/http.h"

int cli__load_config(struct config *cfg, int argc, char **argv)
{
    char eb[512];
    config_defaults(cfg);
    if (config_load(cfg, argc, argv, eb, sizeof eb) != 0) {
        fprintf(stderr, "artistry: %s\n", eb);
        fprintf(stderr, "run 'artistry help' for the options\n");
        return 2;
    }
    int level = log_level_parse(cfg->log_level);
    if (level < 0) {
        fprintf(stderr, "artistry: log_level must be debug, info, warn or error, got '%s'\n", cfg->log_level);
        return 2;
    }
    log_set_level((enum log_level)level);
    return 0;
}

static int mkdir_p(const char *path)
{
    return path[0] == '\0' ? 0 : fs_mkdirs(path, 0750);
}

int cli__prepare_dirs(const struct config *cfg)
{
    if (mkdir_p(cfg->data_dir) != 0) {
        log_error("cannot create data directory", "%s: %s", cfg->data_dir, strerror(errno));
        return -1;
    }
    if (!db_url_is_pg(cfg->database)) {
        const char *path = strncmp(cfg->database, "sqlite:", 7) == 0 ? cfg->database + 7 : cfg->database;
        const char *slash = strrchr(path, '/');
        if (slash != NULL && slash != path) {
            char dir[4096];
            size_t n = (size_t)(slash - path);
            if (n < sizeof dir) {
                memcpy(dir, path, n);
                dir[n] = '\0';
                if (mkdir_p(dir) != 0) {
                    log_error("cannot create database directory", "%s: %s", dir, strerror(errno));
                    return -1;
                }
            }
        }
    }
    return 0;
}

struct db *cli__open_db(const struct config *cfg)
{
    struct db_error err = {0};
    struct db *db = db_open(cfg->database, &err);
    if (db == NULL)
        log_error("cannot open database", "%s: %s", db_errkind_name(err.kind), err.msg);
    return db;
}

int cli__migrate(struct db *db)
{
    struct db_error err = {0};
    int n = migrate_up(db, migrate_builtin, migrate_builtin_count, &err);
    if (n == -2) {
        log_error("database schema is newer than this binary",
                  "refusing to run; upgrade the binary (it knows schema version %d)",
                  migrate_builtin_count ? migrate_builtin[migrate_builtin_count - 1].version : 0);
        return -1;
    }
    if (n < 0) {
        log_error("migration failed", "%s: %s", db_errkind_name(err.kind), err.msg);
        return -1;
    }
    if (n > 0)
        log_info("migrations applied", "%d", n);
    return 0;
}

int cli__select_modules(struct app *app, const struct config *cfg)
{
    const struct service_module **mods = xcalloc(app_all_modules_count, sizeof *mods);
    size_t n = 0;
    if (strcmp(cfg->services, "all") == 0 || *cfg->services == '\0') {
        for (size_t i = 0; i < app_all_modules_count; i++)
            mods[n++] = app_all_modules[i];
    } else {
        /* ops is always mounted: every instance must answer probes and scrapes. */
        mods[n++] = app_find_module("ops");
        char *copy = xstrdup(cfg->services), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ')
                tok++;
            const struct service_module *m = app_find_module(tok);
            if (m == NULL) {
                fprintf(stderr, "artistry: unknown service '%s'; known:", tok);
                for (size_t i = 0; i < app_all_modules_count; i++)
                    fprintf(stderr, " %s", app_all_modules[i]->name);
                fprintf(stderr, "\n");
                free(copy);
                free(mods);
                return 2;
            }
            bool dup = false;
            for (size_t i = 0; i < n; i++)
                dup |= mods[i] == m;
            if (!dup)
                mods[n++] = m;
        }
        free(copy);
    }
    app->modules = (const struct service_module *const *)mods;
    app->nmodules = n;
    return 0;
}

void cli__free_modules(struct app *app)
{
    free((void *)(uintptr_t)app->modules);
    app->modules = NULL;
    app->nmodules = 0;
}
