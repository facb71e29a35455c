/*
 * orders_cart.c — the buyer's cart: GET /cart, POST /cart/items,
 * PATCH /cart/items/:id, DELETE /cart/items/:id.
 *
 * The cart stores what the buyer chose (product, variant, quantity,
 * personalization) and the unit price seen when the line was added. Every
 * read joins the live product, so GET /cart shows current prices and stock
 * and flags each line: unavailable (product not active, shop suspended,
 * closed or on vacation, variant withdrawn), out_of_stock,
 * insufficient_stock (fewer left than the quantity), price_changed (with
 * the price the line was added at). Lines are grouped by shop, each group
 * with its shipping options (shipping_quote) to ?country= or the buyer's
 * default address country.
 *
 * Adding the same product and variant again adds to the line's quantity
 * (one line per product and variant: the cart_items_line index). Adding
 * more than is in stock is refused (409 out_of_stock); made-to-order
 * products have no stock limit.
 *
 * Caveats: with Shippo configured, quoting is a network call, so GET /cart
 * then runs on the slow-work pool (req_offload). Checkout re-checks all of
 * this: the cart is advice, POST /orders is the contract.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/orders/orders_int.h"
#include "services/shipping/shipping.h"

#define CART_MAX_LINES 100
#define QUOTE_MAX 8

/*-----------------------------------------------------------------------------
 * Reading lines
 */
static const char *dup_col(struct arena *a, struct db_stmt *st, int col)
{
    const char *t = db_column_text(st, col);
    return t ? arena_strdup(a, t) : NULL;
}

static void read_line(struct arena *a, struct db_stmt *st, struct orders_line *l)
{
    l->item_id = dup_col(a, st, 0);
    l->product_id = dup_col(a, st, 1);
    l->variant_id = dup_col(a, st, 2);
    l->quantity = (int)db_column_i64(st, 3);
    l->personalization = dup_col(a, st, 4);
    l->added_price = db_column_is_null(st, 5) ? -1 : db_column_i64(st, 5);
    l->title = dup_col(a, st, 6);
    l->product_status = dup_col(a, st, 7);
    l->unit_price = db_column_i64(st, 8);
    l->currency = dup_col(a, st, 9);
    l->stock = db_column_i64(st, 10);
    l->made_to_order = db_column_i64(st, 11) != 0;
    l->seller_id = dup_col(a, st, 12);
    l->shop_id = dup_col(a, st, 13);
    l->shop_name = dup_col(a, st, 14);
    l->shop_status = dup_col(a, st, 15);
    l->vacation = db_column_i64(st, 16) != 0;
    l->variant_active = db_column_i64(st, 17) != 0;
    l->weight_grams = db_column_i64(st, 18);
    l->variant_name = dup_col(a, st, 19);
    l->sku = dup_col(a, st, 20);
    l->commission_bps = (int)db_column_i64(st, 21);
    if (strcmp(l->product_status, "active") != 0 || strcmp(l->shop_status, "active") != 0 || l->vacation ||
        !l->variant_active)
        l->flag = "unavailable";
    else if (!l->made_to_order && l->stock <= 0)
        l->flag = "out_of_stock";
    else if (!l->made_to_order && l->stock < l->quantity)
        l->flag = "insufficient_stock";
    l->price_changed = l->added_price >= 0 && l->added_price != l->unit_price;
}

int orders__cart_lines(struct db *db, struct arena *a, const char *user_id, struct orders_line **out, int *n,
                       struct db_error *err)
{
    struct orders_line *lines = arena_array(a, struct orders_line, CART_MAX_LINES);
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_CART_LINES), err);
    int rc, k = 0;
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(user_id));
    while ((rc = db_step(st, err)) == 1 && k < CART_MAX_LINES)
        read_line(a, st, &lines[k++]);
    db_reset(st);
    *out = lines;
    *n = k;
    return rc < 0 ? -1 : 0;
}

/*-----------------------------------------------------------------------------
 * GET /cart
 */
static void write_line(struct jsonw *w, const struct orders_line *l)
{
    jw_obj(w);
    jw_kstr(w, "id", l->item_id);
    jw_kstr(w, "product_id", l->product_id);
    jw_kstr(w, "variant_id", l->variant_id);
    jw_kstr(w, "title", l->title);
    jw_kstr(w, "variant_name", l->variant_name);
    jw_kint(w, "quantity", l->quantity);
    jw_kmoney(w, "unit_price", l->unit_price, l->currency);
    jw_kmoney(w, "line_total", l->unit_price * l->quantity, l->currency);
    if (l->added_price >= 0) {
        jw_kmoney(w, "added_price", l->added_price, l->currency);
    } else {
        jw_key(w, "added_price");
        jw_null(w);
    }
    jw_key(w, "stock");
    if (l->made_to_order)
        jw_null(w);
    else
        jw_int(w, l->stock);
    jw_key(w, "personalization");
    jw_raw(w, l->personalization ? l->personalization : "{}");
    jw_key(w, "flags");
    jw_obj(w);
    jw_kbool(w, "price_changed", l->price_changed);
    jw_kbool(w, "unavailable", l->flag && strcmp(l->flag, "unavailable") == 0);
    jw_kbool(w, "out_of_stock", l->flag && strcmp(l->flag, "out_of_stock") == 0);
    jw_kbool(w, "insufficient_stock", l->flag && strcmp(l->flag, "insufficient_stock") == 0);
    jw_end(w);
    jw_end(w);
}

/* The shipping options of one shop's lines [from, to), cheapest first; returns the cheapest amount or -1. */
static int64_t write_options(struct request *req, struct jsonw *w, const struct orders_line *l, int from, int to,
                             const char *country)
{
    struct shipping_item *items = arena_array(req->arena, struct shipping_item, (size_t)(to - from));
    struct shipping_option opts[QUOTE_MAX];
    struct db_error dberr = {0};
    int nopts = 0, rc = 1;
    for (int i = from; i < to; i++)
        items[i - from] = (struct shipping_item){l[i].product_id, l[i].quantity, l[i].weight_grams,
                                                 l[i].unit_price * l[i].quantity};
    if (country != NULL)
        rc = shipping_quote(req->app, req->db, l[from].shop_id, country, items, to - from, opts, QUOTE_MAX, &nopts,
                            &dberr);
    jw_key(w, "shipping_options");
    jw_arr(w);
    for (int i = 0; rc == 0 && i < nopts; i++) {
        jw_obj(w);
        jw_kstr(w, "id", opts[i].id);
        jw_kstr(w, "name", opts[i].name);
        jw_kstr(w, "provider", opts[i].provider);
        jw_kmoney(w, "price", opts[i].amount, opts[i].currency);
        jw_kint(w, "min_days", opts[i].min_days);
        jw_kint(w, "max_days", opts[i].max_days);
        jw_kbool(w, "free", opts[i].free != 0);
        jw_end(w);
    }
    jw_end(w);
    jw_kbool(w, "ships_to_country", rc == 0 && nopts > 0);
    return rc == 0 && nopts > 0 ? opts[0].amount : -1;
}

/* The destination country: ?country=, else the default address's, else NULL. */
static const char *cart_country(struct request *req)
{
    const char *c = req_param(req, "country");
    if (c != NULL)
        return c;
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, orders__sql(ORDERS_Q_DEFAULT_ADDRESS), &dberr);
    if (st == NULL)
        return NULL;
    db_bind(st, 1, DB_TEXT(req->user_id));
    if (db_step(st, &dberr) == 1)
        c = arena_strdup(req->arena, db_column_text(st, 6));
    db_reset(st);
    return c;
}

static int get_cart(struct request *req, struct app_error *err)
{
    struct orders_line *l;
    int n;
    struct db_error dberr = {0};
    if (orders__cart_lines(req->db, req->arena, req->user_id, &l, &n, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    const char *country = cart_country(req);
    int64_t subtotal = 0, shipping = 0, count = 0;
    bool priced = true;
    struct jsonw w;
    jw_init(&w, req->arena, 2048);
    jw_obj(&w);
    jw_kstr(&w, "country", country);
    jw_key(&w, "groups");
    jw_arr(&w);
    for (int i = 0; i < n;) {
        int j = i;
        int64_t group = 0;
        while (j < n && strcmp(l[j].shop_id, l[i].shop_id) == 0)
            j++;
        jw_obj(&w);
        jw_key(&w, "shop");
        jw_obj(&w);
        jw_kstr(&w, "id", l[i].shop_id);
        jw_kstr(&w, "name", l[i].shop_name);
        jw_end(&w);
        jw_kstr(&w, "seller_id", l[i].seller_id);
        jw_key(&w, "items");
        jw_arr(&w);
        for (int k = i; k < j; k++) {
            write_line(&w, &l[k]);
            group += l[k].unit_price * l[k].quantity;
            count += l[k].quantity;
        }
        jw_end(&w);
        jw_kmoney(&w, "subtotal", group, l[i].currency);
        int64_t cheapest = write_options(req, &w, l, i, j, country);
        jw_end(&w);
        subtotal += group;
        if (cheapest < 0)
            priced = false;
        else
            shipping += cheapest;
        i = j;
    }
    jw_end(&w);
    const char *cur = n > 0 ? l[0].currency : "USD";
    jw_key(&w, "totals");
    jw_obj(&w);
    jw_kint(&w, "items", count);
    jw_kmoney(&w, "subtotal", subtotal, cur);
    jw_kmoney(&w, "shipping", priced ? shipping : 0, cur);
    jw_kbool(&w, "shipping_known", priced);
    jw_kmoney(&w, "total", subtotal + (priced ? shipping : 0), cur);
    jw_end(&w);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}

int orders_handle_get_cart(struct request *req, struct app_error *err)
{
    const char *token = req->app->cfg->shippo_token;
    if (token != NULL && *token != '\0')
        return req_offload(req, get_cart, err);
    return get_cart(req, err);
}

/*-----------------------------------------------------------------------------
 * POST /cart/items
 */
struct add_tx {
    struct request *req;
    const char *product_id, *variant_id, *personalization;
    int quantity;
    char item_id[ID_MAX_LEN];
    int total; /* the line's quantity after */
    bool created;
    struct orders_fail fail;
};

/* The unit price now, or -1 with t->fail set (404 / 409 / 422). */
static int64_t add_check_product(struct db *db, struct add_tx *t, int *stock, bool *mto, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_PRODUCT_FOR_CART), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->product_id));
    int rc = db_step(st, dberr);
    int64_t price = -1;
    bool has_variants = false;
    if (rc == 1 && strcmp(db_column_text(st, 0), "active") == 0) {
        bool shop_ok = strcmp(db_column_text(st, 4), "active") == 0 && db_column_i64(st, 5) == 0;
        price = shop_ok ? db_column_i64(st, 1) : -2;
        *stock = (int)db_column_i64(st, 2);
        *mto = db_column_i64(st, 3) != 0;
        has_variants = db_column_i64(st, 6) != 0;
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (price == -1)
        t->fail = (struct orders_fail){.code = "not_found", .msg = "no such product"};
    else if (price == -2)
        t->fail = (struct orders_fail){.code = "product_unavailable", .msg = "the shop is not selling right now"};
    else if (has_variants && t->variant_id == NULL) {
        t->fail = (struct orders_fail){.code = "validation_failed", .msg = "choose a variant of this product"};
        orders__fail_field(&t->fail, "variant_id", "required", "this product is sold in variants");
        price = -1;
    } else if (!has_variants && t->variant_id != NULL) {
        t->fail = (struct orders_fail){.code = "validation_failed", .msg = "this product has no such variant"};
        orders__fail_field(&t->fail, "variant_id", "not_found", "no such variant");
        price = -1;
    }
    if (price < 0 || t->variant_id == NULL)
        return price < 0 ? -1 : price;
    st = db_prepare(db, orders__sql(ORDERS_Q_VARIANT_FOR_CART), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->variant_id));
    db_bind(st, 2, DB_TEXT(t->product_id));
    rc = db_step(st, dberr);
    if (rc == 1 && db_column_i64(st, 2) == 1) {
        price += db_column_i64(st, 0);
        *stock = (int)db_column_i64(st, 1);
    } else if (rc == 1 || rc == 0) {
        t->fail = (struct orders_fail){.code = "validation_failed", .msg = "this product has no such variant"};
        orders__fail_field(&t->fail, "variant_id", "not_found", "no such variant");
        price = -1;
    }
    db_reset(st);
    return price;
}

static int ensure_cart(struct db *db, struct request *req, char cart_id[ID_MAX_LEN], struct db_error *dberr)
{
    char fresh[ID_MAX_LEN];
    id_generate("crt", fresh, sizeof fresh);
    struct db_param p[] = {DB_TEXT(fresh), DB_TEXT(req->user_id), DB_I64(time_now_ms())};
    if (db_exec(db, orders__sql(ORDERS_Q_CART_INSERT), p, 3, dberr) < 0)
        return -1;
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_CART_ID), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(req->user_id));
    int rc = db_step(st, dberr);
    if (rc == 1)
        snprintf(cart_id, ID_MAX_LEN, "%s", db_column_text(st, 0));
    db_reset(st);
    return rc == 1 ? 0 : -1;
}

static int add_item(struct db *db, void *arg, struct db_error *dberr)
{
    struct add_tx *t = arg;
    int stock = 0;
    bool mto = false;
    int64_t price = add_check_product(db, t, &stock, &mto, dberr);
    char cart_id[ID_MAX_LEN];
    if (price < 0 || ensure_cart(db, t->req, cart_id, dberr) != 0)
        return -1;
    int64_t now = time_now_ms();
    struct db_param up[] = {DB_TEXT(cart_id), DB_TEXT(t->product_id), DB_TEXT(t->variant_id),
                            DB_I64(t->quantity), DB_TEXT(t->personalization), DB_I64(now)};
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_CART_ITEM_ADD_QTY), dberr);
    if (st == NULL)
        return -1;
    db_bind_all(st, up, 6);
    int rc = db_step(st, dberr);
    if (rc == 1) {
        snprintf(t->item_id, sizeof t->item_id, "%s", db_column_text(st, 0));
        t->total = (int)db_column_i64(st, 1);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        id_generate("cit", t->item_id, sizeof t->item_id);
        struct db_param in[] = {DB_TEXT(t->item_id),   DB_TEXT(cart_id),         DB_TEXT(t->product_id),
                                DB_TEXT(t->variant_id), DB_I64(t->quantity),     DB_TEXT(t->personalization),
                                DB_I64(price),          DB_I64(now)};
        if (db_exec(db, orders__sql(ORDERS_Q_CART_ITEM_INSERT), in, 8, dberr) < 0)
            return -1;
        t->total = t->quantity;
        t->created = true;
    }
    if (!mto && t->total > stock) {
        t->fail = (struct orders_fail){.code = "out_of_stock",
                                       .msg = stock > 0 ? "not that many left in stock" : "this is out of stock"};
        orders__fail_field(&t->fail, "quantity", stock > 0 ? "insufficient_stock" : "out_of_stock",
                           arena_sprintf(t->req->arena, "%d left", stock));
        return -1;
    }
    return 0;
}

static void write_item(struct request *req, int status, const char *id, const char *product_id,
                       const char *variant_id, int quantity)
{
    struct jsonw w;
    jw_init(&w, req->arena, 256);
    jw_obj(&w);
    jw_kstr(&w, "id", id);
    jw_kstr(&w, "product_id", product_id);
    jw_kstr(&w, "variant_id", variant_id);
    jw_kint(&w, "quantity", quantity);
    jw_end(&w);
    res_jsonw(req, status, &w);
}

int orders_handle_add_item(struct request *req, struct app_error *err)
{
    json_t *b = req->json, *pers = json_object_get(b, "personalization"), *q = json_object_get(b, "quantity");
    struct add_tx t = {.req = req,
                       .product_id = json_string_value(json_object_get(b, "product_id")),
                       .variant_id = json_string_value(json_object_get(b, "variant_id")),
                       .quantity = q ? (int)json_integer_value(q) : 1,
                       .personalization = "{}"};
    if (pers != NULL) {
        char *s = json_dumps(pers, JSON_COMPACT);
        t.personalization = arena_strdup(req->arena, s);
        free(s);
    }
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, add_item, &t, &dberr) != 0)
        return orders__tx_error(req, &t.fail, &dberr, err);
    if (t.created)
        res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/cart/items/%s", t.item_id));
    write_item(req, t.created ? 201 : 200, t.item_id, t.product_id, t.variant_id, t.total);
    return 0;
}

/*-----------------------------------------------------------------------------
 * PATCH and DELETE /cart/items/:id
 */
int orders_handle_patch_item(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    int quantity = (int)json_integer_value(json_object_get(req->json, "quantity"));
    struct orders_line *l;
    int n;
    struct db_error dberr = {0};
    if (orders__cart_lines(req->db, req->arena, req->user_id, &l, &n, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    int i = 0;
    while (i < n && strcmp(l[i].item_id, id) != 0)
        i++;
    if (i == n)
        return app_error_set(err, req->arena, "not_found", "no such cart line");
    if (!l[i].made_to_order && quantity > l[i].stock) {
        app_error_add_field(err, req->arena, "quantity", l[i].stock > 0 ? "insufficient_stock" : "out_of_stock",
                            arena_sprintf(req->arena, "%lld left", (long long)l[i].stock));
        return app_error_set(err, req->arena, "out_of_stock", "not that many left in stock");
    }
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(req->user_id), DB_I64(quantity), DB_I64(time_now_ms())};
    int64_t changed = db_exec(req->db, orders__sql(ORDERS_Q_CART_ITEM_SET_QTY), p, 4, &dberr);
    if (changed < 0)
        return req_db_error(req, &dberr, err);
    if (changed == 0)
        return app_error_set(err, req->arena, "not_found", "no such cart line");
    write_item(req, 200, id, l[i].product_id, l[i].variant_id, quantity);
    return 0;
}

int orders_handle_delete_item(struct request *req, struct app_error *err)
{
    struct db_param p[] = {DB_TEXT(req_param(req, "id")), DB_TEXT(req->user_id)};
    struct db_error dberr = {0};
    int64_t changed = db_exec(req->db, orders__sql(ORDERS_Q_CART_ITEM_DELETE), p, 2, &dberr);
    if (changed < 0)
        return req_db_error(req, &dberr, err);
    if (changed == 0)
        return app_error_set(err, req->arena, "not_found", "no such cart line");
    res_empty(req, 204);
    return 0;
}
