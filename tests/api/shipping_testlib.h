/*
 * shipping_testlib.h — fixtures shared by the shipping suites.
 */
#ifndef ARTISTRY_TESTS_SHIPPING_TESTLIB_H
#define ARTISTRY_TESTS_SHIPPING_TESTLIB_H

#include <jansson.h>
#include <stddef.h>

#include "api_client.h"

/** An active product of seller's shop; its id into out (64 bytes). weight 0: unknown. */
void ship_make_product(struct api_server *s, const struct api_account *seller, long price, long weight, char *out);
/** Set the seller's shop country (and USD). */
void ship_shop_country(struct api_server *s, const struct api_account *seller, const char *country);
/** POST a rate table; its id into out (64 bytes); asserts 201. */
void ship_make_table(struct api_server *s, const struct api_account *seller, const char *json, char *out);
/** POST /shipping/quote; the options of the first shop (borrowed from *keep, which the caller frees). */
json_t *ship_quote(struct api_server *s, const char *country, const char *items, struct api_response **keep);
/** Amount of option i. */
long ship_opt_amount(json_t *opts, size_t i);
/** String field key of option i. */
const char *ship_opt_str(json_t *opts, size_t i, const char *key);

#endif
