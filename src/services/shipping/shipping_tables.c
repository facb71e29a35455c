/*
 * shipping_tables.c — a seller's shipping rate tables: create, list, read,
 * edit (rates replaced as a whole), delete, and pinning products to a table.
 *
 * A table is one shipping service of the shop (its name is what buyers
 * choose: "Standard", "Express"); its rates are bands per zone (see
 * shipping_quote.c for how they price). A shop has at most one default
 * table (the partial unique index): the first table a shop makes becomes
 * its default, and making another default clears the old one in the same
 * transaction.
 *
 * Validation beyond the route's field specs: zones must be "domestic",
 * "everywhere", a known region or an ISO alpha-2 code (ISO codes and
 * regions are upper-cased); max_value > min_value; min_days <= max_days;
 * bands of one zone must not overlap; a flat table has one rate per zone;
 * the currency is the shop's.
 *
 * Caveats: changing only the basis keeps the rates as they are (their
 * bands are then read in the new unit). The pinned list shows at most 500
 * products.
 */
#include <stdio.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/shipping/shipping_int.h"

#define MAX_RATES_PER_TABLE 100

/*-----------------------------------------------------------------------------
 * Rendering
 */
static void write_opt_int(struct jsonw *w, const char *key, struct db_stmt *st, int col)
{
    jw_key(w, key);
    if (db_column_is_null(st, col))
        jw_null(w);
    else
        jw_int(w, db_column_i64(st, col));
}

static void write_money_col(struct jsonw *w, const char *key, struct db_stmt *st, int col, const char *cur)
{
    if (db_column_is_null(st, col)) {
        jw_key(w, key);
        jw_null(w);
        return;
    }
    jw_kmoney(w, key, db_column_i64(st, col), cur);
}

static int write_rates(struct request *req, struct jsonw *w, const char *table_id, const char *cur,
                       struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, shipping__sql(SHIP_Q_RATES_OF_TABLE), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(table_id));
    jw_key(w, "rates");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kstr(w, "zone", db_column_text(st, 1));
        jw_kint(w, "min_value", db_column_i64(st, 2));
        write_opt_int(w, "max_value", st, 3);
        write_money_col(w, "amount", st, 4, cur);
        write_money_col(w, "additional_item_amount", st, 5, cur);
        write_money_col(w, "free_over_amount", st, 6, cur);
        write_opt_int(w, "min_days", st, 7);
        write_opt_int(w, "max_days", st, 8);
        jw_end(w);
    }
    jw_end(w);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int write_pinned(struct request *req, struct jsonw *w, const char *table_id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, shipping__sql(SHIP_Q_PINNED_OF_TABLE), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(table_id));
    jw_key(w, "product_ids");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1)
        jw_str(w, db_column_text(st, 0));
    jw_end(w);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Render the caller's table id (with its rates and pinned products) into w; *found false when not theirs. */
static int render_table(struct request *req, struct jsonw *w, const char *id, bool *found, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, shipping__sql(SHIP_Q_TABLE_GET), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, dberr);
    *found = rc == 1;
    const char *cur = NULL;
    if (rc == 1) {
        cur = arena_strdup(req->arena, db_column_text(st, 4));
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kstr(w, "shop_id", db_column_text(st, 1));
        jw_kstr(w, "name", db_column_text(st, 2));
        jw_kstr(w, "basis", db_column_text(st, 3));
        jw_kstr(w, "currency", cur);
        jw_kstr(w, "origin_country", db_column_text(st, 5));
        jw_kbool(w, "is_default", db_column_i64(st, 6) == 1);
        jw_kstr(w, "created_at", req_time(req, db_column_i64(st, 7)));
        jw_kstr(w, "updated_at", req_time(req, db_column_i64(st, 8)));
    }
    db_reset(st);
    if (rc != 1)
        return rc < 0 ? -1 : 0;
    if (write_rates(req, w, id, cur, dberr) != 0 || write_pinned(req, w, id, dberr) != 0)
        return -1;
    jw_end(w);
    return 0;
}

/* Reply with one table of the caller, 404 when it is not theirs. */
static int reply_table(struct request *req, const char *id, int status, struct app_error *err)
{
    struct db_error dberr = {0};
    struct jsonw w;
    jw_init(&w, req->arena, 1024);
    bool found;
    if (render_table(req, &w, id, &found, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (!found)
        return app_error_set(err, req->arena, "not_found", "no such rate table");
    res_jsonw(req, status, &w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Validation
 */
static void upcase(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 32);
}

static int64_t opt_i64(json_t *o, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* One rate, normalised. */
struct rate_in {
    char zone[24];
    int64_t min, max, amount, add, free_over, min_days, max_days; /* -1: NULL where nullable */
};

static void bad(struct request *req, struct app_error *err, size_t i, const char *field, const char *code,
                const char *msg)
{
    app_error_add_field(err, req->arena, arena_sprintf(req->arena, "rates[%zu].%s", i, field), code, msg);
}

/* Parse and check rates[]; field errors into err. Returns the count, or -1 when some are bad. */
static int parse_rates(struct request *req, json_t *rates, const char *basis, struct rate_in *out,
                       struct app_error *err)
{
    size_t i;
    json_t *r;
    size_t before = err->nfields;
    json_array_foreach(rates, i, r)
    {
        struct rate_in *x = &out[i];
        snprintf(x->zone, sizeof x->zone, "%s", json_string_value(json_object_get(r, "zone")));
        if (strcmp(x->zone, "domestic") != 0 && strcmp(x->zone, "everywhere") != 0)
            upcase(x->zone);
        x->min = opt_i64(r, "min_value", 0);
        x->max = opt_i64(r, "max_value", -1);
        x->amount = opt_i64(r, "amount", 0);
        x->add = opt_i64(r, "additional_item_amount", 0);
        x->free_over = opt_i64(r, "free_over_amount", -1);
        x->min_days = opt_i64(r, "min_days", -1);
        x->max_days = opt_i64(r, "max_days", -1);
        if (!shipping__zone_valid(x->zone))
            bad(req, err, i, "zone", "invalid_zone",
                "must be domestic, everywhere, a region (EU, EEA, NORTH_AMERICA, OCEANIA) or an ISO country code");
        if (x->max >= 0 && x->max <= x->min)
            bad(req, err, i, "max_value", "out_of_range", "must be greater than min_value");
        if (x->min_days >= 0 && x->max_days >= 0 && x->max_days < x->min_days)
            bad(req, err, i, "max_days", "out_of_range", "must not be less than min_days");
        for (size_t j = 0; j < i; j++) {
            const struct rate_in *y = &out[j];
            if (strcmp(x->zone, y->zone) != 0)
                continue;
            if (strcmp(basis, "flat") == 0)
                bad(req, err, i, "zone", "duplicate_zone", "a flat table has one rate per zone");
            else if ((y->max < 0 || x->min < y->max) && (x->max < 0 || y->min < x->max))
                bad(req, err, i, "min_value", "overlapping_band",
                    arena_sprintf(req->arena, "overlaps the band of rates[%zu] in the same zone", j));
        }
    }
    return err->nfields > before ? -1 : (int)json_array_size(rates);
}

static int insert_rates(struct db *db, const char *table_id, const char *seller_id, const char *currency,
                        const struct rate_in *r, int n, struct db_error *dberr)
{
    int64_t now = time_now_ms();
    for (int i = 0; i < n; i++) {
        char id[ID_MAX_LEN];
        id_generate("srr", id, sizeof id);
        struct db_param p[] = {DB_TEXT(id),
                               DB_TEXT(table_id),
                               DB_TEXT(seller_id),
                               DB_TEXT(r[i].zone),
                               DB_I64(r[i].min),
                               r[i].max >= 0 ? DB_I64(r[i].max) : DB_NULL,
                               DB_I64(r[i].amount),
                               DB_I64(r[i].add),
                               r[i].free_over >= 0 ? DB_I64(r[i].free_over) : DB_NULL,
                               DB_TEXT(currency),
                               r[i].min_days >= 0 ? DB_I64(r[i].min_days) : DB_NULL,
                               r[i].max_days >= 0 ? DB_I64(r[i].max_days) : DB_NULL,
                               DB_I64(now)};
        if (db_exec(db, shipping__sql(SHIP_Q_RATE_INSERT), p, 13, dberr) < 0)
            return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Create and edit
 */
struct table_tx {
    struct request *req;
    const char *id;
    const char *shop_id, *currency, *name, *basis, *origin;
    bool origin_set;
    int is_default; /* -1: unchanged */
    struct rate_in *rates;
    int nrates; /* -1: unchanged */
    struct shipping_fail fail;
};

/* Make t->id the default of its shop (clearing the old one), or the default when the shop has none. */
static int settle_default(struct db *db, struct table_tx *t, bool creating, struct db_error *dberr)
{
    int64_t now = time_now_ms();
    if (t->is_default == 1) {
        struct db_param p[] = {DB_TEXT(t->shop_id), DB_TEXT(t->id), DB_I64(now)};
        return db_exec(db, shipping__sql(SHIP_Q_TABLE_CLEAR_DEFAULT), p, 3, dberr) < 0 ? -1 : 0;
    }
    if (!creating || t->is_default == 0)
        return 0;
    struct db_stmt *st = db_prepare(db, shipping__sql(SHIP_Q_TABLE_HAS_DEFAULT), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->shop_id));
    int rc = db_step(st, dberr);
    db_reset(st);
    if (rc < 0)
        return -1;
    t->is_default = rc == 0 ? 1 : 0;
    return 0;
}

static int create_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct table_tx *t = arg;
    if (settle_default(db, t, true, dberr) != 0)
        return -1;
    struct db_param p[] = {DB_TEXT(t->id),     DB_TEXT(t->req->user_id), DB_TEXT(t->shop_id),
                           DB_TEXT(t->name),   DB_TEXT(t->basis),        DB_TEXT(t->currency),
                           DB_TEXT(t->origin), DB_I64(t->is_default),    DB_I64(time_now_ms())};
    if (db_exec(db, shipping__sql(SHIP_Q_TABLE_INSERT), p, 9, dberr) < 0)
        return -1;
    return insert_rates(db, t->id, t->req->user_id, t->currency, t->rates, t->nrates, dberr);
}

/* The caller's shop: id, currency. 0, or -1 with err (404 when the seller has none). */
static int my_shop(struct request *req, const char **shop_id, const char **currency, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, shipping__sql(SHIP_Q_SHOP_OF_SELLER), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    if (rc == 1) {
        *shop_id = arena_strdup(req->arena, db_column_text(st, 0));
        *currency = arena_strdup(req->arena, db_column_text(st, 1));
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    return rc == 0 ? app_error_set(err, req->arena, "not_found", "you have no shop") : 0;
}

/* Fields shared by create and patch: name, basis, origin_country, is_default, currency, rates. */
static int read_body(struct request *req, struct table_tx *t, const char *basis_now, struct app_error *err)
{
    json_t *b = req->json, *v;
    t->name = json_string_value(json_object_get(b, "name"));
    t->basis = json_string_value(json_object_get(b, "basis"));
    t->is_default = (v = json_object_get(b, "is_default")) != NULL ? json_is_true(v) : -1;
    if ((v = json_object_get(b, "origin_country")) != NULL) {
        t->origin_set = true;
        char *o = json_is_string(v) ? arena_strdup(req->arena, json_string_value(v)) : NULL;
        if (o != NULL)
            upcase(o);
        if (o != NULL && !shipping__country_valid(o))
            app_error_add_field(err, req->arena, "origin_country", "invalid_format", "must be an ISO alpha-2 code");
        t->origin = o;
    }
    const char *cur = json_string_value(json_object_get(b, "currency"));
    if (cur != NULL && strcmp(cur, t->currency) != 0)
        app_error_add_field(err, req->arena, "currency", "currency_mismatch",
                            arena_sprintf(req->arena, "must be the shop's currency, %s", t->currency));
    json_t *rates = json_object_get(b, "rates");
    t->nrates = -1;
    if (rates != NULL) {
        t->rates = arena_array(req->arena, struct rate_in, json_array_size(rates) + 1);
        t->nrates = parse_rates(req, rates, t->basis ? t->basis : basis_now, t->rates, err);
    }
    if (err->nfields > 0)
        return app_error_set(err, req->arena, "validation_failed", "the rate table is not valid");
    return 0;
}

int shipping_handle_create_table(struct request *req, struct app_error *err)
{
    struct table_tx t = {.req = req, .id = id_new(req->arena, "srt")};
    if (my_shop(req, &t.shop_id, &t.currency, err) != 0)
        return -1;
    if (read_body(req, &t, "quantity", err) != 0)
        return -1;
    if (t.basis == NULL)
        t.basis = "quantity";
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, create_tx, &t, &dberr) != 0)
        return shipping__tx_error(req, &t.fail, &dberr, err);
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/shipping/rate-tables/%s", t.id));
    return reply_table(req, t.id, 201, err);
}

static int patch_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct table_tx *t = arg;
    struct db_param p[] = {DB_TEXT(t->id),
                           DB_TEXT(t->req->user_id),
                           DB_TEXT(t->name),
                           DB_TEXT(t->basis),
                           DB_TEXT(t->origin),
                           DB_I64(t->origin_set ? 1 : 0),
                           t->is_default >= 0 ? DB_I64(t->is_default) : DB_NULL,
                           DB_I64(time_now_ms())};
    /* The old default goes first: the partial unique index allows one at any moment. */
    if (settle_default(db, t, false, dberr) != 0)
        return -1;
    int64_t n = db_exec(db, shipping__sql(SHIP_Q_TABLE_UPDATE), p, 8, dberr);
    if (n <= 0) {
        if (n == 0)
            t->fail = (struct shipping_fail){"not_found", "no such rate table"};
        return -1;
    }
    if (t->nrates < 0)
        return 0;
    struct db_param d[] = {DB_TEXT(t->id)};
    if (db_exec(db, shipping__sql(SHIP_Q_RATES_DELETE), d, 1, dberr) < 0)
        return -1;
    return insert_rates(db, t->id, t->req->user_id, t->currency, t->rates, t->nrates, dberr);
}

int shipping_handle_patch_table(struct request *req, struct app_error *err)
{
    struct table_tx t = {.req = req, .id = req_param(req, "id")};
    if (my_shop(req, &t.shop_id, &t.currency, err) != 0)
        return -1;
    /* The current basis validates new rates when the patch keeps it. */
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, shipping__sql(SHIP_Q_TABLE_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(t.id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    const char *basis_now = rc == 1 ? arena_strdup(req->arena, db_column_text(st, 3)) : NULL;
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no such rate table");
    if (read_body(req, &t, basis_now, err) != 0)
        return -1;
    if (db_tx(req->db, 3, patch_tx, &t, &dberr) != 0)
        return shipping__tx_error(req, &t.fail, &dberr, err);
    return reply_table(req, t.id, 200, err);
}

/*-----------------------------------------------------------------------------
 * Read, list, delete
 */
int shipping_handle_get_table(struct request *req, struct app_error *err)
{
    return reply_table(req, req_param(req, "id"), 200, err);
}

int shipping_handle_list_tables(struct request *req, struct app_error *err)
{
    const char *cursor = req_param(req, "cursor");
    if (cursor != NULL && !id_valid(cursor, "srt"))
        return app_error_set(err, req->arena, "invalid_cursor", "the cursor is not one this endpoint returned");
    int64_t limit = req_param_i64(req, "limit", 20);
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, shipping__sql(SHIP_Q_TABLE_PAGE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    struct db_param p[] = {DB_TEXT(req->user_id), DB_TEXT(cursor), DB_I64(limit + 1)};
    db_bind_all(st, p, 3);
    const char **ids = arena_array(req->arena, const char *, (size_t)limit + 1);
    int64_t n = 0;
    int rc;
    while ((rc = db_step(st, &dberr)) == 1 && n <= limit)
        ids[n++] = arena_strdup(req->arena, db_column_text(st, 0));
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    bool more = n > limit;
    if (more)
        n = limit;
    struct jsonw w;
    jw_init(&w, req->arena, 2048);
    jw_obj(&w);
    jw_key(&w, "data");
    jw_arr(&w);
    for (int64_t i = 0; i < n; i++) {
        bool found;
        if (render_table(req, &w, ids[i], &found, &dberr) != 0)
            return req_db_error(req, &dberr, err);
    }
    jw_end(&w);
    jw_key(&w, "next_cursor");
    jw_str(&w, more ? ids[n - 1] : NULL);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}

static int delete_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct table_tx *t = arg;
    struct db_param p[] = {DB_TEXT(t->id), DB_TEXT(t->req->user_id)};
    if (db_exec(db, shipping__sql(SHIP_Q_PIN_CLEAR), p, 2, dberr) < 0)
        return -1;
    int64_t n = db_exec(db, shipping__sql(SHIP_Q_TABLE_DELETE), p, 2, dberr);
    if (n == 0)
        t->fail = (struct shipping_fail){"not_found", "no such rate table"};
    return n > 0 ? 0 : -1;
}

int shipping_handle_delete_table(struct request *req, struct app_error *err)
{
    struct table_tx t = {.req = req, .id = req_param(req, "id")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, delete_tx, &t, &dberr) != 0)
        return shipping__tx_error(req, &t.fail, &dberr, err);
    res_empty(req, 204);
    return 0;
}

/*-----------------------------------------------------------------------------
 * PUT /shipping/rate-tables/:id/products {product_ids}: the products pinned
 * to this table become exactly these (the seller's own, not removed).
 */
struct pin_tx {
    struct request *req;
    const char *id;
    json_t *ids;
    struct shipping_fail fail;
};

static int pin_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct pin_tx *t = arg;
    struct request *req = t->req;
    struct db_param own[] = {DB_TEXT(t->id), DB_TEXT(req->user_id)};
    struct db_stmt *st = db_prepare(db, shipping__sql(SHIP_Q_TABLE_GET), dberr);
    if (st == NULL)
        return -1;
    db_bind_all(st, own, 2);
    int rc = db_step(st, dberr);
    db_reset(st);
    if (rc == 0)
        t->fail = (struct shipping_fail){"not_found", "no such rate table"};
    if (rc <= 0 || db_exec(db, shipping__sql(SHIP_Q_PIN_CLEAR), own, 2, dberr) < 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(t->ids, i, v)
    {
        struct db_param p[] = {DB_TEXT(t->id), DB_TEXT(json_string_value(v)), DB_TEXT(req->user_id)};
        int64_t n = db_exec(db, shipping__sql(SHIP_Q_PIN_SET), p, 3, dberr);
        if (n < 0)
            return -1;
        if (n == 0) {
            t->fail = (struct shipping_fail){"validation_failed", "not one of your products",
                                             arena_sprintf(req->arena, "product_ids[%zu]", i), "not_found"};
            return -1;
        }
    }
    return 0;
}

int shipping_handle_pin_products(struct request *req, struct app_error *err)
{
    struct pin_tx t = {.req = req, .id = req_param(req, "id"), .ids = json_object_get(req->json, "product_ids")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, pin_tx, &t, &dberr) != 0)
        return shipping__tx_error(req, &t.fail, &dberr, err);
    return reply_table(req, t.id, 200, err);
}
