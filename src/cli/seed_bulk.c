/*
 * seed_bulk.c — multi-row INSERT batches for the generated catalogue.
 *
 * A writer buffers rows (values as struct db_param, text copied into an
 * arena) and writes them `batch` rows at a time through one statement
 *   <head> VALUES ($1, ..., $k), ($k+1, ...), ... <tail>
 * prepared once per writer. On PostgreSQL that is one round trip per batch
 * instead of one per row (the difference between minutes and seconds for a
 * large catalogue); on SQLite it saves the per-statement overhead. The last,
 * partial batch gets a statement of its own size.
 *
 * On PostgreSQL the batch is as many rows as fit under SEED_BULK_MAX_PARAMS
 * parameters, at most SEED_BULK_MAX_ROWS. The bound is libpq's, not the
 * server's (65535): libpq 15 treats a ParameterDescription message over
 * 30000 bytes (about 7500 parameters) as lost synchronisation, and larger
 * batches gained nothing in measurements. On SQLite a batch is one row: a
 * reused prepared statement is as fast as it gets there.
 *
 * Caveats: the statement text is built at run time, from the caller's
 * static head and tail and numbered placeholders only (never from data), so
 * it goes through db_prepare_once() rather than the cache keyed by static
 * addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "cli/seed_int.h"

#define SEED_BULK_MAX_PARAMS 3000
#define SEED_BULK_MAX_ROWS 500

struct seed_bulk {
    struct db *db;
    const char *head;
    const char *tail;
    int ncols;
    int batch;             /* rows per full statement */
    struct db_stmt *full;  /* prepared on first use */
    struct db_param *vals; /* batch * ncols */
    int nvals;             /* values buffered (all rows) */
    int row_start;         /* index of the current row's first value */
    struct arena text;     /* copies of the buffered text values */
    int64_t written;
};

struct seed_bulk *seed__bulk_new(struct db *db, const char *head, int ncols, const char *tail)
{
    struct seed_bulk *b = xcalloc(1, sizeof(*b));

    APP_ASSERT(ncols > 0 && ncols <= SEED_BULK_MAX_PARAMS);
    b->db = db;
    b->head = head;
    b->tail = tail != NULL ? tail : "";
    b->ncols = ncols;
    {
        /*
         * SQLite: one row per run of a reused statement. Multi-row VALUES runs
         * no faster there and costs more to prepare (the $n-by-name mapping is
         * quadratic in the parameter count). PostgreSQL: as many rows as fit,
         * one round trip each.
         */
        int maxp = db_engine(db) == DB_ENGINE_PG ? SEED_BULK_MAX_PARAMS : ncols;
        b->batch = maxp / ncols > 0 ? maxp / ncols : 1;
    }
    if (b->batch > SEED_BULK_MAX_ROWS)
        b->batch = SEED_BULK_MAX_ROWS;
    b->vals = xcalloc((size_t)b->batch * (size_t)ncols, sizeof(*b->vals));
    arena_init(&b->text, 64 * 1024);
    return b;
}

void seed__bulk_free(struct seed_bulk *b)
{
    if (b == NULL)
        return;
    if (b->full != NULL)
        db_finalize(b->full);
    arena_destroy(&b->text);
    free(b->vals);
    free(b);
}

/*
 * The one engine difference of the loader. SQLite's default page cache
 * (2 MiB) is far smaller than a large catalogue's indexes: the transaction
 * spills dirty pages to the WAL and reads them back, which doubles the load
 * time of 100k products. 256 MiB, for this connection only (the seeding
 * process exits afterwards).
 */
int seed__bulk_session(struct db *db, struct db_error *err)
{
    if (db_engine(db) != DB_ENGINE_SQLITE)
        return 0;
    return db_exec_script(db, "PRAGMA cache_size = -262144", err);
}

int64_t seed__bulk_rows(const struct seed_bulk *b)
{
    return b->written;
}

static void push(struct seed_bulk *b, struct db_param p)
{
    /* A row with more values than columns is a bug in the caller. */
    APP_ASSERT(b->nvals - b->row_start < b->ncols);
    b->vals[b->nvals++] = p;
}

void seed__bulk_text(struct seed_bulk *b, const char *s)
{
    if (s == NULL) {
        push(b, DB_NULL);
        return;
    }
    size_t len = strlen(s);
    char *copy = arena_strndup(&b->text, s, len);
    /* .len stays 0: the drivers take strlen of a NUL-terminated TEXT value, and "" must stay "". */
    push(b, DB_TEXT(copy));
}

void seed__bulk_i64(struct seed_bulk *b, int64_t v)
{
    push(b, DB_I64(v));
}

void seed__bulk_null(struct seed_bulk *b)
{
    push(b, DB_NULL);
}

/* "<head> VALUES ($1, $2), ($3, $4) <tail>" for rows rows; the caller frees. */
static char *batch_sql(const struct seed_bulk *b, int rows)
{
    struct strbuf sql;
    int n = 1;

    strbuf_init(&sql, NULL, strlen(b->head) + (size_t)rows * (size_t)b->ncols * 8 + 64);
    strbuf_puts(&sql, b->head);
    strbuf_puts(&sql, " VALUES ");
    for (int r = 0; r < rows; r++) {
        strbuf_puts(&sql, r > 0 ? ", (" : "(");
        for (int c = 0; c < b->ncols; c++)
            strbuf_printf(&sql, c > 0 ? ", $%d" : "$%d", n++);
        strbuf_putc(&sql, ')');
    }
    strbuf_puts(&sql, b->tail);
    return sql.data; /* heap buffer: ownership passes to the caller */
}

/* Run st with the first nvals buffered values. */
static int run(struct db_stmt *st, const struct db_param *vals, int nvals, struct db_error *err)
{
    int rc;

    db_reset(st);
    if (db_bind_all(st, vals, nvals) != 0) {
        snprintf(err->msg, sizeof(err->msg), "seed: cannot bind %d values", nvals);
        err->kind = DB_E_OTHER;
        return -1;
    }
    rc = db_step(st, err);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

int seed__bulk_flush(struct seed_bulk *b, struct db_error *err)
{
    int rows = b->nvals / b->ncols;
    int rc = -1;

    APP_ASSERT(b->row_start == b->nvals); /* no half-built row */
    if (rows == 0)
        return 0;
    if (rows == b->batch) {
        if (b->full == NULL) {
            char *sql = batch_sql(b, rows);
            b->full = db_prepare_once(b->db, sql, err);
            free(sql);
            if (b->full == NULL)
                goto out;
        }
        if (run(b->full, b->vals, b->nvals, err) != 0)
            goto out;
    } else {
        /* The last, partial batch: a statement of its own size, used once. */
        char *sql = batch_sql(b, rows);
        struct db_stmt *st = db_prepare_once(b->db, sql, err);
        free(sql);
        if (st == NULL)
            goto out;
        int r = run(st, b->vals, b->nvals, err);
        db_finalize(st);
        if (r != 0)
            goto out;
    }
    b->written += rows;
    rc = 0;
out:
    b->nvals = 0;
    b->row_start = 0;
    arena_reset(&b->text);
    return rc;
}

int seed__bulk_row(struct seed_bulk *b, struct db_error *err)
{
    APP_ASSERT(b->nvals - b->row_start == b->ncols);
    b->row_start = b->nvals;
    if (b->nvals / b->ncols < b->batch)
        return 0;
    return seed__bulk_flush(b, err);
}
