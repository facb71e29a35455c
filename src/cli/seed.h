/*
 * seed.h — demo data for `artistry seed --demo`.
 *
 * The demo catalogue is a fixed set of rows with fixed ids
 * ("usr_01J0000000DEM0000000000001", ...), so loading it is idempotent.
 */
#ifndef ARTISTRY_CLI_SEED_H
#define ARTISTRY_CLI_SEED_H

struct db;
struct db_error;

/**
 * Load the demo catalogue: an admin, four buyers, six approved sellers with
 * shops and shipping rates, a three-level category tree, forty active
 * products (tags, materials, variants, personalisation questions) and
 * reviews backed by completed orders. Demo users have no password
 * (password_hash NULL).
 *
 * Runs in one transaction (db_tx), so it must not be called inside one.
 * Idempotent: when the demo admin already exists nothing is written, and
 * every insert is ON CONFLICT DO NOTHING. Blocks on the database.
 * Returns 0, or -1 with err filled.
 */
int seed_demo(struct db *db, struct db_error *err);

#endif
