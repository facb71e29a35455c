/*
 * shipping.h — shipping rates, labels and tracking (see README.md here).
 *
 * Endpoints (under /api/v1):
 *   GET/POST          /shipping/rate-tables          (seller) my rate tables
 *   GET/PATCH/DELETE  /shipping/rate-tables/:id      (seller) one table with its rates
 *   PUT               /shipping/rate-tables/:id/products (seller) pin products to the table
 *   POST              /shipping/quote                (anyone) options for items to a destination
 *   GET               /orders/:id/shipments          (buyer, seller, admin) shipments with events
 *   POST              /orders/:id/shipments/label    (seller) buy a label (Shippo)
 *   POST              /shipping/webhooks/shippo      Shippo tracking updates
 *
 * Embedded default: seller rate tables. With shippo_token set, Shippo's
 * rates are offered too and labels can be bought.
 */
#ifndef ARTISTRY_SERVICES_SHIPPING_H
#define ARTISTRY_SERVICES_SHIPPING_H

#include <stdint.h>

#include "base/ids.h"
#include "http/http.h"

extern const struct service_module shipping_module;

struct app;
struct db;
struct db_error;

/** One line of a seller's part of a cart. */
struct shipping_item {
    const char *product_id;
    int quantity;
    int64_t weight_grams;  /* per unit, 0 when unknown */
    int64_t line_amount;   /* unit price x quantity, minor units */
};

/** A way to ship a seller's items, priced. */
struct shipping_option {
    char id[64];        /* stable for the same inputs: the rate table id, or a Shippo rate id */
    char name[96];      /* "Standard", "Express", "USPS Priority Mail" */
    char provider[16];  /* "rate_table" or "shippo" */
    int64_t amount;     /* minor units; 0 when free */
    char currency[4];
    int min_days, max_days; /* -1 when unknown */
    int free;           /* 1 when a free-shipping threshold applied */
};

/**
 * The options to ship items of shop_id to country (ISO alpha-2), cheapest
 * first. Never inside a transaction (Shippo is a network call). Writes at
 * most max options, *nout how many. Returns 0; 1 when the shop does not
 * ship there (no option); -1 on an error (err filled for database errors).
 */
int shipping_quote(struct app *app, struct db *db, const char *shop_id, const char *country,
                   const struct shipping_item *items, int n, struct shipping_option *opts, int max, int *nout,
                   struct db_error *err);

/**
 * Record a shipment for an order the seller marked shipped (carrier and
 * tracking number as typed), inside the caller's transaction. 0 or -1.
 */
int shipping_shipment_create(struct db *tx, const char *order_id, const char *carrier, const char *tracking_number,
                             char id_out[ID_MAX_LEN], struct db_error *err);

#endif
