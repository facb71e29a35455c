/*
 * recs_model.c — the incremental co-occurrence model and trending.
 *
 * Events come from three sources, each scanned by time after its own
 * watermark (recs_state): order items of paid and later orders (weight 3,
 * at paid_at), wishlist adds (2, at created_at) and per-user views (1, at
 * last_at, written in batches by the products service's view flusher).
 *
 * Applying an event (u, p, w): the model keeps each user's strongest
 * weight per product in recs_interactions. If w does not raise it,
 * nothing happens. Otherwise, for each other product q in the user's
 * window (the RECS_WINDOW most recent), the pair contribution
 * min(w(p), w(q)) grows by min(w, w(q)) - min(w_old, w(q)), added to both
 * directions of recs_pairs, and recs_item_stats.total(p) grows by
 * w - w_old. So the model equals a full rebuild over the same events
 * (within the window), whatever the order or repetition of events: this
 * is what makes the overlap re-scan and crash-retries safe.
 *
 * Neighbour lists: each applied event marks its product in recs_dirty
 * (expand = 1: its total changed, so its partners' lists change too).
 * After the sources, refresh_neighbours() expands those marks to all
 * pair partners, then recomputes the dirty products' top RECS_NEIGHBOURS
 * lists in chunks of RECS_NB_CHUNK products, one transaction each, so a
 * crash leaves the rest marked for the next run.
 *
 * Each batch is one transaction that first updates the lock row of
 * recs_state: on PostgreSQL concurrent updaters (several instances)
 * queue behind it, so two of them never read the same old weight; on
 * SQLite BEGIN IMMEDIATE already serialises writers.
 *
 * Caveats: a scan starts RECS_OVERLAP_MS before the watermark, so an
 * event committed later than a newer one is still seen if it is less than
 * that late; a later one is missed (its weight never counts). Removed
 * wishlist entries and refunds do not lower a weight: interest was shown.
 * Trending is recomputed whole at each run (one INSERT ... SELECT over
 * the last 7 days of activity).
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "db/db.h"
#include "services/recs/recs.h"
#include "services/recs/recs_int.h"

#define RECS_BATCH 500
#define RECS_WINDOW 200
#define RECS_OVERLAP_MS 60000
#define RECS_NB_CHUNK 500

struct source {
    const char *name; /* recs_state row */
    enum recs_query scan;
    int weight;
};

static const struct source sources[] = {
    {"orders", RECS_Q_SCAN_ORDERS, RECS_W_BUY},
    {"wishlists", RECS_Q_SCAN_WISHLISTS, RECS_W_WISH},
    {"views", RECS_Q_SCAN_VIEWS, RECS_W_VIEW},
};

struct event {
    char user[ID_MAX_LEN];
    char product[ID_MAX_LEN];
    int64_t at;
};

struct neighbour {
    char product[ID_MAX_LEN];
    int weight;
};

static int min_i(int a, int b)
{
    return a < b ? a : b;
}

/*-----------------------------------------------------------------------------
 * One event
 */

/* Current weight of (user, product), 0 if none; -1 on error. */
static int weight_of(struct db *db, const char *user, const char *product, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, recs__sql(RECS_Q_INTER_GET), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(user));
    db_bind(st, 2, DB_TEXT(product));
    int rc = db_step(st, dberr);
    int w = rc == 1 ? (int)db_column_i64(st, 0) : 0;
    db_reset(st);
    return rc < 0 ? -1 : w;
}

/* The user's window of other products into nb (capacity RECS_WINDOW); count or -1. */
static int window_of(struct db *db, const char *user, const char *product, struct neighbour *nb,
                     struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, recs__sql(RECS_Q_INTER_NEIGHBOURS), dberr);
    if (st == NULL)
        return -1;
    struct db_param p[] = {DB_TEXT(user), DB_TEXT(product), DB_I64(RECS_WINDOW)};
    db_bind_all(st, p, 3);
    int n = 0, rc = 0;
    while (n < RECS_WINDOW && (rc = db_step(st, dberr)) == 1) {
        const char *id = db_column_text(st, 0);
        if (id == NULL || strlen(id) >= ID_MAX_LEN)
            continue;
        strcpy(nb[n].product, id);
        nb[n].weight = (int)db_column_i64(st, 1);
        n++;
    }
    db_reset(st);
    return rc < 0 ? -1 : n;
}

static int pair_add(struct db *db, const char *a, const char *b, int64_t delta, struct db_error *dberr)
{
    struct db_param ab[] = {DB_TEXT(a), DB_TEXT(b), DB_I64(delta)};
    struct db_param ba[] = {DB_TEXT(b), DB_TEXT(a), DB_I64(delta)};
    if (db_exec(db, recs__sql(RECS_Q_PAIR_ADD), ab, 3, dberr) < 0)
        return -1;
    return db_exec(db, recs__sql(RECS_Q_PAIR_ADD), ba, 3, dberr) < 0 ? -1 : 0;
}

/* Apply one event (see the file comment). nb is scratch of RECS_WINDOW entries. */
static int apply(struct db *db, const struct event *e, int w, struct neighbour *nb, struct recs_update_stats *st,
                 struct db_error *dberr)
{
    int old = weight_of(db, e->user, e->product, dberr);
    if (old < 0)
        return -1;
    if (w <= old)
        return 0;
    int n = window_of(db, e->user, e->product, nb, dberr);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        int delta = min_i(w, nb[i].weight) - min_i(old, nb[i].weight);
        if (delta > 0) {
            if (pair_add(db, e->product, nb[i].product, delta, dberr) != 0)
                return -1;
            st->pairs += 2;
        }
    }
    struct db_param up[] = {DB_TEXT(e->user), DB_TEXT(e->product), DB_I64(w), DB_I64(e->at)};
    struct db_param total[] = {DB_TEXT(e->product), DB_I64(w - old)};
    struct db_param dirty[] = {DB_TEXT(e->product)};
    if (db_exec(db, recs__sql(RECS_Q_INTER_UPSERT), up, 4, dberr) < 0 ||
        db_exec(db, recs__sql(RECS_Q_STATS_ADD), total, 2, dberr) < 0 ||
        db_exec(db, recs__sql(RECS_Q_DIRTY_MARK), dirty, 1, dberr) < 0)
        return -1;
    st->applied++;
    return 0;
}

/*-----------------------------------------------------------------------------
 * One batch of one source
 */
struct batch_tx {
    const struct source *src;
    int64_t after_at;  /* keyset: time */
    char after_key[2 * ID_MAX_LEN + 2];
    struct event *ev;  /* RECS_BATCH */
    struct neighbour *nb;
    int nread; /* events kept */
    int nrows; /* rows read */
    struct recs_update_stats st; /* of this batch */
};

static int read_batch(struct db *db, struct batch_tx *t, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, recs__sql(t->src->scan), dberr);
    if (st == NULL)
        return -1;
    struct db_param p[] = {DB_I64(t->after_at), DB_TEXT(t->after_key), DB_I64(RECS_BATCH)};
    db_bind_all(st, p, 3);
    int rc = 0;
    t->nread = t->nrows = 0;
    while (t->nrows < RECS_BATCH && (rc = db_step(st, dberr)) == 1) {
        t->nrows++;
        const char *u = db_column_text(st, 0), *pr = db_column_text(st, 1), *key = db_column_text(st, 3);
        int64_t at = db_column_i64(st, 2);
        /* The keyset advances over every row, even one skipped as malformed. */
        t->after_at = at;
        if (key != NULL && strlen(key) < sizeof t->after_key)
            strcpy(t->after_key, key);
        if (u == NULL || pr == NULL || strlen(u) >= ID_MAX_LEN || strlen(pr) >= ID_MAX_LEN)
            continue;
        struct event *e = &t->ev[t->nread++];
        strcpy(e->user, u);
        strcpy(e->product, pr);
        e->at = at;
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int run_batch(struct db *db, void *arg, struct db_error *dberr)
{
    struct batch_tx *t = arg;
    t->st = (struct recs_update_stats){0};
    if (db_exec(db, recs__sql(RECS_Q_LOCK), NULL, 0, dberr) < 0 || read_batch(db, t, dberr) != 0)
        return -1;
    for (int i = 0; i < t->nread; i++)
        if (apply(db, &t->ev[i], t->src->weight, t->nb, &t->st, dberr) != 0)
            return -1;
    t->st.events = t->nread;
    struct db_param p[] = {DB_TEXT(t->src->name), DB_I64(t->after_at)};
    return db_exec(db, recs__sql(RECS_Q_STATE_SET), p, 2, dberr) < 0 ? -1 : 0;
}

static int watermark(struct db *db, const char *name, int64_t *out, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, recs__sql(RECS_Q_STATE_GET), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(name));
    int rc = db_step(st, dberr);
    *out = rc == 1 ? db_column_i64(st, 0) : 0;
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Every pending event of one source, batch after batch. */
static int update_source(struct db *db, const struct source *src, struct batch_tx *t, struct recs_update_stats *st,
                         struct db_error *dberr)
{
    int64_t mark;
    if (watermark(db, src->name, &mark, dberr) != 0)
        return -1;
    t->src = src;
    t->after_at = mark > RECS_OVERLAP_MS ? mark - RECS_OVERLAP_MS : 0;
    t->after_key[0] = '\0';
    for (;;) {
        /* db_tx may rerun the batch: it restarts from the same keyset. */
        int64_t at = t->after_at;
        char key[sizeof t->after_key];
        strcpy(key, t->after_key);
        if (db_tx(db, 5, run_batch, t, dberr) != 0) {
            t->after_at = at;
            strcpy(t->after_key, key);
            return -1;
        }
        st->events += t->st.events;
        st->applied += t->st.applied;
        st->pairs += t->st.pairs;
        if (t->nrows < RECS_BATCH)
            return 0;
    }
}

/*-----------------------------------------------------------------------------
 * Neighbour lists
 */

/* Every product whose total changed (expand = 1) makes its pair partners dirty too. */
static int expand_dirty(struct db *db, void *arg, struct db_error *dberr)
{
    (void)arg;
    if (db_exec(db, recs__sql(RECS_Q_LOCK), NULL, 0, dberr) < 0 ||
        db_exec(db, recs__sql(RECS_Q_DIRTY_EXPAND), NULL, 0, dberr) < 0)
        return -1;
    return db_exec(db, recs__sql(RECS_Q_DIRTY_EXPANDED), NULL, 0, dberr) < 0 ? -1 : 0;
}

struct chunk_tx {
    bool done; /* no dirty product was left */
};

/* Recompute the neighbour lists of the next RECS_NB_CHUNK dirty products (by id), then forget them. */
static int refresh_chunk(struct db *db, void *arg, struct db_error *dberr)
{
    struct chunk_tx *t = arg;
    if (db_exec(db, recs__sql(RECS_Q_LOCK), NULL, 0, dberr) < 0)
        return -1;
    struct db_stmt *st = db_prepare(db, recs__sql(RECS_Q_DIRTY_BOUND), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_I64(RECS_NB_CHUNK));
    int rc = db_step(st, dberr);
    char bound[ID_MAX_LEN] = "";
    const char *b = rc == 1 ? db_column_text(st, 0) : NULL;
    if (b != NULL && strlen(b) < sizeof bound)
        strcpy(bound, b);
    db_reset(st);
    if (rc < 0)
        return -1;
    t->done = bound[0] == '\0';
    if (t->done)
        return 0;
    struct db_param one[] = {DB_TEXT(bound)};
    struct db_param fill[] = {DB_TEXT(bound), DB_I64(RECS_NEIGHBOURS)};
    if (db_exec(db, recs__sql(RECS_Q_NB_CLEAR), one, 1, dberr) < 0 ||
        db_exec(db, recs__sql(RECS_Q_NB_FILL), fill, 2, dberr) < 0)
        return -1;
    return db_exec(db, recs__sql(RECS_Q_DIRTY_DONE), one, 1, dberr) < 0 ? -1 : 0;
}

static int refresh_neighbours(struct db *db, struct db_error *dberr)
{
    if (db_tx(db, 5, expand_dirty, NULL, dberr) != 0)
        return -1;
    struct chunk_tx t = {0};
    while (!t.done)
        if (db_tx(db, 5, refresh_chunk, &t, dberr) != 0)
            return -1;
    return 0;
}

static int trending(struct db *db, void *arg, struct db_error *dberr)
{
    const int64_t *now = arg;
    struct db_param p[] = {DB_I64(RECS_TREND_WINDOW_MS), DB_I64(*now)};
    struct db_param mark[] = {DB_TEXT("trending"), DB_I64(*now)};
    if (db_exec(db, recs__sql(RECS_Q_LOCK), NULL, 0, dberr) < 0 ||
        db_exec(db, recs__sql(RECS_Q_TREND_CLEAR), NULL, 0, dberr) < 0 ||
        db_exec(db, recs__sql(RECS_Q_TREND_FILL), p, 2, dberr) < 0)
        return -1;
    return db_exec(db, recs__sql(RECS_Q_STATE_SET), mark, 2, dberr) < 0 ? -1 : 0;
}

int recs_update(struct db *db, int64_t now_ms, struct recs_update_stats *st, struct db_error *err)
{
    struct recs_update_stats local = {0};
    if (st == NULL)
        st = &local;
    *st = (struct recs_update_stats){0};
    struct batch_tx *t = xcalloc(1, sizeof *t);
    t->ev = xcalloc(RECS_BATCH, sizeof *t->ev);
    t->nb = xcalloc(RECS_WINDOW, sizeof *t->nb);
    int rc = 0;
    for (size_t i = 0; i < sizeof sources / sizeof sources[0] && rc == 0; i++)
        rc = update_source(db, &sources[i], t, st, err);
    if (rc == 0)
        rc = refresh_neighbours(db, err);
    if (rc == 0)
        rc = db_tx(db, 5, trending, &now_ms, err);
    free(t->nb);
    free(t->ev);
    free(t);
    return rc;
}
