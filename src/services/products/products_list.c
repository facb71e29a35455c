/*
 * products_list.c — GET /api/v1/products: active products, filtered and
 * sorted, in keyset pages.
 *
 * One statement per page: the product cards joined with their shop, the
 * filter's conditions (products_filter.c), "after the cursor" as a row-value
 * comparison on the sort keys and id, ORDER BY those keys, LIMIT n + 1 (the
 * extra row says whether there is a next page). Its text depends only on the
 * shape of the request (which filters, which sort, cursor or not), so it is
 * interned and each connection prepares each shape once.
 *
 * Owner and admin views: ?status=draft|active|archived|removed lists products
 * in that status; a seller only with seller=<self>, an admin for anyone.
 * They also show products of shops that are not active, and "newest" sorts
 * them by creation time (drafts were never published).
 *
 * Caveats: an index ending in id exists for each public sort
 * (migrations/0005_catalog.sql); a new sort needs its index, or pages
 * become a sort of every matching row.
 */
#include <string.h>

#include "base/strbuf.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/products/products_int.h"

struct sort_sql {
    const char *keys;  /* two key columns selected after the card columns */
    const char *after; /* cursor condition: format with three parameter numbers */
    const char *order;
};

/* Public listings: active products, newest by publication. */
static const struct sort_sql sorts[] = {
    [PRODUCTS_SORT_NEWEST] = {"p.published_at, 0", " AND (p.published_at, p.id) < ($%d, $%d)",
                              " ORDER BY p.published_at DESC, p.id DESC"},
    [PRODUCTS_SORT_PRICE_ASC] = {"p.price_amount, 0", " AND (p.price_amount, p.id) > ($%d, $%d)",
                                 " ORDER BY p.price_amount ASC, p.id ASC"},
    [PRODUCTS_SORT_PRICE_DESC] = {"p.price_amount, 0", " AND (p.price_amount, p.id) < ($%d, $%d)",
                                  " ORDER BY p.price_amount DESC, p.id DESC"},
    [PRODUCTS_SORT_RATING] = {"p.rating_avg, p.rating_count",
                              " AND (p.rating_avg, p.rating_count, p.id) < ($%d, $%d, $%d)",
                              " ORDER BY p.rating_avg DESC, p.rating_count DESC, p.id DESC"},
    [PRODUCTS_SORT_POPULARITY] = {"p.popularity, 0", " AND (p.popularity, p.id) < ($%d, $%d)",
                                  " ORDER BY p.popularity DESC, p.id DESC"},
};

/* Owner and admin views: "newest" is by creation (a draft has no publication time). */
static const struct sort_sql newest_created = {"p.created_at, 0", " AND (p.created_at, p.id) < ($%d, $%d)",
                                               " ORDER BY p.created_at DESC, p.id DESC"};

const char *const products__statuses[] = {"draft", "active", "archived", "removed", NULL};

#define MAX_PARAMS 40

/* Who may see which status: public listings are active only. Returns 0, or -1 with err. */
static int check_status_access(struct request *req, const char *status, const char *seller, struct app_error *err)
{
    if (status == NULL)
        return 0;
    if (req->user_id == NULL)
        return app_error_set(err, req->arena, "unauthenticated", "sign in to list products by status");
    bool admin = req->role != NULL && strcmp(req->role, "admin") == 0;
    if (admin || (seller != NULL && strcmp(seller, req->user_id) == 0))
        return 0;
    return app_error_set(err, req->arena, "forbidden",
                         "status is only for your own products (seller=<your id>) or for admins");
}

int products_handle_list(struct request *req, struct app_error *err)
{
    struct products_filter f;
    if (products_filter_parse(req, &f, err) != 0)
        return -1;
    if (f.sort == PRODUCTS_SORT_RELEVANCE)
        return app_error_set(err, req->arena, "invalid_parameter", "sort=relevance needs a query: use /api/v1/search");
    if (f.sort == PRODUCTS_SORT_DEFAULT)
        f.sort = PRODUCTS_SORT_NEWEST;
    const char *status = req_param(req, "status");
    if (check_status_access(req, status, f.seller_id, err) != 0)
        return -1;
    bool owner_view = status != NULL;
    const struct sort_sql *s = owner_view && f.sort == PRODUCTS_SORT_NEWEST ? &newest_created : &sorts[f.sort];
    int64_t limit = req_param_i64(req, "limit", 20);

    struct products_cursor after = {0};
    const char *cursor = req_param(req, "cursor");
    if (cursor != NULL && products__cursor_decode(req, cursor, f.sort, &after, err) != 0)
        return -1;

    struct strbuf sql;
    strbuf_init(&sql, req->arena, 1024);
    struct db_param params[MAX_PARAMS];
    int np = 0;
    params[np++] = DB_TEXT(owner_view ? status : "active");
    /* CROSS JOIN keeps products the outer loop on SQLite (it does not reorder a CROSS JOIN): with few shops
       its planner otherwise scans shops first and reads each price range once per shop. PostgreSQL plans
       a CROSS JOIN with a WHERE condition like any inner join. */
    strbuf_printf(&sql,
                  "SELECT " PRODUCTS__CARD_COLS ", %s FROM products p CROSS JOIN shops s "
                  "WHERE s.id = p.shop_id AND p.status = $1",
                  s->keys);
    if (products__filter_sql(&f, owner_view ? PRODUCTS__SHOP_ANY : PRODUCTS__SHOP_JOINED, &sql, params, &np,
                             MAX_PARAMS - 4) != 0)
        return app_error_set(err, req->arena, "internal_error", "filter too large");
    if (cursor != NULL) {
        params[np++] = DB_I64(after.k1);
        if (f.sort == PRODUCTS_SORT_RATING)
            params[np++] = DB_I64(after.k2);
        params[np++] = DB_TEXT(after.id);
        if (f.sort == PRODUCTS_SORT_RATING)
            strbuf_printf(&sql, s->after, np - 2, np - 1, np);
        else
            strbuf_printf(&sql, s->after, np - 1, np);
    }
    strbuf_puts(&sql, s->order);
    params[np++] = DB_I64(limit + 1);
    strbuf_printf(&sql, " LIMIT $%d", np);

    struct db_error dberr = {0};
    const char *text = products_sql_intern(sql.data);
    struct db_stmt *st = text != NULL ? db_prepare(req->db, text, &dberr) : db_prepare_once(req->db, sql.data, &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind_all(st, params, np);

    struct jsonw w;
    jw_init(&w, req->arena, 1024 + (size_t)limit * 700);
    jw_obj(&w);
    jw_key(&w, "data");
    jw_arr(&w);
    struct products_cursor last = {.sort = f.sort};
    int64_t n = 0;
    bool more = false;
    int rc;
    while ((rc = db_step(st, &dberr)) == 1) {
        if (n == limit) {
            more = true;
            break;
        }
        struct products_card c;
        products__card_read(req->arena, st, &c);
        jw_obj(&w);
        products__card_write(&w, &c);
        jw_end(&w);
        last.k1 = db_column_i64(st, PRODUCTS__CARD_NCOLS);
        last.k2 = db_column_i64(st, PRODUCTS__CARD_NCOLS + 1);
        last.id = c.id;
        n++;
    }
    if (text != NULL)
        db_reset(st);
    else
        db_finalize(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    jw_end(&w);
    jw_key(&w, "next_cursor");
    jw_str(&w, more ? products__cursor_encode(req->arena, &last) : NULL);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}
