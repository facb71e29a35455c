/*
 * products_write.c — POST, PATCH and DELETE /api/v1/products[/:id]: the
 * product lifecycle.
 *
 *   draft ──publish──▶ active ──archive──▶ archived ──publish──▶ active
 *     └──────────────discard (archive)───────▶ archived
 *   any ──(admin) remove──▶ removed ──(admin) restore──▶ draft | archived | active
 *
 * Publishing (entering active) needs a title, a price above zero, an active
 * category and something to sell: stock > 0, made to order, or an active
 * variant with stock; what is missing is named in a 422. An active product
 * keeps needing title, price and category (it may sell out). Only admins
 * remove and restore; a seller cannot change a removed product (409).
 * Other illegal moves are 409 invalid_state_transition naming the allowed
 * targets. published_at is set at the first publication and kept after
 * (re-activating an archived product does not jump the "newest" order).
 *
 * Ownership is in the row lock query (id AND (seller = caller OR admin));
 * another seller's product answers 404, the same as one that does not
 * exist, so ids of drafts do not leak. An admin who is not the seller may
 * change only status and removed_reason. DELETE archives for the seller and
 * removes for an admin (?reason=).
 *
 * Every write is one db_tx: the product row, its child rows, in_stock,
 * rev, the search document (search_sync_product) and, for moderation, an
 * audit_log row.
 *
 * Caveats: the currency of a product is its shop's at creation; a price
 * in another currency is refused rather than converted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "platform/search.h"
#include "services/products/products_int.h"

#define DEFAULT_REMOVED_REASON "removed by an administrator"

/* The state of one write transaction; fail_* set means "answer with this" rather than a database error. */
struct write_tx {
    struct request *req;
    struct app_error *err;
    struct product_input *in;
    bool is_admin;
    bool is_delete;
    const char *id;
    const char *fail_code, *fail_msg, *fail_detail;
    int status; /* 201 created, 200 changed, 204 no change (DELETE) */
};

static int fail(struct write_tx *t, const char *code, const char *msg, const char *detail)
{
    t->fail_code = code;
    t->fail_msg = msg;
    t->fail_detail = detail;
    return -1;
}

static int fail_fields(struct write_tx *t, const char *msg)
{
    return fail(t, "validation_failed", msg, NULL);
}

/*-----------------------------------------------------------------------------
 * Lifecycle
 */

struct transition {
    const char *from, *to;
    bool admin_only;
};

static const struct transition transitions[] = {
    {"draft", "active", false},    {"draft", "archived", false}, {"active", "archived", false},
    {"archived", "active", false}, {"draft", "removed", true},   {"active", "removed", true},
    {"archived", "removed", true}, {"removed", "draft", true},   {"removed", "archived", true},
    {"removed", "active", true},
};

#define NTRANSITIONS (sizeof transitions / sizeof transitions[0])

static bool allowed(const char *from, const char *to, bool admin)
{
    for (size_t i = 0; i < NTRANSITIONS; i++)
        if (strcmp(transitions[i].from, from) == 0 && strcmp(transitions[i].to, to) == 0)
            return admin || !transitions[i].admin_only;
    return false;
}

/* "allowed from draft: active, archived" for the problem detail. */
static const char *allowed_list(struct arena *a, const char *from, bool admin)
{
    struct strbuf sb;
    strbuf_init(&sb, a, 96);
    strbuf_printf(&sb, "allowed from %s:", from);
    size_t n = 0;
    for (size_t i = 0; i < NTRANSITIONS; i++)
        if (strcmp(transitions[i].from, from) == 0 && (admin || !transitions[i].admin_only))
            strbuf_printf(&sb, "%s %s", n++ ? "," : "", transitions[i].to);
    if (n == 0)
        strbuf_puts(&sb, " none");
    return sb.data;
}

/*-----------------------------------------------------------------------------
 * Checks that need the database
 */

static int check_category(struct write_tx *t, struct db *db, struct db_error *dberr)
{
    struct product_input *in = t->in;
    if (!(in->set & PRODUCT_IN_CATEGORY) || in->category_id == NULL)
        return 0;
    struct db_stmt *st = db_prepare(db, products__sql(PRODUCTS_Q_CATEGORY_ACTIVE), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(in->category_id));
    int rc = db_step(st, dberr);
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0)
        app_error_add_field(t->err, t->req->arena, "category_id", "not_found", "no such active category");
    return 0;
}

static int check_images(struct write_tx *t, struct db *db, const char *seller_id, struct db_error *dberr)
{
    struct product_input *in = t->in;
    for (size_t i = 0; (in->set & PRODUCT_IN_IMAGES) && i < in->nimages; i++) {
        struct db_stmt *st = db_prepare(db, products__sql(PRODUCTS_Q_MEDIA_USABLE), dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(in->images[i].media_id));
        db_bind(st, 2, DB_TEXT(seller_id));
        int rc = db_step(st, dberr);
        db_reset(st);
        if (rc < 0)
            return -1;
        if (rc == 0)
            app_error_add_field(t->err, t->req->arena, arena_sprintf(t->req->arena, "images[%zu].media_id", i),
                                "not_found", "no such uploaded image of yours (upload it to /api/v1/media first)");
    }
    return 0;
}

/* Unit price = price + modifier must never be negative, for new variants and for a new price alike. */
static int check_unit_prices(struct write_tx *t, struct db *db, const char *product_id, int64_t price,
                             bool price_changed, struct db_error *dberr)
{
    struct product_input *in = t->in;
    struct arena *a = t->req->arena;
    if (in->set & PRODUCT_IN_VARIANTS) {
        for (size_t i = 0; i < in->nvariants; i++)
            if (price + in->variants[i].modifier < 0)
                app_error_add_field(t->err, a, arena_sprintf(a, "variants[%zu].price_modifier.amount", i),
                                    "out_of_range", "the unit price (price + modifier) must not be negative");
        return products__check_variant_ids(t->req, db, product_id, in, t->err, dberr);
    }
    if (!price_changed || product_id == NULL)
        return 0;
    struct db_stmt *st = db_prepare(db, products__sql(PRODUCTS_Q_MIN_VARIANT_MODIFIER), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(product_id));
    int rc = db_step(st, dberr);
    bool negative = rc == 1 && !db_column_is_null(st, 0) && price + db_column_i64(st, 0) < 0;
    db_reset(st);
    if (rc < 0)
        return -1;
    if (negative)
        app_error_add_field(t->err, a, "price.amount", "out_of_range",
                            "a variant's unit price (price + modifier) would be negative");
    return 0;
}

/* What an active product needs; entering: it is being published now (then it also needs stock). */
static int check_publishable(struct write_tx *t, int64_t price, const char *category_id, bool in_stock, bool entering)
{
    struct arena *a = t->req->arena;
    if (price <= 0)
        app_error_add_field(t->err, a, "price.amount", "required_to_publish", "a price above zero is needed");
    if (category_id == NULL)
        app_error_add_field(t->err, a, "category_id", "required_to_publish", "a category is needed");
    if (entering && !in_stock)
        app_error_add_field(t->err, a, "stock", "required_to_publish",
                            "something to sell is needed: stock above zero, made_to_order, or a variant with stock");
    if (t->err->nfields == 0)
        return 0;
    struct strbuf sb;
    strbuf_init(&sb, a, 64);
    for (size_t i = 0; i < t->err->nfields; i++)
        strbuf_printf(&sb, "%s%s", i ? ", " : "", t->err->fields[i].field);
    return fail(t, "validation_failed", arena_sprintf(a, "the product cannot be active without: %s", sb.data), NULL);
}

static int write_children(struct write_tx *t, struct db *db, const char *id, bool *in_stock, struct db_error *dberr)
{
    if (products__write_tags(db, id, t->in, dberr) != 0 ||
        products__write_variants(t->req, db, id, t->in, dberr) != 0 ||
        products__write_images(t->req, db, id, t->in, dberr) != 0 ||
        products__write_questions(t->req, db, id, t->in, dberr) != 0)
        return -1;
    return products__refresh_stock(db, id, in_stock, dberr);
}

/*-----------------------------------------------------------------------------
 * Create
 */

static int create_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct write_tx *t = arg;
    struct request *req = t->req;
    struct product_input *in = t->in;
    t->err->nfields = 0;

    struct db_stmt *st = db_prepare(db, products__sql(PRODUCTS_Q_SELLER_SHOP), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(req->user_id));
    int rc = db_step(st, dberr);
    const char *shop_id = rc == 1 ? arena_strdup(req->arena, db_column_text(st, 0)) : NULL;
    bool shop_active = rc == 1 && strcmp(db_column_text(st, 1), "active") == 0;
    const char *currency = rc == 1 ? arena_strdup(req->arena, db_column_text(st, 2)) : NULL;
    db_reset(st);
    if (rc < 0)
        return -1;
    if (!shop_active)
        return fail(t, "forbidden", "you need an active shop to list products", NULL);

    const char *status = (in->set & PRODUCT_IN_STATUS) ? in->status : "draft";
    if (strcmp(status, "draft") != 0 && strcmp(status, "active") != 0)
        app_error_add_field(t->err, req->arena, "status", "invalid_value", "a new product is draft or active");
    if (in->set & PRODUCT_IN_REMOVED_REASON)
        app_error_add_field(t->err, req->arena, "removed_reason", "invalid_value", "only for removed products");
    if (in->currency != NULL && strcmp(in->currency, currency) != 0)
        app_error_add_field(t->err, req->arena, "price.currency", "invalid_value",
                            arena_sprintf(req->arena, "must be the shop's currency, %s", currency));
    if (check_category(t, db, dberr) != 0 || check_images(t, db, req->user_id, dberr) != 0 ||
        check_unit_prices(t, db, NULL, in->price_amount, true, dberr) != 0)
        return -1;
    if (t->err->nfields > 0)
        return fail_fields(t, "some fields are invalid; see errors");

    const char *slug;
    if (products__unique_slug(req->arena, db, shop_id, in->title, NULL, t->id, &slug, dberr) != 0)
        return -1;
    int64_t now = time_now_ms();
    bool active = strcmp(status, "active") == 0;
    struct db_param p[] = {DB_TEXT(t->id),
                           DB_TEXT(req->user_id),
                           DB_TEXT(shop_id),
                           DB_TEXT(in->category_id),
                           DB_TEXT(slug),
                           DB_TEXT(in->title),
                           DB_TEXT(in->description ? in->description : ""),
                           DB_I64(in->price_amount),
                           DB_TEXT(currency),
                           DB_TEXT(status),
                           DB_I64(in->stock),
                           DB_I64(in->made_to_order),
                           DB_I64((in->set & PRODUCT_IN_PROCESSING) ? in->processing_days : 3),
                           DB_TEXT(in->who_made ? in->who_made : "i_did"),
                           DB_I64(in->nquestions > 0),
                           in->weight_grams > 0 ? DB_I64(in->weight_grams) : DB_NULL,
                           DB_TEXT(in->tags.json ? in->tags.json : "[]"),
                           DB_TEXT(in->materials.json ? in->materials.json : "[]"),
                           active ? DB_I64(now) : DB_NULL,
                           DB_I64(now)};
    if (db_exec(db, products__sql(PRODUCTS_Q_INSERT), p, 20, dberr) < 0)
        return -1;
    bool in_stock;
    if (write_children(t, db, t->id, &in_stock, dberr) != 0)
        return -1;
    if (active && check_publishable(t, in->price_amount, in->category_id, in_stock, true) != 0)
        return -1;
    t->status = 201;
    return search_sync_product(db, t->id, dberr);
}

/*-----------------------------------------------------------------------------
 * Update (PATCH, DELETE)
 */

/* The locked row of the product (columns of PRODUCTS_Q_LOCK). */
struct product_row {
    const char *seller_id, *shop_id, *category_id, *slug, *title, *description, *currency, *status, *removed_reason,
        *who_made, *tags, *materials;
    int64_t price, stock, processing_days, weight_grams, published_at;
    bool made_to_order, personalizable, has_published_at;
};

static void read_row(struct arena *a, struct db_stmt *st, struct product_row *r)
{
    r->seller_id = arena_strdup(a, db_column_text(st, 1));
    r->shop_id = arena_strdup(a, db_column_text(st, 2));
    r->category_id = arena_strdup(a, db_column_text(st, 3));
    r->slug = arena_strdup(a, db_column_text(st, 4));
    r->title = arena_strdup(a, db_column_text(st, 5));
    r->description = arena_strdup(a, db_column_text(st, 6));
    r->price = db_column_i64(st, 7);
    r->currency = arena_strdup(a, db_column_text(st, 8));
    r->status = arena_strdup(a, db_column_text(st, 9));
    r->removed_reason = arena_strdup(a, db_column_text(st, 10));
    r->stock = db_column_i64(st, 11);
    r->made_to_order = db_column_i64(st, 12) != 0;
    r->processing_days = db_column_i64(st, 13);
    r->who_made = arena_strdup(a, db_column_text(st, 14));
    r->weight_grams = db_column_is_null(st, 15) ? -1 : db_column_i64(st, 15);
    r->tags = arena_strdup(a, db_column_text(st, 16));
    r->materials = arena_strdup(a, db_column_text(st, 17));
    r->has_published_at = !db_column_is_null(st, 18);
    r->published_at = db_column_i64(st, 18);
    r->personalizable = db_column_i64(st, 19) != 0;
}

static int audit(struct write_tx *t, struct db *db, const char *action, const char *from, const char *to,
                 const char *reason, struct db_error *dberr)
{
    struct request *req = t->req;
    json_t *data = json_pack("{s:s, s:s, s:s?}", "from", from, "to", to, "reason", reason);
    char *text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
    const char *copy = arena_strdup(req->arena, text);
    free(text);
    json_decref(data);
    struct db_param p[] = {DB_TEXT(id_new(req->arena, "aud")),
                           DB_TEXT(req->user_id),
                           DB_TEXT(action),
                           DB_TEXT("product"),
                           DB_TEXT(t->id),
                           DB_TEXT(copy),
                           DB_TEXT(req->client_ip),
                           DB_TEXT(req->request_id),
                           DB_I64(time_now_ms())};
    return db_exec(db, products__sql(PRODUCTS_Q_AUDIT_INSERT), p, 9, dberr) < 0 ? -1 : 0;
}

static int update_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct write_tx *t = arg;
    struct request *req = t->req;
    struct product_input *in = t->in;
    struct arena *a = req->arena;
    t->err->nfields = 0;

    struct db_stmt *st = db_prepare(db, products__sql(PRODUCTS_Q_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    db_bind(st, 3, DB_I64(t->is_admin));
    int rc = db_step(st, dberr);
    struct product_row r = {0};
    if (rc == 1)
        read_row(a, st, &r);
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return fail(t, "not_found", arena_sprintf(a, "no product %s of yours", t->id), NULL);
    bool owner = strcmp(r.seller_id, req->user_id) == 0;
    bool moderator = t->is_admin && !owner;

    if (t->is_delete) {
        in->set = PRODUCT_IN_STATUS;
        in->status = moderator ? "removed" : "archived";
        if (moderator) {
            in->set |= PRODUCT_IN_REMOVED_REASON;
            const char *reason = req_param(req, "reason");
            in->removed_reason = reason ? reason : DEFAULT_REMOVED_REASON;
        }
        if (strcmp(r.status, in->status) == 0) {
            t->status = 204;
            return 0;
        }
    }
    if (moderator && (in->set & ~PRODUCT_IN_MODERATION))
        return fail(t, "forbidden", "an admin may change only status and removed_reason of another seller's product",
                    NULL);
    if (strcmp(r.status, "removed") == 0 && !t->is_admin)
        return fail(t, "invalid_state_transition", "this product was removed by an administrator and cannot be changed",
                    allowed_list(a, "removed", false));

    const char *to = (in->set & PRODUCT_IN_STATUS) ? in->status : r.status;
    bool moving = strcmp(to, r.status) != 0;
    if (moving && !allowed(r.status, to, t->is_admin))
        return fail(t, "invalid_state_transition", arena_sprintf(a, "a product cannot go from %s to %s", r.status, to),
                    allowed_list(a, r.status, t->is_admin));
    bool removing = strcmp(to, "removed") == 0;
    if (removing && moving && in->removed_reason == NULL)
        app_error_add_field(t->err, a, "removed_reason", "required", "say why the product is removed");
    if (!removing && (in->set & PRODUCT_IN_REMOVED_REASON))
        app_error_add_field(t->err, a, "removed_reason", "invalid_value", "only with status removed");
    if (in->currency != NULL && strcmp(in->currency, r.currency) != 0)
        app_error_add_field(t->err, a, "price.currency", "invalid_value",
                            arena_sprintf(a, "must be the product's currency, %s", r.currency));

    /* The row after the change. */
    int64_t price = (in->set & PRODUCT_IN_PRICE) ? in->price_amount : r.price;
    const char *category_id = (in->set & PRODUCT_IN_CATEGORY) ? in->category_id : r.category_id;
    const char *title = (in->set & PRODUCT_IN_TITLE) ? in->title : r.title;
    if (check_category(t, db, dberr) != 0 || check_images(t, db, r.seller_id, dberr) != 0 ||
        check_unit_prices(t, db, t->id, price, (in->set & PRODUCT_IN_PRICE) != 0, dberr) != 0)
        return -1;
    if (t->err->nfields > 0)
        return fail_fields(t, "some fields are invalid; see errors");

    const char *slug = r.slug;
    if ((in->set & PRODUCT_IN_TITLE) && strcmp(title, r.title) != 0 &&
        products__unique_slug(a, db, r.shop_id, title, t->id, t->id, &slug, dberr) != 0)
        return -1;
    int64_t now = time_now_ms();
    bool active = strcmp(to, "active") == 0;
    int64_t weight = (in->set & PRODUCT_IN_WEIGHT) ? in->weight_grams : r.weight_grams;
    const char *reason = removing ? (in->removed_reason ? in->removed_reason : r.removed_reason) : NULL;
    struct db_param p[] = {
        DB_TEXT(t->id),
        DB_TEXT(r.seller_id),
        DB_TEXT(category_id),
        DB_TEXT(slug),
        DB_TEXT(title),
        DB_TEXT((in->set & PRODUCT_IN_DESCRIPTION) ? in->description : r.description),
        DB_I64(price),
        DB_TEXT(r.currency),
        DB_TEXT(to),
        DB_TEXT(reason),
        DB_I64((in->set & PRODUCT_IN_STOCK) ? in->stock : r.stock),
        DB_I64((in->set & PRODUCT_IN_MADE_TO_ORDER) ? in->made_to_order : r.made_to_order),
        DB_I64((in->set & PRODUCT_IN_PROCESSING) ? in->processing_days : r.processing_days),
        DB_TEXT((in->set & PRODUCT_IN_WHO_MADE) ? in->who_made : r.who_made),
        DB_I64((in->set & PRODUCT_IN_QUESTIONS) ? in->nquestions > 0 : r.personalizable),
        weight > 0 ? DB_I64(weight) : DB_NULL,
        DB_TEXT((in->set & PRODUCT_IN_TAGS) ? in->tags.json : r.tags),
        DB_TEXT((in->set & PRODUCT_IN_MATERIALS) ? in->materials.json : r.materials),
        r.has_published_at ? DB_I64(r.published_at) : (active ? DB_I64(now) : DB_NULL),
        DB_I64(now),
    };
    if (db_exec(db, products__sql(PRODUCTS_Q_UPDATE), p, 20, dberr) < 0)
        return -1;
    bool in_stock;
    if (write_children(t, db, t->id, &in_stock, dberr) != 0)
        return -1;
    if (active && check_publishable(t, price, category_id, in_stock, moving) != 0)
        return -1;
    if (t->is_admin && moving && (removing || strcmp(r.status, "removed") == 0) &&
        audit(t, db, removing ? "product.remove" : "product.restore", r.status, to, reason, dberr) != 0)
        return -1;
    t->status = t->is_delete ? 204 : 200;
    return search_sync_product(db, t->id, dberr);
}

/*-----------------------------------------------------------------------------
 * Handlers
 */

static bool is_admin(const struct request *req)
{
    return req->role != NULL && strcmp(req->role, "admin") == 0;
}

/* Run fn in a transaction and answer: the product's detail, 204, or the failure. */
static int run_write(struct request *req, struct write_tx *t, int (*fn)(struct db *, void *, struct db_error *),
                     struct app_error *err)
{
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, fn, t, &dberr) != 0) {
        if (t->fail_code != NULL) {
            app_error_set(err, req->arena, t->fail_code, "%s", t->fail_msg);
            err->detail = t->fail_detail;
            return -1;
        }
        if (dberr.kind == DB_E_UNIQUE)
            return app_error_set(err, req->arena, "conflict",
                                 "a concurrent change got there first (slug or SKU already used); try again");
        return req_db_error(req, &dberr, err);
    }
    if (t->status == 204) {
        res_empty(req, 204);
        return 0;
    }
    struct jsonw w;
    bool found;
    if (products__render_detail(req, t->id, &w, &found, err) != 0)
        return -1;
    if (t->status == 201)
        res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/products/%s", t->id));
    res_jsonw(req, t->status, &w);
    return 0;
}

int products_handle_create(struct request *req, struct app_error *err)
{
    struct product_input in;
    if (products__input_parse(req, &in, err) != 0)
        return -1;
    if (!(in.set & PRODUCT_IN_TITLE))
        app_error_add_field(err, req->arena, "title", "required", "is required");
    if (err->nfields > 0)
        return app_error_set(err, req->arena, "validation_failed", "%zu fields are invalid; see errors", err->nfields);
    struct write_tx t = {.req = req, .err = err, .in = &in, .is_admin = is_admin(req), .id = id_new(req->arena, "prd")};
    return run_write(req, &t, create_tx, err);
}

int products_handle_update(struct request *req, struct app_error *err)
{
    struct product_input in;
    if (products__input_parse(req, &in, err) != 0)
        return -1;
    struct write_tx t = {.req = req, .err = err, .in = &in, .is_admin = is_admin(req), .id = req_param(req, "id")};
    return run_write(req, &t, update_tx, err);
}

int products_handle_delete(struct request *req, struct app_error *err)
{
    struct product_input in = {0};
    struct write_tx t = {
        .req = req, .err = err, .in = &in, .is_admin = is_admin(req), .is_delete = true, .id = req_param(req, "id")};
    return run_write(req, &t, update_tx, err);
}
