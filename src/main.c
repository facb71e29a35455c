/*
 * main.c — artistry: the Artistry Cart marketplace server.
 *
 *   artistry serve   [options]   serve the API (and run background jobs)
 *   artistry worker  [options]   run background jobs only
 *   artistry migrate [options]   apply database migrations
 *   artistry seed --demo|--catalog N  load the demo catalog or generate N products
 *   artistry version
 *
 * Exit status: 0 ok, 1 failure, 2 bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "cli/cli.h"
#include "app.h"
#include "db/migrate.h"
#include "http/openapi.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: artistry <command> [options]\n\n"
               "commands:\n"
               "  serve             serve the marketplace API\n"
               "  worker            run background jobs only\n"
               "  migrate           apply pending database migrations\n"
               "  seed --demo       load the demo catalog (idempotent)\n"
               "  seed --catalog N  generate a catalog of N products (artistry seed --help)\n"
               "  eval-recs         offline hit-rate@10 of the recommender vs popularity\n"
               "  openapi           print the OpenAPI document of every module\n"
               "  version           print the version\n"
               "  help              this text and the options\n\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cli_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "worker") == 0)
        return cli_worker(argc - 2, argv + 2);
    if (strcmp(cmd, "migrate") == 0)
        return cli_migrate(argc - 2, argv + 2);
    if (strcmp(cmd, "seed") == 0)
        return cli_seed(argc - 2, argv + 2);
    if (strcmp(cmd, "eval-recs") == 0)
        return cli_eval_recs(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("artistry %s (schema %d)\n", ARTISTRY_VERSION,
               migrate_builtin_count ? migrate_builtin[migrate_builtin_count - 1].version : 0);
        return 0;
    }
    if (strcmp(cmd, "openapi") == 0) {
        /* The committed docs/openapi.json is this output; tests check it is current. */
        json_t *doc = openapi_build(app_all_modules, app_all_modules_count, ARTISTRY_VERSION);
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        fputc('\n', stdout);
        json_decref(doc);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        config_print_help();
        return 0;
    }
    fprintf(stderr, "artistry: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
