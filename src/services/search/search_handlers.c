/*
 * search_handlers.c — GET /search, GET /search/suggestions and
 * POST /search/index.
 *
 * GET /search parses q with the index's analyser (400 empty_query when no
 * searchable word is left) and the shared product filter
 * (products_filter_parse), gets a page with its facets from
 * search_results.c, and writes the product cards of the page
 * (products_write_cards) with each card's relevance score and highlights
 * (title, and a description snippet) marked with <mark> around the words
 * that matched, all other text HTML-escaped.
 *
 * The cursor is base64url of "s1|<offset>|<signature>", where the signature
 * is a hash of the words, filters and sort: a cursor used with another
 * query is refused (400 invalid_cursor) instead of paging something else.
 *
 * Caveats: highlights are computed from the product's current title and
 * description (read with the page), so they match what the card shows.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/search/search_int.h"

#define DESCRIPTION_SNIPPET_CHARS 160

/*-----------------------------------------------------------------------------
 * Cursors
 */

/* FNV-1a over s and a separator (NULL counts as empty). */
static uint32_t mix(uint32_t h, const char *s)
{
    for (; s != NULL && *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return (h ^ 0x1f) * 16777619u;
}

static uint32_t filter_signature(const struct search_query *q, const struct products_filter *f)
{
    char buf[96];
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < q->nwords; i++)
        h = mix(h, q->words[i].term);
    h = mix(mix(h, f->category_id), f->seller_id);
    snprintf(buf, sizeof buf, "%lld|%lld|%d|%d|%d", (long long)f->price_min, (long long)f->price_max, f->min_rating,
             (int)f->in_stock, (int)f->sort);
    h = mix(h, buf);
    for (size_t i = 0; i < f->ntags; i++)
        h = mix(h, f->tags[i]);
    h = mix(h, "|");
    for (size_t i = 0; i < f->nmaterials; i++)
        h = mix(h, f->materials[i]);
    return h;
}

static const char *cursor_encode(struct arena *a, int64_t offset, uint32_t sig)
{
    char raw[64];
    int n = snprintf(raw, sizeof raw, "s1|%lld|%08x", (long long)offset, sig);
    size_t cap = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(a, cap);
    sodium_bin2base64(out, cap, (const unsigned char *)raw, (size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static int cursor_decode(const char *text, uint32_t sig, int64_t *offset)
{
    char raw[64];
    size_t len = 0;
    const char *end = NULL;
    if (sodium_base642bin((unsigned char *)raw, sizeof raw - 1, text, strlen(text), NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        *end != '\0')
        return -1;
    raw[len] = '\0';
    long long off;
    unsigned got;
    int used = 0;
    if (memchr(raw, '\0', len) != NULL || sscanf(raw, "s1|%lld|%8x%n", &off, &got, &used) != 2 || (size_t)used != len ||
        got != sig || off < 0 || off > SEARCH_CANDIDATE_CAP)
        return -1;
    *offset = off;
    return 0;
}

/*-----------------------------------------------------------------------------
 * GET /search
 */

struct page_texts {
    const struct search_page *page;
    const char **title, **description; /* aligned with page->ids; NULL when not found */
    struct arena *arena;
};

static int fetch_texts(struct request *req, struct page_texts *t, struct app_error *err)
{
    const struct search_page *page = t->page;
    t->title = arena_array(req->arena, const char *, page->n + 1);
    t->description = arena_array(req->arena, const char *, page->n + 1);
    struct db_error dberr = {0};
    for (size_t off = 0; off < page->n; off += SEARCH_TEXT_BATCH) {
        struct db_stmt *st = db_prepare(req->db, search__sql_text(SEARCH_Q_TEXTS), &dberr);
        if (st == NULL)
            return req_db_error(req, &dberr, err);
        size_t m = page->n - off < SEARCH_TEXT_BATCH ? page->n - off : SEARCH_TEXT_BATCH;
        for (size_t i = 0; i < SEARCH_TEXT_BATCH; i++)
            db_bind(st, (int)i + 1, i < m ? DB_TEXT(page->ids[off + i]) : DB_NULL);
        int rc;
        while ((rc = db_step(st, &dberr)) == 1) {
            const char *id = db_column_text(st, 0);
            for (size_t i = off; i < off + m; i++)
                if (strcmp(page->ids[i], id) == 0) {
                    t->title[i] = arena_strdup(req->arena, db_column_text(st, 1));
                    t->description[i] = arena_strdup(req->arena, db_column_text(st, 2));
                }
        }
        db_reset(st);
        if (rc < 0)
            return req_db_error(req, &dberr, err);
    }
    return 0;
}

static void write_card_extra(struct jsonw *w, size_t i, void *ctx)
{
    const struct page_texts *t = ctx;
    char score[32];
    snprintf(score, sizeof score, "%.4f", t->page->scores[i]);
    jw_key(w, "score");
    jw_raw(w, score);
    jw_key(w, "highlights");
    jw_obj(w);
    jw_kstr(w, "title", t->title[i] ? search_highlight(t->arena, t->title[i], t->page->query, 0) : NULL);
    jw_kstr(w, "description",
            t->description[i] ? search_highlight(t->arena, t->description[i], t->page->query, DESCRIPTION_SNIPPET_CHARS)
                              : NULL);
    jw_end(w);
}

static void write_facets(struct jsonw *w, const struct search_page *page)
{
    jw_key(w, "facets");
    jw_obj(w);
    jw_key(w, "category");
    jw_arr(w);
    for (size_t i = 0; i < page->ncats; i++) {
        jw_obj(w);
        jw_kstr(w, "id", page->cats[i].id);
        jw_kstr(w, "name", page->cats[i].name);
        jw_kint(w, "count", page->cats[i].count);
        jw_end(w);
    }
    jw_end(w);
    jw_key(w, "price");
    jw_arr(w);
    for (int b = 0; b < SEARCH_PRICE_BUCKETS; b++) {
        jw_obj(w);
        jw_kint(w, "min", search__price_bucket_min[b]);
        jw_key(w, "max");
        if (search__price_bucket_max[b] < 0)
            jw_null(w);
        else
            jw_int(w, search__price_bucket_max[b]);
        jw_kint(w, "count", page->price[b]);
        jw_end(w);
    }
    jw_end(w);
    jw_key(w, "rating");
    jw_arr(w);
    for (int s = 0; s < 4; s++) {
        jw_obj(w);
        jw_kint(w, "min", 4 - s);
        jw_kint(w, "count", page->rating[s]);
        jw_end(w);
    }
    jw_end(w);
    jw_key(w, "materials");
    jw_arr(w);
    for (size_t i = 0; i < page->nmaterials; i++) {
        jw_obj(w);
        jw_kstr(w, "value", page->materials[i].value);
        jw_kint(w, "count", page->materials[i].count);
        jw_end(w);
    }
    jw_end(w);
    jw_end(w);
}

static void write_query(struct jsonw *w, const char *raw, const struct search_query *q, bool capped)
{
    jw_key(w, "query");
    jw_obj(w);
    jw_kstr(w, "q", raw);
    jw_key(w, "terms");
    jw_arr(w);
    for (size_t i = 0; i < q->nwords; i++)
        jw_str(w, q->words[i].term);
    jw_end(w);
    jw_key(w, "corrected");
    jw_arr(w);
    for (size_t i = 0; i < q->nwords; i++) {
        if (!q->words[i].corrected)
            continue;
        jw_obj(w);
        jw_kstr(w, "term", q->words[i].term);
        jw_key(w, "to");
        jw_arr(w);
        for (size_t k = 0; k < q->words[i].nalts; k++)
            jw_str(w, q->words[i].alts[k]);
        jw_end(w);
        jw_end(w);
    }
    jw_end(w);
    jw_kbool(w, "capped", capped);
    jw_end(w);
}

/* The query as logged: the user's words, each misspelt one replaced by its best correction. */
static const char *logged_query(struct arena *a, const char *raw, const struct search_query *q)
{
    struct strbuf sb;
    strbuf_init(&sb, a, strlen(raw) + 16);
    const char *p = raw, *end = raw + strlen(raw), *ws, *we;
    char term[SEARCH_TERM_MAX + 1];
    while (search_next_word(&p, end, &ws, &we)) {
        size_t n = search_analyze_word(ws, (size_t)(we - ws), term);
        const char *out = NULL;
        for (size_t i = 0; n > 0 && i < q->nwords && out == NULL; i++)
            if (q->words[i].corrected && q->words[i].nalts > 0 && strcmp(q->words[i].term, term) == 0)
                out = q->words[i].alts[0];
        if (sb.len > 0)
            strbuf_putc(&sb, ' ');
        if (out != NULL)
            strbuf_puts(&sb, out);
        else
            strbuf_append(&sb, ws, (size_t)(we - ws));
    }
    return sb.data;
}

int search_handle_search(struct request *req, struct app_error *err)
{
    const char *raw = req_param(req, "q");
    struct products_filter f;
    if (products_filter_parse(req, &f, err) != 0)
        return -1;
    if (f.sort == PRODUCTS_SORT_DEFAULT)
        f.sort = PRODUCTS_SORT_RELEVANCE;
    int64_t limit = req_param_i64(req, "limit", 20);
    struct search_query q;
    if (search_query_parse(req->arena, raw, &q) == 0) {
        app_error_add_field(err, req->arena, "q", "empty_query", "no searchable words");
        return app_error_set(err, req->arena, "empty_query",
                             "q has no searchable words (only stopwords, punctuation or single letters)");
    }
    uint32_t sig = filter_signature(&q, &f);
    int64_t offset = 0;
    const char *cursor = req_param(req, "cursor");
    if (cursor != NULL && cursor_decode(cursor, sig, &offset) != 0)
        return app_error_set(err, req->arena, "invalid_cursor", "the cursor is not one this search returned");

    struct search_page page;
    int rc = -1;
    if (search__results(req, &q, &f, offset, limit, &page, err) != 0)
        goto out;
    struct page_texts texts = {.page = &page, .arena = req->arena};
    if (fetch_texts(req, &texts, err) != 0)
        goto out;
    struct jsonw w;
    jw_init(&w, req->arena, 2048 + page.n * 1024);
    jw_obj(&w);
    jw_key(&w, "data");
    if (products_write_cards(req, &w, page.ids, page.n, write_card_extra, &texts, err) != 0)
        goto out;
    jw_key(&w, "next_cursor");
    jw_str(&w, page.next_offset >= 0 ? cursor_encode(req->arena, page.next_offset, sig) : NULL);
    jw_kint(&w, "total", page.total);
    write_facets(&w, &page);
    write_query(&w, raw, page.query, page.capped);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    if (cursor == NULL)
        search__log_record(logged_query(req->arena, raw, page.query), page.total);
    rc = 0;
out:
    search__page_release(&page);
    return rc;
}

/*-----------------------------------------------------------------------------
 * GET /search/suggestions
 */

int search_handle_suggestions(struct request *req, struct app_error *err)
{
    struct search_suggestion s[SEARCH_SUGGEST_MAX];
    size_t n = 0;
    struct db_error dberr = {0};
    if (search_suggest(req->db, req->arena, req_param(req, "q"), (size_t)req_param_i64(req, "limit", 10), s, &n,
                       &dberr) != 0)
        return req_db_error(req, &dberr, err);
    struct jsonw w;
    jw_init(&w, req->arena, 128 + n * 96);
    jw_obj(&w);
    jw_key(&w, "data");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        jw_kstr(&w, "text", s[i].text);
        jw_kstr(&w, "kind", s[i].kind);
        jw_kint(&w, "count", s[i].docs);
        jw_end(&w);
    }
    jw_end(&w);
    jw_end(&w);
    res_jsonw(req, 200, &w); /* not cacheable: an archived product's title must not linger */
    return 0;
}

/*-----------------------------------------------------------------------------
 * POST /search/index (admin)
 */

static int rebuild_tx(struct db *db, void *ctx, struct db_error *err)
{
    return search_rebuild(db, ctx, err);
}

static int rebuild_slow(struct request *req, struct app_error *err)
{
    int64_t indexed = 0;
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, rebuild_tx, &indexed, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    log_info("search index rebuilt by an admin", "user %s, %lld documents", req->user_id, (long long)indexed);
    res_json(req, 200, json_pack("{s:I}", "indexed", (json_int_t)indexed));
    return 0;
}

int search_handle_rebuild(struct request *req, struct app_error *err)
{
    /* Seconds on a large catalogue: off the request threads. */
    return req_offload(req, rebuild_slow, err);
}
