/*
 * search.c — keeping the search index in step with products and shops:
 * search_sync_product(), search_sync_shop(), the version counter, and the
 * helpers shared by the engine files.
 *
 * A sync compares the document as indexed (search_docs) with the document
 * the product should have now, and writes only the difference:
 *   - the document row, and on SQLite the FTS5 entry (deleted with its old
 *     values, inserted with the new) when the analysed text changed;
 *   - the vocabulary: +1 for terms that appear, -1 for terms that go (one
 *     statement each way, the terms passed as one JSON array);
 *   - the suggestion phrases (title, tags, shop name) whose document count
 *     or popularity changed, with their prefix rows.
 * Everything runs in the caller's transaction, which first bumps the
 * "search" version: a reader that caches results sees the change at the
 * next request after the commit, and on PostgreSQL concurrent index writers
 * take turns on that row instead of deadlocking on shared vocabulary rows.
 *
 * Caveats: a product is indexed only when it and its shop are active; a
 * shop's vacation mode is read at query time, not indexed (a shop sync
 * bumps the version so cached results notice it).
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/search_int.h"
#include "platform/versions.h"

static const char *engine_sql(bool pg, enum search_q q)
{
    const char *own = pg ? search__pg_sql[q] : search__sqlite_sql[q];
    return own != NULL ? own : search__common_sql[q];
}

const char *search__sql(struct db *db, enum search_q q)
{
    return engine_sql(db_engine(db) == DB_ENGINE_PG, q);
}

const char *const *search_sql_all(bool pg, size_t *n)
{
    /* Filled at start-up (module init, one thread); the texts are static, so the table is too. */
    static const char *resolved[2][SQ__COUNT];
    for (int q = 0; q < SQ__COUNT; q++)
        resolved[pg][q] = engine_sql(pg, (enum search_q)q);
    *n = SQ__COUNT;
    return resolved[pg];
}

int search_version(struct db *db, int64_t *version, struct db_error *err)
{
    return versions_get(db, SEARCH_VERSION_NAME, version, err);
}

int64_t search__weight(int64_t docs, int64_t popularity)
{
    if (popularity < 0)
        popularity = 0;
    if (popularity > INT64_C(0xFFFFFFFF))
        popularity = INT64_C(0xFFFFFFFF);
    return docs * INT64_C(0x100000000) + popularity;
}

void search__reverse(struct strbuf *sb, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        size_t start = n - 1;
        while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80)
            start--;
        strbuf_append(sb, s + start, n - start);
        n = start;
    }
}

void search__json_str(struct strbuf *sb, const char *s)
{
    strbuf_putc(sb, '"');
    strbuf_json_escape(sb, s);
    strbuf_putc(sb, '"');
}

/*-----------------------------------------------------------------------------
 * Documents
 */

static const char *col(struct arena *a, struct db_stmt *st, int c)
{
    const char *s = db_column_text(st, c);
    return arena_strdup(a, s ? s : "");
}

static int load_indexed(struct db *db, struct arena *a, const char *id, struct search__doc *d, struct db_error *err)
{
    memset(d, 0, sizeof *d);
    struct db_stmt *st = db_prepare(db, search__sql(db, SQ_DOC_GET), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, err);
    if (rc == 1) {
        d->present = true;
        d->docno = db_column_i64(st, 0);
        for (int i = 0; i < F__COUNT; i++)
            d->f[i] = col(a, st, 1 + i);
        d->tag_values = col(a, st, 6);
        d->material_values = col(a, st, 7);
        d->title_phrase = col(a, st, 8);
        d->shop_phrase = col(a, st, 9);
        d->popularity = db_column_i64(st, 10);
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The values of a one-column query, sorted, joined by sep, in the arena. */
static int read_values(struct db *db, struct arena *a, enum search_q q, const char *id, char sep, const char **out,
                       struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, search__sql(db, q), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    size_t n = 0, cap = 8;
    const char **v = arena_array(a, const char *, cap);
    int rc;
    while ((rc = db_step(st, err)) == 1) {
        if (n == cap) {
            const char **bigger = arena_array(a, const char *, cap * 2);
            memcpy(bigger, v, n * sizeof *v);
            v = bigger;
            cap *= 2;
        }
        v[n++] = col(a, st, 0);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    qsort(v, n, sizeof *v, cmp_str);
    struct strbuf sb;
    strbuf_init(&sb, a, 64);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strbuf_putc(&sb, sep);
        strbuf_puts(&sb, v[i]);
    }
    *out = sb.data;
    return 0;
}

/* A '\n'-separated list with the separators turned into spaces (for analysis). */
static const char *spaced(struct arena *a, const char *list)
{
    char *s = arena_strdup(a, list);
    for (char *p = s; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return s;
}

void search__doc_analyse(struct arena *a, struct search__doc *d, const char *title, const char *description,
                         const char *shop_name)
{
    d->f[F_TITLE] = search_analyze_text(a, title);
    d->f[F_TAGS] = search_analyze_text(a, spaced(a, d->tag_values));
    d->f[F_MATERIALS] = search_analyze_text(a, spaced(a, d->material_values));
    d->f[F_SHOP] = search_analyze_text(a, shop_name);
    d->f[F_DESCRIPTION] = search_analyze_text(a, description);
    d->title_phrase = search_phrase_normalize(a, title, SEARCH__PHRASE_MAX_CHARS, false);
    d->shop_phrase = search_phrase_normalize(a, shop_name, SEARCH__PHRASE_MAX_CHARS, false);
    d->title_display = title;
    d->shop_display = shop_name;
}

static int load_wanted(struct db *db, struct arena *a, const char *id, struct search__doc *d, struct db_error *err)
{
    memset(d, 0, sizeof *d);
    struct db_stmt *st = db_prepare(db, search__sql(db, SQ_PRODUCT), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, err);
    const char *title = NULL, *description = NULL, *shop_name = NULL;
    if (rc == 1) {
        const char *ps = db_column_text(st, 0), *ss = db_column_text(st, 1);
        d->present = ps != NULL && ss != NULL && strcmp(ps, "active") == 0 && strcmp(ss, "active") == 0;
        d->shop_id = col(a, st, 2);
        title = col(a, st, 3);
        description = col(a, st, 4);
        d->popularity = db_column_i64(st, 5);
        shop_name = col(a, st, 6);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (!d->present)
        return 0;
    if (read_values(db, a, SQ_PRODUCT_TAGS, id, '\n', &d->tag_values, err) != 0 ||
        read_values(db, a, SQ_PRODUCT_MATERIALS, id, '\n', &d->material_values, err) != 0)
        return -1;
    search__doc_analyse(a, d, title, description, shop_name);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Vocabulary
 */

/* The distinct terms of a document's analysed fields, sorted. */
static const char **doc_terms(struct arena *a, const struct search__doc *d, size_t *n)
{
    *n = 0;
    if (!d->present)
        return NULL;
    size_t cap = 1;
    for (int i = 0; i < F__COUNT; i++)
        for (const char *p = d->f[i]; *p; p++)
            cap += *p == ' ';
    cap += F__COUNT;
    const char **t = arena_array(a, const char *, cap);
    for (int i = 0; i < F__COUNT; i++) {
        const char *p = d->f[i];
        while (*p) {
            const char *sp = strchr(p, ' ');
            size_t len = sp ? (size_t)(sp - p) : strlen(p);
            if (len > 0)
                t[(*n)++] = arena_strndup(a, p, len);
            p += len;
            if (*p == ' ')
                p++;
        }
    }
    qsort(t, *n, sizeof *t, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < *n; i++)
        if (u == 0 || strcmp(t[u - 1], t[i]) != 0)
            t[u++] = t[i];
    *n = u;
    return t;
}

void search__terms_json(struct strbuf *sb, const char *const *terms, size_t n)
{
    strbuf_putc(sb, '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strbuf_putc(sb, ',');
        strbuf_putc(sb, '[');
        search__json_str(sb, terms[i]);
        strbuf_puts(sb, ",\"");
        search__reverse(sb, terms[i]);
        strbuf_puts(sb, "\"]");
    }
    strbuf_putc(sb, ']');
}

static int update_vocabulary(struct db *db, struct arena *a, const struct search__doc *old,
                             const struct search__doc *new, struct db_error *err)
{
    size_t no, nn;
    const char **to = doc_terms(a, old, &no), **tn = doc_terms(a, new, &nn);
    const char **gone = arena_array(a, const char *, no + 1), **came = arena_array(a, const char *, nn + 1);
    size_t ngone = 0, ncame = 0, i = 0, k = 0;
    while (i < no || k < nn) {
        int c = i == no ? 1 : k == nn ? -1 : strcmp(to[i], tn[k]);
        if (c < 0)
            gone[ngone++] = to[i++];
        else if (c > 0)
            came[ncame++] = tn[k++];
        else
            i++, k++;
    }
    struct strbuf sb;
    if (ngone > 0) {
        strbuf_init(&sb, a, ngone * 24);
        search__terms_json(&sb, gone, ngone);
        struct db_param p[] = {DB_TEXT(sb.data)};
        if (db_exec(db, search__sql(db, SQ_TERMS_SUB), p, 1, err) < 0 ||
            db_exec(db, search__sql(db, SQ_TERMS_PURGE), p, 1, err) < 0)
            return -1;
    }
    if (ncame > 0) {
        strbuf_init(&sb, a, ncame * 24);
        search__terms_json(&sb, came, ncame);
        struct db_param p[] = {DB_TEXT(sb.data)};
        if (db_exec(db, search__sql(db, SQ_TERMS_ADD), p, 1, err) < 0)
            return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Suggestion phrases
 */

int search__phrase_apply(struct db *db, const char *kind, const char *phrase, const char *display, int64_t ddocs,
                         int64_t dpop, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, search__sql(db, SQ_PHRASE_GET), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(kind));
    db_bind(st, 2, DB_TEXT(phrase));
    int rc = db_step(st, err);
    int64_t id = 0, docs = 0, pop = 0, weight = 0;
    if (rc == 1) {
        id = db_column_i64(st, 0);
        docs = db_column_i64(st, 1);
        pop = db_column_i64(st, 2);
        weight = db_column_i64(st, 3);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    int64_t nd = docs + ddocs, np = pop + dpop;
    if (np < 0)
        np = 0;
    if (rc == 0) {
        if (nd <= 0)
            return 0; /* nothing to take away from (the index was out of step) */
        int64_t nw = search__weight(nd, np);
        st = db_prepare(db, search__sql(db, SQ_PHRASE_INSERT), err);
        if (st == NULL)
            return -1;
        struct db_param p[] = {DB_TEXT(kind), DB_TEXT(phrase), DB_TEXT(display), DB_I64(nd), DB_I64(np), DB_I64(nw)};
        db_bind_all(st, p, 6);
        rc = db_step(st, err);
        if (rc == 1)
            id = db_column_i64(st, 0);
        db_reset(st);
        if (rc != 1)
            return -1;
        struct db_param x[] = {DB_TEXT(phrase), DB_I64(nw), DB_I64(id)};
        return db_exec(db, search__sql(db, SQ_PREFIXES_INSERT), x, 3, err) < 0 ? -1 : 0;
    }
    struct db_param old[] = {DB_TEXT(phrase), DB_I64(weight), DB_I64(id)};
    if (nd <= 0) {
        struct db_param p[] = {DB_I64(id)};
        return db_exec(db, search__sql(db, SQ_PREFIXES_DELETE), old, 3, err) < 0 ||
                       db_exec(db, search__sql(db, SQ_PHRASE_DELETE), p, 1, err) < 0
                   ? -1
                   : 0;
    }
    int64_t nw = search__weight(nd, np);
    struct db_param p[] = {DB_I64(id), DB_I64(nd), DB_I64(np), DB_I64(nw)};
    if (db_exec(db, search__sql(db, SQ_PHRASE_UPDATE), p, 4, err) < 0)
        return -1;
    if (nw == weight)
        return 0;
    struct db_param x[] = {DB_TEXT(phrase), DB_I64(nw), DB_I64(id)};
    return db_exec(db, search__sql(db, SQ_PREFIXES_DELETE), old, 3, err) < 0 ||
                   db_exec(db, search__sql(db, SQ_PREFIXES_INSERT), x, 3, err) < 0
               ? -1
               : 0;
}

struct search__contrib *search__doc_contribs(struct arena *a, const struct search__doc *d, size_t *n)
{
    *n = 0;
    if (!d->present)
        return NULL;
    size_t cap = 3;
    for (const char *p = d->tag_values; *p; p++)
        cap += *p == '\n';
    struct search__contrib *c = arena_array(a, struct search__contrib, cap);
    if (d->title_phrase[0])
        c[(*n)++] = (struct search__contrib){"product", d->title_phrase, d->title_display};
    if (d->shop_phrase[0])
        c[(*n)++] = (struct search__contrib){"shop", d->shop_phrase, d->shop_display};
    const char *p = d->tag_values;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *tag = arena_strndup(a, p, len);
        const char *phrase = search_phrase_normalize(a, tag, SEARCH__PHRASE_MAX_CHARS, false);
        bool dup = phrase[0] == '\0';
        for (size_t i = 0; i < *n && !dup; i++)
            dup = strcmp(c[i].kind, "tag") == 0 && strcmp(c[i].phrase, phrase) == 0;
        if (!dup)
            c[(*n)++] = (struct search__contrib){"tag", phrase, tag};
        p += len;
        if (*p == '\n')
            p++;
    }
    return c;
}

static bool contrib_in(const struct search__contrib *c, size_t n, const struct search__contrib *x)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].kind, x->kind) == 0 && strcmp(c[i].phrase, x->phrase) == 0)
            return true;
    return false;
}

static int update_phrases(struct db *db, struct arena *a, const struct search__doc *old, const struct search__doc *new,
                          struct db_error *err)
{
    size_t no, nn;
    struct search__contrib *co = search__doc_contribs(a, old, &no), *cn = search__doc_contribs(a, new, &nn);
    for (size_t i = 0; i < no; i++) {
        bool kept = contrib_in(cn, nn, &co[i]);
        int64_t ddocs = kept ? 0 : -1, dpop = (kept ? new->popularity : 0) - old->popularity;
        if ((ddocs != 0 || dpop != 0) &&
            search__phrase_apply(db, co[i].kind, co[i].phrase, co[i].display, ddocs, dpop, err) != 0)
            return -1;
    }
    for (size_t i = 0; i < nn; i++)
        if (!contrib_in(co, no, &cn[i]) &&
            search__phrase_apply(db, cn[i].kind, cn[i].phrase, cn[i].display, 1, new->popularity, err) != 0)
            return -1;
    return 0;
}

/*-----------------------------------------------------------------------------
 * Sync
 */

static bool same_text(const struct search__doc *a, const struct search__doc *b)
{
    if (!a->present || !b->present)
        return false;
    for (int i = 0; i < F__COUNT; i++)
        if (strcmp(a->f[i], b->f[i]) != 0)
            return false;
    return true;
}

static int fts_entry(struct db *db, enum search_q q, const struct search__doc *d, struct db_error *err)
{
    const char *sql = search__sql(db, q);
    if (sql == NULL)
        return 0; /* PostgreSQL: the vector is a column of the row */
    struct db_param p[] = {DB_I64(d->docno),           DB_TEXT(d->f[F_TITLE]), DB_TEXT(d->f[F_TAGS]),
                           DB_TEXT(d->f[F_MATERIALS]), DB_TEXT(d->f[F_SHOP]),  DB_TEXT(d->f[F_DESCRIPTION])};
    return db_exec(db, sql, p, 6, err) < 0 ? -1 : 0;
}

/* One occurrence of a term in a document, for the tsvector text. */
struct occ {
    const char *term;
    size_t len;
    int pos;
    char weight;
};

static int cmp_occ(const void *x, const void *y)
{
    const struct occ *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->term, b->term, n);
    if (c != 0 || a->len != b->len)
        return c != 0 ? c : (a->len < b->len ? -1 : 1);
    return a->pos - b->pos;
}

#define TSV_MAX_POS 16383     /* PostgreSQL's largest position */
#define TSV_MAX_POSITIONS 256 /* positions kept per lexeme */

void search__tsvector(struct arena *a, const struct search__doc *d, struct strbuf *sb)
{
    static const char weight[F__COUNT] = {
        [F_TITLE] = 'A', [F_TAGS] = 'B', [F_MATERIALS] = 'C', [F_SHOP] = 'C', [F_DESCRIPTION] = 'D'};
    size_t cap = F__COUNT;
    for (int f = 0; f < F__COUNT; f++)
        for (const char *p = d->f[f]; *p; p++)
            cap += *p == ' ';
    struct occ *o = arena_array(a, struct occ, cap + 1);
    size_t n = 0;
    int pos = 0;
    for (int f = 0; f < F__COUNT; f++) {
        const char *p = d->f[f];
        while (*p) {
            const char *sp = strchr(p, ' ');
            size_t len = sp ? (size_t)(sp - p) : strlen(p);
            if (len > 0 && n < cap) {
                pos += pos < TSV_MAX_POS;
                o[n++] = (struct occ){p, len, pos, weight[f]};
            }
            p += len;
            if (*p == ' ')
                p++;
        }
    }
    if (n > 1)
        qsort(o, n, sizeof *o, cmp_occ);
    for (size_t i = 0; i < n;) {
        if (sb->len > 0)
            strbuf_putc(sb, ' ');
        strbuf_putc(sb, '\'');
        for (size_t k = 0; k < o[i].len; k++) {
            if (o[i].term[k] == '\'' || o[i].term[k] == '\\')
                strbuf_putc(sb, o[i].term[k]); /* doubled quote; escaped backslash */
            strbuf_putc(sb, o[i].term[k]);
        }
        strbuf_puts(sb, "':");
        size_t j = i, kept = 0;
        for (; j < n && o[j].len == o[i].len && memcmp(o[j].term, o[i].term, o[i].len) == 0; j++) {
            if (kept == TSV_MAX_POSITIONS || (j > i && o[j].pos == o[j - 1].pos))
                continue; /* beyond PostgreSQL's limits (the last position repeats once capped) */
            strbuf_printf(sb, "%s%d%c", kept ? "," : "", o[j].pos, o[j].weight);
            kept++;
        }
        i = j;
    }
}

int search__doc_write(struct db *db, const char *id, struct search__doc *d, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, search__sql(db, SQ_DOC_UPSERT), err);
    if (st == NULL)
        return -1;
    struct db_param p[] = {DB_TEXT(id),
                           DB_TEXT(d->shop_id),
                           DB_TEXT(d->f[F_TITLE]),
                           DB_TEXT(d->f[F_TAGS]),
                           DB_TEXT(d->f[F_MATERIALS]),
                           DB_TEXT(d->f[F_SHOP]),
                           DB_TEXT(d->f[F_DESCRIPTION]),
                           DB_TEXT(d->tag_values),
                           DB_TEXT(d->material_values),
                           DB_TEXT(d->title_phrase),
                           DB_TEXT(d->shop_phrase),
                           DB_I64(d->popularity),
                           DB_I64(time_now_ms())};
    db_bind_all(st, p, 13);
    if (db_engine(db) == DB_ENGINE_PG) {
        struct arena a;
        arena_init(&a, 4096);
        struct strbuf tsv;
        strbuf_init(&tsv, &a, 1024);
        search__tsvector(&a, d, &tsv);
        db_bind(st, 14, DB_TEXT(tsv.data)); /* bound values are copied */
        arena_destroy(&a);
    }
    int rc = db_step(st, err);
    if (rc == 1)
        d->docno = db_column_i64(st, 0);
    db_reset(st);
    return rc == 1 ? 0 : -1;
}

/*
 * Sync one product. Before its first write to the index a transaction bumps
 * the version (*bumped records it): on PostgreSQL that row lock makes
 * concurrent index writers take turns, so their updates of shared rows
 * (vocabulary terms, popular tags) cannot deadlock; SQLite writers take
 * turns anyway.
 */
static int sync_one(struct db *db, struct arena *a, const char *id, bool *bumped, struct db_error *err)
{
    struct search__doc old, new;
    if (load_indexed(db, a, id, &old, err) != 0 || load_wanted(db, a, id, &new, err) != 0)
        return -1;
    if (!old.present && !new.present)
        return 0;
    if (!*bumped) {
        if (versions_bump(db, SEARCH_VERSION_NAME, err) != 0)
            return -1;
        *bumped = true;
    }
    bool same = same_text(&old, &new);
    if (!same) {
        if (old.present && fts_entry(db, SQ_FTS_DELETE, &old, err) != 0)
            return -1;
        if (update_vocabulary(db, a, &old, &new, err) != 0)
            return -1;
    }
    if (update_phrases(db, a, &old, &new, err) != 0)
        return -1;
    if (!new.present) {
        struct db_param p[] = {DB_TEXT(id)};
        return db_exec(db, search__sql(db, SQ_DOC_DELETE), p, 1, err) < 0 ? -1 : 0;
    }
    if (search__doc_write(db, id, &new, err) != 0)
        return -1;
    return same ? 0 : fts_entry(db, SQ_FTS_INSERT, &new, err);
}

int search_sync_product(struct db *db, const char *product_id, struct db_error *err)
{
    struct arena a;
    arena_init(&a, 16384);
    bool bumped = false;
    int rc = sync_one(db, &a, product_id, &bumped, err);
    arena_destroy(&a);
    return rc;
}

int search_sync_shop(struct db *db, const char *shop_id, struct db_error *err)
{
    struct arena a;
    arena_init(&a, 16384);
    int rc = -1;
    size_t n = 0, cap = 64;
    const char **ids = arena_array(&a, const char *, cap);
    struct db_stmt *st = db_prepare(db, search__sql(db, SQ_SHOP_PRODUCTS), err);
    if (st == NULL)
        goto out;
    db_bind(st, 1, DB_TEXT(shop_id));
    int step;
    while ((step = db_step(st, err)) == 1) {
        if (n == cap) {
            const char **bigger = arena_array(&a, const char *, cap * 2);
            memcpy(bigger, ids, n * sizeof *ids);
            ids = bigger;
            cap *= 2;
        }
        ids[n++] = col(&a, st, 0);
    }
    db_reset(st);
    if (step < 0)
        goto out;
    /* Always bump, first: vacation mode and status are read at query time, and cached results must notice. */
    if (versions_bump(db, SEARCH_VERSION_NAME, err) != 0)
        goto out;
    /* A per-product arena keeps a shop of thousands of products from holding all their texts at once. */
    struct arena per;
    arena_init(&per, 16384);
    bool bumped = true;
    for (size_t i = 0; i < n; i++) {
        if (sync_one(db, &per, ids[i], &bumped, err) != 0) {
            arena_destroy(&per);
            goto out;
        }
        arena_reset(&per);
    }
    arena_destroy(&per);
    rc = 0;
out:
    arena_destroy(&a);
    return rc;
}
