/*
 * app.c — the application context helpers.
 */
#include "app.h"

#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "db/db.h"
#include "http/http.h"

const struct service_module *app_find_module(const char *name)
{
    for (size_t i = 0; i < app_all_modules_count; i++)
        if (strcmp(app_all_modules[i]->name, name) == 0)
            return app_all_modules[i];
    return NULL;
}

struct db *app_db_open(const struct app *app)
{
    struct db_error err = {0};
    struct db *db = db_open(app->cfg->database, &err);
    if (db == NULL)
        log_error("cannot open database", "%s: %s", db_errkind_name(err.kind), err.msg);
    return db;
}
