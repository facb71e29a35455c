/*
 * common.h — set-up shared by the subcommands: configuration, logging,
 * database directory, migrations, module selection.
 */
#ifndef ARTISTRY_CLI_COMMON_H
#define ARTISTRY_CLI_COMMON_H

#include <stdbool.h>

struct app;
struct config;
struct db;

/** Load configuration from argv (after the subcommand); prints the error and returns 2 on bad usage, else 0. */
int cli__load_config(struct config *cfg, int argc, char **argv);

/** Create the data directory and the SQLite file's directory. 0 or -1 (logged). */
int cli__prepare_dirs(const struct config *cfg);

/** Open the configured database (logged on failure). */
struct db *cli__open_db(const struct config *cfg);

/** Apply pending migrations. 0, or -1 (logged) on failure or when the database is newer. */
int cli__migrate(struct db *db);

/** Fill app->modules from cfg->services. Returns 2 (after printing) on an unknown name, else 0. */
int cli__select_modules(struct app *app, const struct config *cfg);

/** Release app->modules. */
void cli__free_modules(struct app *app);

#endif
