/*
 * orders_int.h — shared inside src/services/orders only.
 *
 * Areas: orders_cart.c (the cart endpoints and the cart reader shared with
 * checkout), orders_checkout.c (POST /orders), orders_money.c (the payment
 * and escrow hooks, expiry of unpaid checkouts, auto-completion: the
 * ticker), orders_read.c (GET /orders, GET /orders/:id), orders_status.c
 * (the state machine), orders_common.c (small shared helpers),
 * orders_sql.c (every statement), orders_routes.c (table and module).
 */
#ifndef ARTISTRY_SERVICES_ORDERS_INT_H
#define ARTISTRY_SERVICES_ORDERS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/ids.h"
#include "http/http.h"

struct db;
struct db_error;

enum orders_query {
    /* cart */
    ORDERS_Q_CART_ID,
    ORDERS_Q_CART_INSERT,
    ORDERS_Q_PRODUCT_FOR_CART,
    ORDERS_Q_VARIANT_FOR_CART,
    ORDERS_Q_CART_LINE_QTY,
    ORDERS_Q_CART_ITEM_INSERT,
    ORDERS_Q_CART_ITEM_ADD_QTY,
    ORDERS_Q_CART_LINES,
    ORDERS_Q_CART_ITEM_SET_QTY,
    ORDERS_Q_CART_ITEM_DELETE,
    ORDERS_Q_CART_ITEM_SET_PRICE,
    ORDERS_Q_DEFAULT_ADDRESS,
    ORDERS_Q_ADDRESS_BY_ID,
    /* checkout */
    ORDERS_Q_PRODUCT_TAKE,
    ORDERS_Q_VARIANT_TAKE,
    ORDERS_Q_CHECKOUT_INSERT,
    ORDERS_Q_CHECKOUT_SET_INTENT,
    ORDERS_Q_ORDER_INSERT,
    ORDERS_Q_ITEM_INSERT,
    ORDERS_Q_RESERVATION_INSERT,
    ORDERS_Q_HISTORY_INSERT,
    /* money: hooks, expiry, completion */
    ORDERS_Q_CHECKOUT_MARK,
    ORDERS_Q_CHECKOUT_ORDERS,
    ORDERS_Q_ORDER_MOVE,
    ORDERS_Q_ORDER_RESERVATIONS_COMMIT,
    ORDERS_Q_ORDER_ITEMS_QTY,
    ORDERS_Q_PRODUCT_SALES_ADD,
    ORDERS_Q_PRODUCT_POPULARITY,
    ORDERS_Q_SHOP_SALES_ADD,
    ORDERS_Q_OPEN_RESERVATIONS,
    ORDERS_Q_RESERVATION_RELEASE,
    ORDERS_Q_PRODUCT_PUT_BACK,
    ORDERS_Q_VARIANT_PUT_BACK,
    ORDERS_Q_CHECKOUTS_EXPIRED,
    ORDERS_Q_CHECKOUT_INTENT,
    ORDERS_Q_ORDERS_TO_COMPLETE,
    ORDERS_Q_ORDER_SET_REFUNDED,
    /* read */
    ORDERS_Q_ORDER_FOR,
    ORDERS_Q_ORDER_ITEMS,
    ORDERS_Q_ORDER_HISTORY,
    ORDERS_Q_ORDER_SHIPMENTS,
    ORDERS_Q_LIST_BUYER,
    ORDERS_Q_LIST_SELLER,
    ORDERS_Q__COUNT,
};

/** SQL text of an orders statement (static storage: usable as a cache key). */
const char *orders__sql(enum orders_query q);

/*-----------------------------------------------------------------------------
 * orders_common.c
 */

/** Why a transaction callback gave up (not a database error). */
struct orders_fail {
    const char *code;
    const char *msg;
    const char *detail;
    struct field_error fields[32];
    size_t nfields;
};

/** Add one named problem (e.g. an out-of-stock line) to fail; strings must outlive the request. */
void orders__fail_field(struct orders_fail *f, const char *field, const char *code, const char *message);

/** After a failed db_tx: fail's reason when set, else the database error. Returns -1. */
int orders__tx_error(struct request *req, const struct orders_fail *fail, const struct db_error *dberr,
                     struct app_error *err);

/** Append a status history row. from may be NULL, actor NULL (system). 0 or -1. */
int orders__history(struct db *db, const char *order_id, const char *from, const char *to, const char *actor,
                    const char *note, int64_t now, struct db_error *err);

/** Emit event type for an order with its buyer and seller ids. 0 or -1. */
int orders__event(struct db *db, const char *type, const char *order_id, const char *buyer_id,
                  const char *seller_id, struct db_error *err);

bool orders__is_admin(const struct request *req);

/*-----------------------------------------------------------------------------
 * orders_cart.c: the cart as checkout and GET /cart read it
 */

/** One cart line with the product's current state. Strings live in the arena. */
struct orders_line {
    const char *item_id, *product_id, *variant_id, *personalization;
    int quantity;
    int64_t added_price; /* -1: unknown */
    const char *title, *product_status, *currency, *seller_id, *shop_id, *shop_name, *shop_status;
    int64_t unit_price;  /* current: product price + variant modifier */
    int64_t stock;       /* the variant's when a variant, else the product's */
    bool made_to_order, vacation, variant_active;
    int64_t weight_grams;
    const char *variant_name, *sku;
    int commission_bps;  /* -1: the shop has none */
    const char *flag;    /* NULL, "unavailable", "out_of_stock", "insufficient_stock" */
    bool price_changed;
};

/** Read user_id's cart lines (ordered by shop, product, variant), flagged. 0 or -1. */
int orders__cart_lines(struct db *db, struct arena *a, const char *user_id, struct orders_line **out, int *n,
                       struct db_error *err);

/*-----------------------------------------------------------------------------
 * orders_money.c
 */

/** Register the hooks and start the ticker (expiry, auto-completion). */
int orders__money_start(struct app *app);
void orders__money_stop(struct app *app);

/** Put back the stock of every open reservation of order_id (checkout expiry or cancel). 0 or -1. */
int orders__release_stock(struct db *db, const char *order_id, bool committed_too, int64_t now,
                          struct db_error *err);

/*-----------------------------------------------------------------------------
 * Handlers (orders_routes.c holds the table)
 */
int orders_handle_get_cart(struct request *req, struct app_error *err);
int orders_handle_add_item(struct request *req, struct app_error *err);
int orders_handle_patch_item(struct request *req, struct app_error *err);
int orders_handle_delete_item(struct request *req, struct app_error *err);
int orders_handle_checkout(struct request *req, struct app_error *err);
int orders_handle_list(struct request *req, struct app_error *err);
int orders_handle_get(struct request *req, struct app_error *err);
int orders_handle_set_status(struct request *req, struct app_error *err);

#endif
