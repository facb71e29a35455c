/*
 * search_rebuild.c — search_rebuild(): the whole index from the products
 * table, inside the caller's transaction.
 *
 * Products are read in pages of REBUILD_PAGE by id (a keyset, so neither
 * engine buffers the whole catalogue), analysed in C, and written as one
 * JSON batch per page on PostgreSQL (SQ_DOCS_BULK: one round trip), or with
 * a prepared insert per row on SQLite (in-process, that is cheaper than
 * unpacking JSON). The vocabulary and the suggestion
 * phrases are counted in memory meanwhile (hash tables) and written in
 * batches at the end; the prefix rows are then made by one INSERT ... SELECT
 * from the phrases. On SQLite the FTS5 index is rebuilt from search_docs in
 * one 'rebuild' command, which is much faster than row-by-row inserts.
 *
 * Caveats: memory grows with the vocabulary and the number of distinct
 * phrases (about 100 bytes each), not with the catalogue's text. Readers see
 * the old index until the transaction commits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/search_int.h"
#include "platform/versions.h"

#define REBUILD_PAGE 1000
#define BULK_ROWS 2000

/*-----------------------------------------------------------------------------
 * A string-keyed counting table (heap, freed at the end of the rebuild)
 */

struct count_ent {
    const char *key; /* NULL: empty slot; "kind\x1fphrase" for phrases */
    uint64_t hash;
    int64_t docs, popularity, last_doc;
    const char *display;
};

struct count_map {
    struct count_ent *e;
    size_t cap, n;
    struct arena *keys; /* key and display strings */
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void map_grow(struct count_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 4096;
    struct count_ent *ne = xcalloc(ncap, sizeof *ne);
    for (size_t i = 0; i < m->cap; i++) {
        if (m->e[i].key == NULL)
            continue;
        size_t j = (size_t)m->e[i].hash & (ncap - 1);
        while (ne[j].key != NULL)
            j = (j + 1) & (ncap - 1);
        ne[j] = m->e[i];
    }
    free(m->e);
    m->e = ne;
    m->cap = ncap;
}

/* The entry for key[0..n), created (zeroed) when new. */
static struct count_ent *map_get(struct count_map *m, const char *key, size_t n)
{
    if ((m->n + 1) * 2 > m->cap)
        map_grow(m);
    uint64_t h = fnv1a(key, n);
    size_t j = (size_t)h & (m->cap - 1);
    for (;; j = (j + 1) & (m->cap - 1)) {
        struct count_ent *e = &m->e[j];
        if (e->key == NULL) {
            e->key = arena_strndup(m->keys, key, n);
            e->hash = h;
            e->last_doc = -1;
            m->n++;
            return e;
        }
        if (e->hash == h && strncmp(e->key, key, n) == 0 && e->key[n] == '\0')
            return e;
    }
}

/*-----------------------------------------------------------------------------
 * Rebuild
 */

struct rebuild {
    struct db *db;
    struct count_map terms, phrases;
    int64_t docs;
    int64_t now;
};

/* Count the distinct terms of one document (last_doc marks terms already counted for it). */
static void count_terms(struct rebuild *r, const struct search__doc *d)
{
    for (int f = 0; f < F__COUNT; f++) {
        const char *p = d->f[f];
        while (*p) {
            const char *sp = strchr(p, ' ');
            size_t len = sp ? (size_t)(sp - p) : strlen(p);
            if (len > 0) {
                struct count_ent *e = map_get(&r->terms, p, len);
                if (e->last_doc != r->docs) {
                    e->last_doc = r->docs;
                    e->docs++;
                }
            }
            p += len;
            if (*p == ' ')
                p++;
        }
    }
}

static void count_phrases(struct rebuild *r, struct arena *a, const struct search__doc *d)
{
    size_t n;
    struct search__contrib *c = search__doc_contribs(a, d, &n);
    for (size_t i = 0; i < n; i++) {
        const char *key = arena_sprintf(a, "%s\x1f%s", c[i].kind, c[i].phrase);
        struct count_ent *e = map_get(&r->phrases, key, strlen(key));
        if (e->display == NULL)
            e->display = arena_strdup(r->phrases.keys, c[i].display);
        e->docs++;
        e->popularity += d->popularity > 0 ? d->popularity : 0;
    }
}

/* A '\n'-separated list from SQL, sorted (as a sync stores it). */
static const char *sorted_list(struct arena *a, const char *s)
{
    if (s == NULL || *s == '\0')
        return "";
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == '\n';
    const char **v = arena_array(a, const char *, n);
    char *copy = arena_strdup(a, s);
    size_t k = 0;
    for (char *tok = copy, *nl; tok != NULL; tok = nl) {
        nl = strchr(tok, '\n');
        if (nl != NULL)
            *nl++ = '\0';
        v[k++] = tok;
    }
    for (size_t i = 1; i < k; i++) /* insertion sort: a product has a handful of tags */
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            const char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    struct strbuf sb;
    strbuf_init(&sb, a, strlen(s) + 1);
    for (size_t i = 0; i < k; i++) {
        if (i > 0)
            strbuf_putc(&sb, '\n');
        strbuf_puts(&sb, v[i]);
    }
    return sb.data;
}

static void doc_json(struct arena *a, struct strbuf *sb, const char *id, const struct search__doc *d)
{
    const char *s[] = {id,
                       d->shop_id,
                       d->f[F_TITLE],
                       d->f[F_TAGS],
                       d->f[F_MATERIALS],
                       d->f[F_SHOP],
                       d->f[F_DESCRIPTION],
                       d->tag_values,
                       d->material_values,
                       d->title_phrase,
                       d->shop_phrase};
    strbuf_putc(sb, sb->len > 1 ? ',' : ' ');
    strbuf_putc(sb, '[');
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        search__json_str(sb, s[i]);
        strbuf_putc(sb, ',');
    }
    struct strbuf tsv;
    strbuf_init(&tsv, a, 1024);
    search__tsvector(a, d, &tsv);
    strbuf_printf(sb, "%lld,", (long long)d->popularity);
    search__json_str(sb, tsv.data);
    strbuf_putc(sb, ']');
}

/* Read, analyse and write one page of products after *after; *got receives the number of rows. */
static int rebuild_page(struct rebuild *r, struct arena *a, char *after, size_t after_cap, size_t *got,
                        struct db_error *err)
{
    struct db *db = r->db;
    struct db_stmt *st = db_prepare(db, search__sql(db, SQ_REBUILD_PAGE), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(after));
    db_bind(st, 2, DB_I64(REBUILD_PAGE));
    /* PostgreSQL: one JSON batch per page; SQLite: the page's rows, inserted after the read. */
    bool bulk = search__sql(db, SQ_DOCS_BULK) != NULL;
    const char **ids = bulk ? NULL : arena_array(a, const char *, REBUILD_PAGE);
    struct search__doc *docs = bulk ? NULL : arena_array(a, struct search__doc, REBUILD_PAGE);
    struct strbuf json;
    strbuf_init(&json, a, bulk ? 1 << 20 : 16);
    strbuf_putc(&json, '[');
    int rc;
    *got = 0;
    while ((rc = db_step(st, err)) == 1) {
        struct search__doc d = {.present = true};
        const char *id = arena_strdup(a, db_column_text(st, 0));
        d.shop_id = arena_strdup(a, db_column_text(st, 1));
        const char *title = arena_strdup(a, db_column_text(st, 2));
        const char *description = arena_strdup(a, db_column_text(st, 3));
        d.popularity = db_column_i64(st, 4);
        const char *shop_name = arena_strdup(a, db_column_text(st, 5));
        d.tag_values = sorted_list(a, db_column_text(st, 6));
        d.material_values = sorted_list(a, db_column_text(st, 7));
        search__doc_analyse(a, &d, title, description, shop_name);
        count_terms(r, &d);
        count_phrases(r, a, &d);
        if (bulk)
            doc_json(a, &json, id, &d);
        else
            ids[*got] = id, docs[*got] = d;
        r->docs++;
        (*got)++;
        snprintf(after, after_cap, "%s", id);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    strbuf_putc(&json, ']');
    if (*got == 0)
        return 0;
    if (!bulk) {
        for (size_t i = 0; i < *got; i++)
            if (search__doc_write(db, ids[i], &docs[i], err) != 0)
                return -1;
        return 0;
    }
    struct db_param p[] = {DB_TEXT(json.data), DB_I64(r->now)};
    return db_exec(db, search__sql(db, SQ_DOCS_BULK), p, 2, err) < 0 ? -1 : 0;
}

static int flush_json(struct db *db, enum search_q q, struct strbuf *sb, size_t *rows, struct db_error *err)
{
    if (*rows == 0)
        return 0;
    strbuf_putc(sb, ']');
    struct db_param p[] = {DB_TEXT(sb->data)};
    int rc = db_exec(db, search__sql(db, q), p, 1, err) < 0 ? -1 : 0;
    sb->len = 0;
    sb->data[0] = '\0';
    strbuf_putc(sb, '[');
    *rows = 0;
    return rc;
}

static int write_terms(struct rebuild *r, struct db_error *err)
{
    struct strbuf sb;
    strbuf_init(&sb, NULL, 1 << 16);
    strbuf_putc(&sb, '[');
    size_t rows = 0;
    int rc = 0;
    for (size_t i = 0; i < r->terms.cap && rc == 0; i++) {
        const struct count_ent *e = &r->terms.e[i];
        if (e->key == NULL)
            continue;
        if (rows > 0)
            strbuf_putc(&sb, ',');
        strbuf_putc(&sb, '[');
        search__json_str(&sb, e->key);
        strbuf_puts(&sb, ",\"");
        search__reverse(&sb, e->key);
        strbuf_printf(&sb, "\",%lld]", (long long)e->docs);
        if (++rows == BULK_ROWS)
            rc = flush_json(r->db, SQ_TERMS_BULK, &sb, &rows, err);
    }
    if (rc == 0)
        rc = flush_json(r->db, SQ_TERMS_BULK, &sb, &rows, err);
    strbuf_free(&sb);
    return rc;
}

static int write_phrases(struct rebuild *r, struct db_error *err)
{
    struct strbuf sb;
    strbuf_init(&sb, NULL, 1 << 16);
    strbuf_putc(&sb, '[');
    size_t rows = 0;
    int rc = 0;
    for (size_t i = 0; i < r->phrases.cap && rc == 0; i++) {
        const struct count_ent *e = &r->phrases.e[i];
        if (e->key == NULL)
            continue;
        const char *sep = strchr(e->key, '\x1f');
        if (rows > 0)
            strbuf_putc(&sb, ',');
        strbuf_puts(&sb, "[\"");
        strbuf_append(&sb, e->key, (size_t)(sep - e->key)); /* product, tag or shop */
        strbuf_puts(&sb, "\",");
        search__json_str(&sb, sep + 1);
        strbuf_putc(&sb, ',');
        search__json_str(&sb, e->display);
        strbuf_printf(&sb, ",%lld,%lld,%lld]", (long long)e->docs, (long long)e->popularity,
                      (long long)search__weight(e->docs, e->popularity));
        if (++rows == BULK_ROWS)
            rc = flush_json(r->db, SQ_PHRASES_BULK, &sb, &rows, err);
    }
    if (rc == 0)
        rc = flush_json(r->db, SQ_PHRASES_BULK, &sb, &rows, err);
    strbuf_free(&sb);
    return rc;
}

static int exec_step(struct db *db, enum search_q q, struct db_error *err)
{
    const char *sql = search__sql(db, q);
    return sql == NULL || db_exec(db, sql, NULL, 0, err) >= 0 ? 0 : -1;
}

int search_rebuild(struct db *db, int64_t *indexed, struct db_error *err)
{
    int64_t started = time_now_ms();
    struct arena keys, page;
    arena_init(&keys, 1 << 16);
    arena_init(&page, 1 << 20);
    struct rebuild r = {.db = db, .now = time_now_ms()};
    r.terms.keys = &keys;
    r.phrases.keys = &keys;
    int rc = -1;
    /* The version first: concurrent syncs wait for this transaction (see search.c). */
    if (versions_bump(db, SEARCH_VERSION_NAME, err) != 0)
        goto out;
    static const enum search_q clear[] = {SQ_CLEAR_FTS, SQ_CLEAR_DOCS, SQ_CLEAR_TERMS, SQ_CLEAR_PHRASES,
                                          SQ_CLEAR_PREFIXES};
    for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++)
        if (exec_step(db, clear[i], err) != 0)
            goto out;
    char after[64] = "";
    size_t got;
    do {
        if (rebuild_page(&r, &page, after, sizeof after, &got, err) != 0)
            goto out;
        arena_reset(&page);
    } while (got == REBUILD_PAGE);
    int64_t t_docs = time_now_ms();
    if (exec_step(db, SQ_FTS_REBUILD, err) != 0)
        goto out;
    int64_t t_fts = time_now_ms();
    if (write_terms(&r, err) != 0 || write_phrases(&r, err) != 0)
        goto out;
    int64_t t_phrases = time_now_ms();
    if (exec_step(db, SQ_PREFIXES_BULK, err) != 0)
        goto out;
    if (indexed != NULL)
        *indexed = r.docs;
    int64_t done = time_now_ms();
    log_info("search index rebuilt",
             "%lld documents, %zu terms, %zu phrases in %lld ms (documents %lld, text index %lld, vocabulary and "
             "phrases %lld, prefixes %lld)",
             (long long)r.docs, r.terms.n, r.phrases.n, (long long)(done - started), (long long)(t_docs - started),
             (long long)(t_fts - t_docs), (long long)(t_phrases - t_fts), (long long)(done - t_phrases));
    rc = 0;
out:
    free(r.terms.e);
    free(r.phrases.e);
    arena_destroy(&page);
    arena_destroy(&keys);
    return rc;
}
