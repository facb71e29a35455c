/*
 * payouts_analytics.c — GET /sellers/:id/analytics?from=&to=&currency=
 * (the seller themself, or an admin).
 *
 * From real rows, over the half-open range [from, to) (default: the 30
 * days before now):
 *   order_count      the seller's orders paid in the range (orders.paid_at),
 *                    including those refunded or cancelled after payment
 *   gross            SUM(total_amount) of those orders
 *   refunded         SUM(refunded_amount) of those orders (refunds made up
 *                    to now, whenever they happened)
 *   revenue          gross - refunded
 *   average_order    revenue / order_count, rounded half up (null: no orders)
 *   views            product_views.view_count of the seller's products on
 *                    the UTC days overlapping the range (the per-day rows
 *                    products_views.c flushes; products.view_count is an
 *                    all-time total and cannot be cut by date)
 *   conversion       order_count / views (null when there are no views)
 *   top_products     the 5 products with the most item revenue (line totals
 *                    before refunds: refunds are per order, not per item)
 *   by_day           per UTC day with a paid order: orders and revenue
 * One currency per call (?currency=, default USD).
 *
 * Caveats: views are attributed to the day of the flush (see
 * products_views.c), so a view near midnight may land on the next day.
 */
#include <string.h>

#include "base/timeutil.h"
#include "db/db.h"
#include "services/payouts/payouts_int.h"

#define DAY_MS INT64_C(86400000)
#define DEFAULT_RANGE_MS (30 * DAY_MS)
#define MAX_RANGE_MS (366 * DAY_MS)

struct range {
    const char *seller, *currency;
    int64_t from, to;
};

static int parse_range(struct request *req, struct range *r, struct app_error *err)
{
    const char *from = req_param(req, "from"), *to = req_param(req, "to");
    r->to = time_now_ms();
    if (to != NULL && time_parse_rfc3339(to, &r->to) != 0)
        app_error_add_field(err, req->arena, "to", "invalid_format", "must be an RFC 3339 time");
    r->from = r->to - DEFAULT_RANGE_MS;
    if (from != NULL && time_parse_rfc3339(from, &r->from) != 0)
        app_error_add_field(err, req->arena, "from", "invalid_format", "must be an RFC 3339 time");
    if (err->nfields == 0 && r->from >= r->to)
        app_error_add_field(err, req->arena, "from", "out_of_range", "must be before 'to'");
    if (err->nfields == 0 && r->to - r->from > MAX_RANGE_MS)
        app_error_add_field(err, req->arena, "from", "out_of_range", "the range may span at most 366 days");
    if (err->nfields > 0)
        return app_error_set(err, req->arena, "invalid_parameter", "parameter '%s' %s", err->fields[0].field,
                             err->fields[0].message);
    const char *cur = req_param(req, "currency");
    r->currency = cur ? cur : "USD";
    return 0;
}

static struct db_stmt *bind_range(struct request *req, enum payouts_query q, const struct range *r,
                                  struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, payouts__sql(q), dberr);
    if (st == NULL)
        return NULL;
    db_bind(st, 1, DB_TEXT(r->seller));
    db_bind(st, 2, DB_I64(r->from));
    db_bind(st, 3, DB_I64(r->to));
    db_bind(st, 4, DB_TEXT(r->currency));
    return st;
}

/* Totals, views and conversion into out. 0 or -1. */
static int totals(struct request *req, const struct range *r, json_t *out, struct db_error *dberr)
{
    struct db_stmt *st = bind_range(req, PAYOUTS_Q_AN_TOTALS, r, dberr);
    if (st == NULL || db_step(st, dberr) != 1)
        return -1;
    int64_t count = db_column_i64(st, 0), gross = db_column_i64(st, 1), refunded = db_column_i64(st, 2);
    db_reset(st);
    int64_t revenue = gross - refunded;
    st = db_prepare(req->db, payouts__sql(PAYOUTS_Q_AN_VIEWS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(r->seller));
    db_bind(st, 2, DB_I64(r->from - r->from % DAY_MS));
    db_bind(st, 3, DB_I64(r->to));
    if (db_step(st, dberr) != 1)
        return -1;
    int64_t views = db_column_i64(st, 0);
    db_reset(st);
    json_object_set_new(out, "order_count", json_integer(count));
    json_object_set_new(out, "gross", payouts__money(gross, r->currency));
    json_object_set_new(out, "refunded", payouts__money(refunded, r->currency));
    json_object_set_new(out, "revenue", payouts__money(revenue, r->currency));
    json_object_set_new(out, "average_order_value",
                        count > 0 ? payouts__money((revenue + count / 2) / count, r->currency) : json_null());
    json_object_set_new(out, "views", json_integer(views));
    json_object_set_new(out, "conversion", views > 0 ? json_real((double)count / (double)views) : json_null());
    return 0;
}

static int top_products(struct request *req, const struct range *r, json_t *out, struct db_error *dberr)
{
    struct db_stmt *st = bind_range(req, PAYOUTS_Q_AN_TOP, r, dberr);
    if (st == NULL)
        return -1;
    json_t *arr = json_array();
    int rc;
    while ((rc = db_step(st, dberr)) == 1)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:o}", "product_id", db_column_text(st, 0), "title",
                                             db_column_text(st, 1), "quantity", (json_int_t)db_column_i64(st, 2),
                                             "revenue", payouts__money(db_column_i64(st, 3), r->currency)));
    db_reset(st);
    json_object_set_new(out, "top_products", arr);
    return rc < 0 ? -1 : 0;
}

static int by_day(struct request *req, const struct range *r, json_t *out, struct db_error *dberr)
{
    struct db_stmt *st = bind_range(req, PAYOUTS_Q_AN_DAYS, r, dberr);
    if (st == NULL)
        return -1;
    json_t *arr = json_array();
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        char day[32];
        time_format_rfc3339(db_column_i64(st, 0) * DAY_MS, day, sizeof day);
        day[10] = '\0'; /* the date part */
        json_array_append_new(arr, json_pack("{s:s, s:I, s:o}", "date", day, "orders",
                                             (json_int_t)db_column_i64(st, 1), "revenue",
                                             payouts__money(db_column_i64(st, 2), r->currency)));
    }
    db_reset(st);
    json_object_set_new(out, "by_day", arr);
    return rc < 0 ? -1 : 0;
}

int payouts_handle_analytics(struct request *req, struct app_error *err)
{
    struct range r = {.seller = req_param(req, "id")};
    bool admin = req->role != NULL && strcmp(req->role, "admin") == 0;
    if (!admin && strcmp(r.seller, req->user_id) != 0)
        return app_error_set(err, req->arena, "not_found", "no seller %s among yours", r.seller);
    if (parse_range(req, &r, err) != 0)
        return -1;
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, payouts__sql(PAYOUTS_Q_SELLER_EXISTS), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(r.seller));
    int rc = db_step(st, &dberr);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no seller %s", r.seller);
    json_t *out = json_pack("{s:s, s:s, s:s, s:s}", "seller_id", r.seller, "from", req_time(req, r.from), "to",
                            req_time(req, r.to), "currency", r.currency);
    if (totals(req, &r, out, &dberr) != 0 || top_products(req, &r, out, &dberr) != 0 ||
        by_day(req, &r, out, &dberr) != 0) {
        json_decref(out);
        return req_db_error(req, &dberr, err);
    }
    res_json(req, 200, out);
    return 0;
}
