/*
 * seed.h — data for `artistry seed`: the demo catalogue (--demo) and a
 * generated catalogue of any size (--catalog N) for tests and benchmarks.
 *
 * The demo catalogue is a fixed set of rows with fixed ids
 * ("usr_01J0000000DEM0000000000001", ...), so loading it is idempotent.
 * The generated catalogue is made from vocabularies and a seeded random
 * generator: the same N and seed give the same shops, titles, prices and
 * reviews (ids and dates follow the clock).
 */
#ifndef ARTISTRY_CLI_SEED_H
#define ARTISTRY_CLI_SEED_H

#include <stdbool.h>
#include <stdint.h>

struct db;
struct db_error;

/** Password of every generated user (seller<n>@catalog.example.com, buyer<n>@...). */
#define SEED_CATALOG_PASSWORD "kiln-loom-anvil-2024"

/** Bounds of --catalog N. */
#define SEED_CATALOG_MAX_PRODUCTS 10000000

/**
 * Load the demo catalogue: an admin, four buyers, six approved sellers with
 * shops and shipping rates, a three-level category tree, forty active
 * products (tags, materials, variants, personalisation questions) and
 * reviews backed by completed orders, then rebuild the search index. Demo
 * users have no password (password_hash NULL).
 *
 * Runs in one transaction (db_tx), so it must not be called inside one.
 * Idempotent: when the demo admin already exists nothing is written, and
 * every insert is ON CONFLICT DO NOTHING. Blocks on the database.
 * Returns 0, or -1 with err filled.
 */
int seed_demo(struct db *db, struct db_error *err);

/** What to generate. */
struct seed_catalog_opts {
    int64_t products; /* N, 1..SEED_CATALOG_MAX_PRODUCTS */
    uint64_t seed;    /* random seed: the same N and seed give the same catalogue */
    bool append;      /* add to a database that already holds a generated catalogue */
};

/** What was generated. */
struct seed_catalog_stats {
    bool refused; /* a generated catalogue was there and append was not set: nothing written */
    int run;      /* 1 for the first generated catalogue of the database, 2 for the next... */
    int64_t products, active, sellers, buyers, variants, orders, reviews, wishlists, tags, indexed;
    double seconds; /* wall time of the whole load, search index included */
};

/**
 * Generate a catalogue of o->products products over about N/50 sellers
 * (each with a shop), N/4 buyers, delivered orders, reviews, wishlists and
 * variants, with every counter (ratings, sales, wishlists, popularity,
 * rating_avg, in_stock) consistent with those rows; then rebuild the search
 * index. The demo category tree is used (created if missing). Every
 * generated user signs in with SEED_CATALOG_PASSWORD.
 *
 * One transaction (must not be called inside one); slow by nature (about a
 * minute per 100k products at most). If the database already holds a
 * generated catalogue and o->append is false, nothing is written,
 * st->refused is set and -1 returned with err explaining. Returns 0, or -1
 * with err filled.
 */
int seed_catalog(struct db *db, const struct seed_catalog_opts *o, struct seed_catalog_stats *st, struct db_error *err);

#endif
