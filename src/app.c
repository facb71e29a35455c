/*
 * app.c — the application context helpers.
 */
#include "app.h"

#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "db/db.h"
#include "db/migrate.h"
#include "http/http.h"

const struct service_module *app_find_module(const char *name)
{
    for (size_t i = 0; i < app_all_modules_count; i++)
        if (strcmp(app_all_modules[i]->name, name) == 0)
            return app_all_modules[i];
    return NULL;
}

int app_check_sql(const struct app *app, const char *module, const char *const *sql, size_t n)
{
    struct db *db = app_db_open(app);
    if (db == NULL)
        return -1;
    int rc = 0;
    struct db_error err = {0};
    struct migrate_status st;
    if (migrate_status(db, migrate_builtin, migrate_builtin_count, &st, &err) != 0 || st.pending || st.unknown) {
        log_warn("schema not current: SQL not checked", "module %s", module);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (sql[i] == NULL)
            continue;
        if (db_prepare(db, sql[i], &err) == NULL) {
            log_error("SQL does not compile", "module %s, statement %zu: %s", module, i, err.msg);
            rc = -1;
            break;
        }
    }
out:
    db_close(db);
    return rc;
}

struct db *app_db_open(const struct app *app)
{
    struct db_error err = {0};
    struct db *db = db_open(app->cfg->database, &err);
    if (db == NULL)
        log_error("cannot open database", "%s: %s", db_errkind_name(err.kind), err.msg);
    return db;
}
