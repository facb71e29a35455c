/*
 * recs_handlers.c — GET /products/:id/similar, /recommendations/for-me and
 * /recommendations/trending.
 *
 * Each answers {data: [product cards + score (+ reasons / source)],
 * next_cursor}. The lists are rankings, not keyset-ordered tables: the
 * cursor is the offset of the next page ("o<n>"), at most RECS_MAX_DEPTH
 * results deep; anything else is 400 invalid_cursor.
 *
 * Caveats: cards skip products that stopped being public between the
 * ranking and the rendering, so a page can hold fewer than limit cards.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "http/jsonw.h"
#include "services/products/products.h"
#include "services/recs/recs.h"
#include "services/recs/recs_int.h"

#define RECS_MAX_DEPTH 200

/* A page request: offset from the cursor, limit from ?limit=. */
struct page {
    size_t offset, limit;
};

static int page_parse(struct request *req, struct page *pg, struct app_error *err)
{
    pg->limit = (size_t)req_param_i64(req, "limit", 20);
    pg->offset = 0;
    const char *c = req_param(req, "cursor");
    if (c == NULL)
        return 0;
    char *end;
    errno = 0;
    long v = c[0] == 'o' && c[1] >= '0' && c[1] <= '9' ? strtol(c + 1, &end, 10) : -1;
    if (v < 0 || errno != 0 || *end != '\0' || v >= RECS_MAX_DEPTH)
        return app_error_set(err, req->arena, "invalid_cursor", "this cursor was not made by this list");
    pg->offset = (size_t)v;
    return 0;
}

/* next_cursor after a page that found `more` results beyond it. */
static const char *next_cursor(struct request *req, const struct page *pg, bool more)
{
    size_t next = pg->offset + pg->limit;
    if (!more || next >= RECS_MAX_DEPTH)
        return NULL;
    return arena_sprintf(req->arena, "o%zu", next);
}

/* Ranked ids with a score and per-item extras, rendered as cards. */
struct ranked {
    const char **ids;
    double *score;
    const char **extra_json; /* raw JSON for "reasons" (similar) or NULL */
    const char **source;     /* "personal" / "trending" (for-me) or NULL */
    size_t n;
};

static void write_extra(struct jsonw *w, size_t i, void *ctx)
{
    const struct ranked *r = ctx;
    char num[48];
    snprintf(num, sizeof num, "%.6g", isfinite(r->score[i]) ? r->score[i] : 0.0);
    jw_key(w, "score");
    jw_raw(w, num);
    if (r->extra_json != NULL) {
        jw_key(w, "reasons");
        jw_raw(w, r->extra_json[i]);
    }
    if (r->source != NULL)
        jw_kstr(w, "source", r->source[i]);
}

static int reply(struct request *req, struct ranked *r, const struct page *pg, bool more,
                 struct app_error *err)
{
    struct jsonw w;
    jw_init(&w, req->arena, 512 + r->n * 600);
    jw_obj(&w);
    jw_key(&w, "data");
    if (products_write_cards(req, &w, r->ids, r->n, write_extra, r, err) != 0)
        return -1;
    jw_key(&w, "next_cursor");
    jw_str(&w, next_cursor(req, pg, more));
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}

static void ranked_alloc(struct request *req, struct ranked *r, size_t cap)
{
    r->ids = arena_array(req->arena, const char *, cap);
    r->score = arena_array(req->arena, double, cap);
    r->n = 0;
}

/*-----------------------------------------------------------------------------
 * Similar
 */
static const char *reasons_json(struct request *req, const struct recs_similar_row *row)
{
    return arena_sprintf(req->arena, "{\"same_category\":%s,\"shared_tags\":%d,\"shared_materials\":%d,"
                                     "\"price_band\":%s}",
                         row->same_cat ? "true" : "false", row->tags, row->mats, row->band ? "true" : "false");
}

/* The public product's rev into *rev: 1, 0 when not public or unknown, -1 on error. */
static int public_rev(struct request *req, const char *id, int64_t *rev, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, recs__sql(RECS_Q_PRODUCT_PUBLIC), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, dberr);
    *rev = rc == 1 ? db_column_i64(st, 0) : 0;
    db_reset(st);
    return rc;
}

/* The ranking (limit + 1 rows from offset) into rows; count or -1. */
static int similar_rows(struct request *req, const char *id, const struct page *pg, struct recs_similar_row *rows,
                        struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, recs__sql(RECS_Q_SIMILAR), dberr);
    if (st == NULL)
        return -1;
    struct db_param p[] = {DB_TEXT(id), DB_I64(pg->limit + 1), DB_I64(pg->offset)};
    db_bind_all(st, p, 3);
    int n = 0, rc = 0;
    while ((size_t)n < pg->limit + 1 && (rc = db_step(st, dberr)) == 1) {
        const char *pid = db_column_text(st, 0);
        if (pid == NULL || strlen(pid) >= ID_MAX_LEN)
            continue;
        /* Columns: 1 same category, 2 shared tags, 3 shared materials, 4 price band, 5 score. */
        struct recs_similar_row *r = &rows[n++];
        strcpy(r->id, pid);
        r->same_cat = (int)db_column_i64(st, 1);
        r->tags = (int)db_column_i64(st, 2);
        r->mats = (int)db_column_i64(st, 3);
        r->band = (int)db_column_i64(st, 4);
        r->score = (int)db_column_i64(st, 5);
    }
    db_reset(st);
    return rc < 0 ? -1 : n;
}

int recs_handle_similar(struct request *req, struct app_error *err)
{
    struct page pg;
    if (page_parse(req, &pg, err) != 0)
        return -1;
    const char *id = req_param(req, "id");
    struct db_error dberr = {0};
    int64_t rev;
    int rc = public_rev(req, id, &rev, &dberr);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no product %s", id);
    struct recs_similar_row *rows = arena_array(req->arena, struct recs_similar_row, pg.limit + 1);
    size_t n;
    if (!recs__cache_get(id, rev, pg.offset, pg.limit, rows, &n)) {
        int got = similar_rows(req, id, &pg, rows, &dberr);
        if (got < 0)
            return req_db_error(req, &dberr, err);
        n = (size_t)got;
        recs__cache_put(id, rev, pg.offset, pg.limit, rows, n);
    }
    struct ranked r = {0};
    ranked_alloc(req, &r, pg.limit + 1);
    r.extra_json = arena_array(req->arena, const char *, pg.limit + 1);
    for (size_t i = 0; i < n; i++) {
        r.ids[i] = rows[i].id;
        r.score[i] = rows[i].score;
        r.extra_json[i] = reasons_json(req, &rows[i]);
    }
    r.n = n;
    bool more = r.n > pg.limit;
    if (more)
        r.n = pg.limit;
    return reply(req, &r, &pg, more, err);
}

/*-----------------------------------------------------------------------------
 * For me
 */
int recs_handle_for_me(struct request *req, struct app_error *err)
{
    struct page pg;
    if (page_parse(req, &pg, err) != 0)
        return -1;
    size_t cap = pg.limit + 1;
    struct recs_item *items = arena_array(req->arena, struct recs_item, cap);
    size_t n = 0;
    struct db_error dberr = {0};
    if (recs_for_me(req->db, req->user_id, pg.offset, cap, items, &n, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    struct ranked r = {0};
    ranked_alloc(req, &r, cap);
    r.source = arena_array(req->arena, const char *, cap);
    for (size_t i = 0; i < n; i++) {
        r.ids[i] = items[i].id;
        r.score[i] = items[i].score;
        r.source[i] = items[i].personal ? "personal" : "trending";
    }
    r.n = n;
    bool more = r.n > pg.limit;
    if (more)
        r.n = pg.limit;
    return reply(req, &r, &pg, more, err);
}

/*-----------------------------------------------------------------------------
 * Trending
 */
int recs_handle_trending(struct request *req, struct app_error *err)
{
    struct page pg;
    if (page_parse(req, &pg, err) != 0)
        return -1;
    const char *category = req_param(req, "category");
    struct db_error dberr = {0};
    struct db_stmt *st =
        db_prepare(req->db, recs__sql(category ? RECS_Q_TRENDING_CATEGORY : RECS_Q_TRENDING), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    struct db_param p[] = {DB_I64(pg.limit + 1), DB_I64(pg.offset), DB_TEXT(category)};
    db_bind_all(st, p, category ? 3 : 2);
    struct ranked r = {0};
    ranked_alloc(req, &r, pg.limit + 1);
    int rc = 0;
    while (r.n < pg.limit + 1 && (rc = db_step(st, &dberr)) == 1) {
        r.ids[r.n] = arena_strdup(req->arena, db_column_text(st, 0));
        r.score[r.n] = (double)db_column_i64(st, 1);
        r.n++;
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    bool more = r.n > pg.limit;
    if (more)
        r.n = pg.limit;
    return reply(req, &r, &pg, more, err);
}
