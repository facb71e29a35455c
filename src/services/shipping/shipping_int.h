/*
 * shipping_int.h — shared inside src/services/shipping only.
 *
 * Areas: shipping_tables.c (seller rate tables: CRUD, validation, pinning
 * products), shipping_quote.c (shipping_quote() and POST /shipping/quote),
 * shipping_shippo.c (the Shippo HTTP adapter), shipping_shipments.c
 * (shipments, labels, tracking webhook), shipping_sql.c (every statement).
 */
#ifndef ARTISTRY_SERVICES_SHIPPING_INT_H
#define ARTISTRY_SERVICES_SHIPPING_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

struct app;
struct arena;
struct config;
struct db;
struct db_error;

enum shipping_query {
    /* rate tables */
    SHIP_Q_SHOP_OF_SELLER,
    SHIP_Q_TABLE_INSERT,
    SHIP_Q_TABLE_UPDATE,
    SHIP_Q_TABLE_CLEAR_DEFAULT,
    SHIP_Q_TABLE_HAS_DEFAULT,
    SHIP_Q_TABLE_GET,
    SHIP_Q_TABLE_PAGE,
    SHIP_Q_TABLE_DELETE,
    SHIP_Q_RATES_DELETE,
    SHIP_Q_RATE_INSERT,
    SHIP_Q_RATES_OF_TABLE,
    SHIP_Q_PIN_CLEAR,
    SHIP_Q_PIN_SET,
    SHIP_Q_PINNED_OF_TABLE,
    /* quote */
    SHIP_Q_QUOTE_SHOP,
    SHIP_Q_QUOTE_TABLES,
    SHIP_Q_QUOTE_RATES,
    SHIP_Q_QUOTE_PRODUCT,
    SHIP_Q_PRODUCT_PUBLIC,
    /* shipments */
    SHIP_Q_ORDER_VISIBLE,
    SHIP_Q_ORDER_OF_SELLER,
    SHIP_Q_SHIPMENT_BY_TRACKING_OF_ORDER,
    SHIP_Q_SHIPMENT_INSERT,
    SHIP_Q_SHIPMENT_MARK_SHIPPED,
    SHIP_Q_SHIPMENT_GET,
    SHIP_Q_SHIPMENTS_OF_ORDER,
    SHIP_Q_EVENTS_OF_SHIPMENT,
    SHIP_Q_SHIPMENT_BY_TRACKING,
    SHIP_Q_EVENT_INSERT,
    SHIP_Q_SHIPMENT_SET_STATUS,
    SHIP_Q__COUNT,
};

/** SQL text of a shipping statement (static storage: usable as a cache key). */
const char *shipping__sql(enum shipping_query q);

/*-----------------------------------------------------------------------------
 * Zones (shipping_quote.c)
 */

/** True when zone is a valid zone code: domestic, everywhere, a region (EU, EEA, ...) or an ISO alpha-2 code. */
bool shipping__zone_valid(const char *zone);

/** True when the region code contains the ISO alpha-2 country. */
bool shipping__region_has(const char *region, const char *country);

/** True when s is two uppercase ASCII letters. */
bool shipping__country_valid(const char *s);

/*-----------------------------------------------------------------------------
 * Shippo adapter (shipping_shippo.c). Blocking network calls: never inside
 * a transaction, never on a request thread (quote callers offload).
 */

/** An address as Shippo wants it; NULL fields are left out. */
struct shippo_address {
    const char *name, *street1, *street2, *city, *state, *zip, *country, *phone, *email;
};

/** A parcel; dimensions in inches (strings as Shippo takes them), weight in grams. */
struct shippo_parcel {
    const char *length, *width, *height;
    int64_t weight_grams;
};

/** One rate Shippo offered. */
struct shippo_rate {
    char object_id[64];
    char provider[32];
    char service[64];
    char service_token[64];
    int64_t amount; /* minor units */
    char currency[4];
    int days; /* -1 unknown */
};

/** A label Shippo sold. */
struct shippo_label {
    char object_id[64];
    char status[16];
    char tracking_number[64];
    char tracking_url[512];
    char label_url[512];
    char message[256]; /* first of messages[] on ERROR */
};

/** True when a Shippo token is configured. */
bool shipping__shippo_enabled(const struct config *cfg);

/**
 * POST /shipments/ (async false): the rates for parcel from -> to. Writes at
 * most max rates, *n how many. 0, or -1 with *msg (arena) on a transport,
 * HTTP or format error.
 */
int shipping__shippo_rates(const struct config *cfg, struct arena *a, const struct shippo_address *from,
                           const struct shippo_address *to, const struct shippo_parcel *parcel, struct shippo_rate *out,
                           int max, int *n, const char **msg);

/**
 * POST /transactions/ for a rate (async false). 0 with *label filled (its
 * status may be ERROR: the caller checks), or -1 with *msg on a transport,
 * HTTP or format error.
 */
int shipping__shippo_buy(const struct config *cfg, struct arena *a, const char *rate_id, struct shippo_label *label,
                         const char **msg);

/** Minor units from a decimal string "12.5" / "7" (two decimals); -1 if malformed. */
int64_t shipping__parse_decimal(const char *s);

/*-----------------------------------------------------------------------------
 * Shared helpers
 */

/** Why a transaction callback gave up (not a database error). */
struct shipping_fail {
    const char *code;
    const char *msg;
    const char *field;
    const char *field_code;
};

/** After a failed db_tx: the callback's reason when set, else the database error. Returns -1. */
int shipping__tx_error(struct request *req, const struct shipping_fail *fail, const struct db_error *dberr,
                       struct app_error *err);

/** True when the caller is signed in as an admin. */
bool shipping__is_admin(const struct request *req);

/*-----------------------------------------------------------------------------
 * Handlers (shipping_routes.c holds the table)
 */
int shipping_handle_list_tables(struct request *req, struct app_error *err);
int shipping_handle_create_table(struct request *req, struct app_error *err);
int shipping_handle_get_table(struct request *req, struct app_error *err);
int shipping_handle_patch_table(struct request *req, struct app_error *err);
int shipping_handle_delete_table(struct request *req, struct app_error *err);
int shipping_handle_pin_products(struct request *req, struct app_error *err);
int shipping_handle_quote(struct request *req, struct app_error *err);
int shipping_handle_list_shipments(struct request *req, struct app_error *err);
int shipping_handle_buy_label(struct request *req, struct app_error *err);
int shipping_handle_shippo_webhook(struct request *req, struct app_error *err);

#endif
