/*
 * recs_rank.c — the for-me ranking: collaborative filtering first, then
 * trending fill (recs_for_me in recs.h).
 *
 * CF (RECS_Q_FOR_ME) ranks from the neighbour lists of the user's
 * products alone and checks only the best 2·cap + 20 against products
 * (public); when too few of them are public it runs again 4× deeper. The
 * fill reads recs_trending by position: one index range per category of
 * the user (merged by position), then one over all; each stops at the
 * page size. So the cost depends on the user's history (≤ 50 rows per
 * product) and the page, not on the catalogue or the event tables.
 *
 * Caveats: pages are offsets into a ranking recomputed per request, so a
 * model update between two pages can repeat or skip an item. If none of
 * the best 2·cap + 20 candidates is public the personal part is empty and
 * the fill takes over.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "db/db.h"
#include "services/recs/recs.h"
#include "services/recs/recs_int.h"

/* The CF candidate list deepens (x4) while too few candidates are public, up to this. */
#define RECS_CANDIDATES_MAX 20000

struct ranking {
    struct recs_item *items;
    size_t n, cap;
};

static bool has(const struct ranking *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].id, id) == 0)
            return true;
    return false;
}

/* Append r's missing ids from st's rows (id, score[, pos]) up to r->cap; pos of each appended into pos. */
static int take(struct db_stmt *st, int personal, struct ranking *r, int64_t *pos, struct db_error *err)
{
    int rc = 0;
    while (r->n < r->cap && (rc = db_step(st, err)) == 1) {
        const char *id = db_column_text(st, 0);
        if (id == NULL || strlen(id) >= ID_MAX_LEN || has(r, id))
            continue;
        if (pos != NULL)
            pos[r->n] = db_column_i64(st, 2);
        struct recs_item *it = &r->items[r->n++];
        strcpy(it->id, id);
        it->score = db_column_f64(st, 1);
        it->personal = personal;
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

/* CF: the best candidates ranked from the neighbour lists, then checked against products; when too many of
   them were not public, again with a deeper candidate list. */
static int personal(struct db *db, const char *user_id, struct ranking *r, struct db_error *err)
{
    int64_t *ranked = xcalloc(r->cap > 0 ? r->cap : 1, sizeof *ranked); /* column 2: candidates ranked */
    int rc = 0;
    for (int64_t depth = (int64_t)r->cap * 2 + 20;; depth *= 4) {
        struct db_stmt *st = db_prepare(db, recs__sql(RECS_Q_FOR_ME), err);
        if (st == NULL) {
            rc = -1;
            break;
        }
        struct db_param p[] = {DB_TEXT(user_id), DB_I64(r->cap), DB_I64(depth)};
        db_bind_all(st, p, 3);
        r->n = 0;
        if ((rc = take(st, 1, r, ranked, err)) != 0)
            break;
        /* Done when the page is full, no candidate was public (the fill takes over) or all were ranked. */
        if (r->n == r->cap || r->n == 0 || ranked[0] < depth || depth > RECS_CANDIDATES_MAX)
            break;
    }
    free(ranked);
    return rc;
}

struct filled {
    struct recs_item item;
    int64_t pos;
};

static int by_pos(const void *a, const void *b)
{
    const struct filled *x = a, *y = b;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Trending of the user's categories: per category the best `need`, merged by trending rank. */
static int fill_favourites(struct db *db, const char *user_id, struct ranking *r, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, recs__sql(RECS_Q_USER_CATS), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(user_id));
    size_t ncat = 0, capcat = 8;
    char(*cats)[ID_MAX_LEN] = xcalloc(capcat, ID_MAX_LEN);
    int rc;
    while ((rc = db_step(st, err)) == 1) {
        const char *c = db_column_text(st, 0);
        if (c == NULL || strlen(c) >= ID_MAX_LEN)
            continue;
        if (ncat == capcat) {
            capcat *= 2;
            cats = xrealloc(cats, capcat * ID_MAX_LEN);
        }
        strcpy(cats[ncat++], c);
    }
    db_reset(st);
    /* Per category: the page's missing `need`, plus as many as may be dropped as already ranked. */
    size_t per = r->cap, room = per * (ncat > 0 ? ncat : 1);
    struct ranking fav = {.items = xcalloc(room, sizeof *fav.items)};
    int64_t *pos = xcalloc(room, sizeof *pos);
    for (size_t c = 0; rc == 0 && c < ncat; c++) {
        st = db_prepare(db, recs__sql(RECS_Q_FILL_CAT), err);
        if (st == NULL) {
            rc = -1;
            break;
        }
        struct db_param p[] = {DB_TEXT(user_id), DB_TEXT(cats[c]), DB_I64(per), DB_I64(RECS_FILL_TOP)};
        db_bind_all(st, p, 4);
        fav.cap = fav.n + per;
        rc = take(st, 0, &fav, pos, err);
    }
    struct filled *f = xcalloc(fav.n > 0 ? fav.n : 1, sizeof *f);
    for (size_t i = 0; i < fav.n; i++)
        f[i] = (struct filled){fav.items[i], pos[i]};
    qsort(f, fav.n, sizeof *f, by_pos);
    for (size_t i = 0; rc == 0 && i < fav.n && r->n < r->cap; i++)
        if (!has(r, f[i].item.id))
            r->items[r->n++] = f[i].item;
    free(f);
    free(pos);
    free(fav.items);
    free(cats);
    return rc < 0 ? -1 : 0;
}

/* Then the most trending of all categories. */
static int fill_all(struct db *db, const char *user_id, struct ranking *r, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, recs__sql(RECS_Q_FILL_ALL), err);
    if (st == NULL)
        return -1;
    struct db_param p[] = {DB_TEXT(user_id), DB_I64(r->cap + r->n), DB_I64(RECS_FILL_TOP)};
    db_bind_all(st, p, 3);
    return take(st, 0, r, NULL, err);
}

int recs_for_me(struct db *db, const char *user_id, size_t offset, size_t limit, struct recs_item *out, size_t *n,
                struct db_error *err)
{
    struct ranking r = {.cap = offset + limit};
    r.items = xcalloc(r.cap > 0 ? r.cap : 1, sizeof *r.items);
    *n = 0;
    int rc = personal(db, user_id, &r, err);
    if (rc == 0 && r.n < r.cap)
        rc = fill_favourites(db, user_id, &r, err);
    if (rc == 0 && r.n < r.cap)
        rc = fill_all(db, user_id, &r, err);
    if (rc == 0 && r.n > offset) {
        *n = r.n - offset;
        memcpy(out, r.items + offset, *n * sizeof *out);
    }
    free(r.items);
    return rc;
}
