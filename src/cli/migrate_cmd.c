/*
 * migrate_cmd.c — `artistry migrate` (`artistry seed` is in seed_cmd.c).
 */
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "db/db.h"
#include "db/migrate.h"

int cli_migrate(int argc, char **argv)
{
    struct config cfg;
    int rc = cli__load_config(&cfg, argc, argv);
    if (rc != 0)
        goto out;
    rc = 1;
    if (cli__prepare_dirs(&cfg) != 0)
        goto out;
    struct db *db = cli__open_db(&cfg);
    if (db == NULL)
        goto out;
    if (cli__migrate(db) == 0) {
        struct migrate_status st;
        struct db_error err = {0};
        if (migrate_status(db, migrate_builtin, migrate_builtin_count, &st, &err) == 0)
            printf("schema version %d (binary %d), %d pending\n", st.db_version, st.binary_version, st.pending);
        rc = 0;
    }
    db_close(db);
out:
    config_free(&cfg);
    return rc;
}
