/*
 * seed_cmd.c — `artistry seed`: the demo catalogue and generated catalogues.
 *
 *   artistry seed --demo [options]
 *   artistry seed --catalog N [--seed S] [--append] [options]
 *   artistry seed --help
 *
 * The seed flags may appear anywhere among the configuration options
 * (--database, --data-dir, ...), which are passed on to the configuration
 * loader. --demo and --catalog may be combined (the demo is loaded first).
 * On success of --catalog one summary line goes to stdout:
 *   catalog: 100000 products (95982 active), 2000 sellers, ... in 21.3 s (seed 1, run 1)
 *
 * Caveats: a configuration option whose value looks like a seed flag (e.g.
 * "--log-level --demo") is taken as the seed flag.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/seed.h"
#include "db/db.h"

#define MAX_ARGS 256

static void seed_usage(FILE *f)
{
    fprintf(f,
            "usage: artistry seed --demo [options]\n"
            "       artistry seed --catalog N [--seed S] [--append] [options]\n\n"
            "  --demo         load the demo catalog (idempotent; demo users have no password)\n"
            "  --catalog N    generate N products (1..%d) over about N/50 shops, with buyers,\n"
            "                 delivered orders, reviews, variants and wishlists; then rebuild search\n"
            "  --seed S       random seed of the generated catalog (default 1): the same N and S\n"
            "                 give the same catalog\n"
            "  --append       add a catalog to a database that already has one (refused otherwise)\n\n"
            "Generated users sign in as seller<n>@catalog.example.com and buyer<n>@catalog.example.com\n"
            "(catalog<k>.example.com for the k-th appended catalog) with the password: %s\n"
            "Other options (--database, --data-dir, ...): artistry help\n",
            SEED_CATALOG_MAX_PRODUCTS, SEED_CATALOG_PASSWORD);
}

/* Parse a whole decimal string; false on anything else. */
static bool parse_i64(const char *s, int64_t *out)
{
    char *end;

    if (s == NULL || *s == '\0')
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;

    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

/*
 * The value of flag `name` at argv[*i]: "--name=value" or "--name value"
 * (advancing *i). Returns NULL if argv[*i] is not that flag; *missing is set
 * when it is but has no value.
 */
static const char *flag_value(char **argv, int argc, int *i, const char *name, bool *missing)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

int cli_seed(int argc, char **argv)
{
    struct seed_catalog_opts opts = {.products = 0, .seed = 1, .append = false};
    bool demo = false, catalog = false, seed_given = false, missing = false;
    char *rest[MAX_ARGS];
    int nrest = 0, rc = 2;
    struct config cfg;
    struct db *db = NULL;
    const char *v;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            seed_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--demo") == 0) {
            demo = true;
        } else if (strcmp(argv[i], "--append") == 0) {
            opts.append = true;
        } else if ((v = flag_value(argv, argc, &i, "--catalog", &missing)) != NULL || missing) {
            if (!parse_i64(v, &opts.products) || opts.products < 1 || opts.products > SEED_CATALOG_MAX_PRODUCTS) {
                fprintf(stderr, "artistry seed: --catalog wants a number of products from 1 to %d, got '%s'\n",
                        SEED_CATALOG_MAX_PRODUCTS, v != NULL ? v : "");
                return 2;
            }
            catalog = true;
        } else if ((v = flag_value(argv, argc, &i, "--seed", &missing)) != NULL || missing) {
            if (!parse_u64(v, &opts.seed)) {
                fprintf(stderr, "artistry seed: --seed wants a non-negative integer, got '%s'\n", v != NULL ? v : "");
                return 2;
            }
            seed_given = true;
        } else if (nrest < MAX_ARGS) {
            rest[nrest++] = argv[i];
        } else {
            fprintf(stderr, "artistry seed: too many arguments\n");
            return 2;
        }
    }
    if (!demo && !catalog) {
        fprintf(stderr, "artistry seed: say what to seed: --demo or --catalog N\n\n");
        seed_usage(stderr);
        return 2;
    }
    if ((opts.append || seed_given) && !catalog) {
        fprintf(stderr, "artistry seed: --seed and --append go with --catalog N\n");
        return 2;
    }

    rc = cli__load_config(&cfg, nrest, rest);
    if (rc != 0)
        goto out;
    rc = 1;
    if (cli__prepare_dirs(&cfg) != 0 || (db = cli__open_db(&cfg)) == NULL || cli__migrate(db) != 0)
        goto out;
    if (demo) {
        struct db_error err = {0};
        if (seed_demo(db, &err) != 0) {
            log_error("seeding failed", "%s: %s", db_errkind_name(err.kind), err.msg);
            goto out;
        }
        printf("demo catalog loaded\n");
    }
    if (catalog) {
        struct seed_catalog_stats st;
        struct db_error err = {0};
        if (seed_catalog(db, &opts, &st, &err) != 0) {
            if (st.refused)
                fprintf(stderr, "artistry seed: %s\n", err.msg);
            else
                log_error("seeding the catalog failed", "%s: %s", db_errkind_name(err.kind), err.msg);
            goto out;
        }
        printf("catalog: %" PRId64 " products (%" PRId64 " active), %" PRId64 " sellers, %" PRId64 " buyers, %" PRId64
               " variants, %" PRId64 " tags, %" PRId64 " orders, %" PRId64 " reviews, %" PRId64
               " wishlist rows, %" PRId64 " indexed for search in %.1f s (seed %" PRIu64 ", run %d, %s)\n",
               st.products, st.active, st.sellers, st.buyers, st.variants, st.tags, st.orders, st.reviews, st.wishlists,
               st.indexed, st.seconds, opts.seed, st.run, db_engine(db) == DB_ENGINE_PG ? "postgresql" : "sqlite");
    }
    rc = 0;
out:
    db_close(db);
    config_free(&cfg);
    return rc;
}
