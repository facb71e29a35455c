/*
 * migrate_cmd.c — `artistry migrate` and `artistry seed`.
 */
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/seed.h"
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

int cli_seed(int argc, char **argv)
{
    /* Seed-specific flags come first; the rest is configuration. */
    bool demo = false;
    int i = 0;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--demo") == 0)
            demo = true;
        else
            break;
    }
    if (!demo) {
        fprintf(stderr, "artistry seed: say what to seed: --demo\n");
        return 2;
    }
    struct config cfg;
    int rc = cli__load_config(&cfg, argc - i, argv + i);
    if (rc != 0)
        goto out;
    rc = 1;
    if (cli__prepare_dirs(&cfg) != 0)
        goto out;
    struct db *db = cli__open_db(&cfg);
    if (db == NULL)
        goto out;
    struct db_error err = {0};
    if (cli__migrate(db) == 0) {
        if (seed_demo(db, &err) == 0) {
            printf("demo catalog loaded\n");
            rc = 0;
        } else {
            log_error("seeding failed", "%s: %s", db_errkind_name(err.kind), err.msg);
        }
    }
    db_close(db);
out:
    config_free(&cfg);
    return rc;
}
