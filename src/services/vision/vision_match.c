/*
 * vision_match.c — POST /vision/match-artisans: artisans ranked for a
 * concept (a session, a saved concept, or free text), with the reasons.
 *
 * The concept's words are its text run through the search analyser (at
 * most MATCH_WORDS distinct terms). Each word is one query to the search
 * index (platform/search.h, the same relevance /search uses); a word's
 * scores are divided by its best score, so every word weighs the same on
 * both engines (BM25 and ts_rank have different scales). For seller s:
 *
 *   R = (1/W) Σ_w max over s's matching listings of score(w) / best(w)
 *   M = concept materials s lists on active products / materials named
 *   T = concept techniques found in s's matching listings / techniques named
 *   C = 1 when s has active listings in the concept's category (subtree)
 *   Q = ((rating_sum + 3·4) / (rating_count + 3)) / 5   (Bayesian: 3 reviews of 4★ as prior)
 *   X = min(1, completed custom orders / 5)
 *   P = 1 / (1 + mean proposal delay in hours / 24), 0 without proposals
 *   A = 1 when the shop accepts custom orders (½ while on vacation), else 0
 *
 *   score = 100 · (0.40R + 0.12M + 0.08T + 0.10C + 0.10Q + 0.08X + 0.05P + 0.07A)
 *
 * Only sellers with R > 0 (at least one listing matching a word) of active
 * shops are candidates; M, T or C of 0 when the concept names none. Ties go
 * to the shop id. "invite_seller_ids" lists the ranked sellers that accept
 * custom orders: the ids POST /custom-orders takes as invited sellers.
 *
 * Caveats: per word, only the MATCH_CAP best listings are seen, so a seller
 * whose listings are all weaker than that many others gets R = 0 for it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "platform/imagegen.h"
#include "platform/search.h"
#include "services/vision/vision_int.h"

#define MATCH_WORDS 16
#define MATCH_CAP 500
#define MATCH_CANDIDATES 200

struct cand {
    const char *seller_id;
    double best[MATCH_WORDS];
    int64_t listings; /* matching (listing, word) pairs */
    const char *category_id; /* of its best hit */
    double best_any;
    /* signals */
    const char *shop_id, *shop_name;
    bool accepts, vacation, active;
    int64_t rating_sum, rating_count, completed, proposals, delay_ms;
    bool has_delay;
    int mats_matched, techs_matched, in_category;
    const char *mat_names[IMAGEGEN_MAX_ATTRS];
    double R, score;
};

struct match {
    struct request *req;
    const char *text, *category_id;
    const char *words[MATCH_WORDS];
    size_t nwords;
    struct imagegen_concept concept;
    struct cand *c;
    size_t nc;
    /* the word being searched */
    size_t w;
    double word_max;
};

static struct cand *cand_get(struct match *m, const char *seller_id)
{
    for (size_t i = 0; i < m->nc; i++)
        if (strcmp(m->c[i].seller_id, seller_id) == 0)
            return &m->c[i];
    if (m->nc == MATCH_CANDIDATES)
        return NULL;
    struct cand *c = &m->c[m->nc++];
    memset(c, 0, sizeof *c);
    c->seller_id = arena_strdup(m->req->arena, seller_id);
    return c;
}

static int on_hit(void *ctx, const struct search_hit *h)
{
    struct match *m = ctx;
    if (m->word_max <= 0)
        m->word_max = h->score > 0 ? h->score : 1e-9; /* hits come best first */
    struct cand *c = cand_get(m, h->seller_id);
    if (c == NULL)
        return 0;
    double s = h->score / m->word_max;
    if (s > c->best[m->w])
        c->best[m->w] = s;
    if (s > c->best_any) {
        c->best_any = s;
        c->category_id = h->category_id ? arena_strdup(m->req->arena, h->category_id) : NULL;
    }
    c->listings++;
    return 0;
}

static int search_words(struct match *m, struct db_error *dberr)
{
    char *terms = search_analyze_text(m->req->arena, m->text);
    for (char *save = NULL, *t = strtok_r(terms, " ", &save); t && m->nwords < MATCH_WORDS;
         t = strtok_r(NULL, " ", &save)) {
        bool dup = false;
        for (size_t i = 0; i < m->nwords; i++)
            dup = dup || strcmp(m->words[i], t) == 0;
        if (!dup)
            m->words[m->nwords++] = t;
    }
    for (m->w = 0; m->w < m->nwords; m->w++) {
        struct search_query q;
        if (search_query_parse(m->req->arena, m->words[m->w], &q) == 0)
            continue;
        if (search_query_resolve(m->req->db, m->req->arena, &q, dberr) != 0)
            return -1;
        m->word_max = 0;
        if (search_match(m->req->db, &q, MATCH_CAP, on_hit, m, dberr) != 0)
            return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Signals of one candidate
 */
static bool analysed_equal(struct arena *a, const char *x, const char *y)
{
    return strcmp(search_analyze_text(a, x), search_analyze_text(a, y)) == 0;
}

static int load_materials(struct match *m, struct cand *c, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(m->req->db, vision__sql(VISION_Q_SELLER_MATERIALS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(c->seller_id));
    bool seen[IMAGEGEN_MAX_ATTRS] = {0};
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        const char *mat = db_column_text(st, 0);
        for (size_t i = 0; i < m->concept.nmaterials; i++)
            if (!seen[i] && analysed_equal(m->req->arena, mat, m->concept.materials[i].name)) {
                seen[i] = true;
                c->mat_names[c->mats_matched++] = m->concept.materials[i].name;
            }
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static void match_techniques(struct match *m, struct cand *c)
{
    for (size_t i = 0; i < m->concept.ntechniques; i++) {
        const char *t = search_analyze_text(m->req->arena, m->concept.techniques[i]);
        for (size_t w = 0; w < m->nwords; w++)
            if (c->best[w] > 0 && strstr(t, m->words[w]) != NULL) {
                c->techs_matched++;
                break;
            }
    }
}

static int load_signals(struct match *m, struct cand *c, struct db_error *dberr)
{
    struct request *req = m->req;
    struct db_stmt *st = db_prepare(req->db, vision__sql(VISION_Q_SELLER_SIGNALS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(c->seller_id));
    int rc = db_step(st, dberr);
    if (rc == 1) {
        c->active = true;
        c->shop_id = arena_strdup(req->arena, db_column_text(st, 0));
        c->shop_name = arena_strdup(req->arena, db_column_text(st, 1));
        c->accepts = db_column_i64(st, 2) != 0;
        c->rating_sum = db_column_i64(st, 3);
        c->rating_count = db_column_i64(st, 4);
        c->vacation = db_column_i64(st, 5) != 0;
        c->completed = db_column_i64(st, 6);
        c->proposals = db_column_i64(st, 7);
        c->has_delay = !db_column_is_null(st, 8);
        c->delay_ms = c->has_delay ? db_column_i64(st, 8) : 0;
    }
    db_reset(st);
    if (rc <= 0)
        return rc;
    if (load_materials(m, c, dberr) != 0)
        return -1;
    match_techniques(m, c);
    if (m->category_id != NULL) {
        st = db_prepare(req->db, vision__sql(VISION_Q_SELLER_IN_CATEGORY), dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(c->seller_id));
        db_bind(st, 2, DB_TEXT(m->category_id));
        rc = db_step(st, dberr);
        c->in_category = rc == 1 && db_column_i64(st, 0) > 0;
        db_reset(st);
        if (rc < 0)
            return -1;
    }
    return 1;
}

struct components {
    double R, M, T, C, Q, X, P, A;
};

static struct components components_of(const struct match *m, const struct cand *c)
{
    struct components k = {0};
    for (size_t w = 0; w < m->nwords; w++)
        k.R += c->best[w];
    k.R = m->nwords ? k.R / (double)m->nwords : 0;
    k.M = m->concept.nmaterials ? (double)c->mats_matched / (double)m->concept.nmaterials : 0;
    k.T = m->concept.ntechniques ? (double)c->techs_matched / (double)m->concept.ntechniques : 0;
    k.C = c->in_category ? 1 : 0;
    k.Q = ((double)c->rating_sum + 12.0) / ((double)c->rating_count + 3.0) / 5.0;
    k.X = c->completed >= 5 ? 1 : (double)c->completed / 5.0;
    k.P = c->has_delay ? 1.0 / (1.0 + (double)c->delay_ms / 3600000.0 / 24.0) : 0;
    k.A = c->accepts ? (c->vacation ? 0.5 : 1) : 0;
    return k;
}

static double score_of(const struct components *k)
{
    return 100.0 * (0.40 * k->R + 0.12 * k->M + 0.08 * k->T + 0.10 * k->C + 0.10 * k->Q + 0.08 * k->X +
                    0.05 * k->P + 0.07 * k->A);
}

static int by_score(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp(x->shop_id ? x->shop_id : "", y->shop_id ? y->shop_id : "");
}

/*-----------------------------------------------------------------------------
 * Output
 */
static void kdouble(struct jsonw *w, const char *key, double v, int decimals)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%.*f", decimals, isfinite(v) ? v : 0.0);
    jw_key(w, key);
    jw_raw(w, buf);
}

static const char *category_name(struct request *req, const char *id)
{
    struct db_error dberr = {0};
    struct db_stmt *st = id ? db_prepare(req->db, vision__sql(VISION_Q_CATEGORY_NAME), &dberr) : NULL;
    if (st == NULL)
        return NULL;
    db_bind(st, 1, DB_TEXT(id));
    const char *name = db_step(st, &dberr) == 1 ? arena_strdup(req->arena, db_column_text(st, 0)) : NULL;
    db_reset(st);
    return name;
}

static void write_reasons(struct match *m, struct jsonw *w, const struct cand *c)
{
    struct request *req = m->req;
    struct strbuf words;
    strbuf_init(&words, req->arena, 128);
    size_t hit = 0;
    for (size_t i = 0; i < m->nwords; i++)
        if (c->best[i] > 0)
            strbuf_printf(&words, "%s%s", hit++ ? ", " : "", m->words[i]);
    jw_key(w, "reasons");
    jw_arr(w);
    jw_str(w, arena_sprintf(req->arena, "listings match %zu of %zu concept words (%s)", hit, m->nwords, words.data));
    for (int i = 0; i < c->mats_matched; i++)
        jw_str(w, arena_sprintf(req->arena, "works in %s", c->mat_names[i]));
    if (c->techs_matched > 0)
        jw_str(w, arena_sprintf(req->arena, "listings show %d of the techniques asked for", c->techs_matched));
    const char *cat = category_name(req, c->in_category ? m->category_id : c->category_id);
    if (cat != NULL)
        jw_str(w, arena_sprintf(req->arena, "%s in %s", c->in_category ? "sells" : "best match is", cat));
    if (c->rating_count > 0)
        jw_str(w, arena_sprintf(req->arena, "rated %.1f from %lld reviews",
                                (double)c->rating_sum / (double)c->rating_count, (long long)c->rating_count));
    if (c->completed > 0)
        jw_str(w, arena_sprintf(req->arena, "completed %lld custom orders", (long long)c->completed));
    if (c->has_delay)
        jw_str(w, arena_sprintf(req->arena, "answers commission requests in about %.0f h",
                                (double)c->delay_ms / 3600000.0));
    jw_str(w, c->accepts ? (c->vacation ? "accepts custom orders (on vacation now)" : "accepts custom orders")
                         : "does not take custom orders");
    jw_end(w);
}

static void write_cand(struct match *m, struct jsonw *w, const struct cand *c)
{
    struct components k = components_of(m, c);
    jw_obj(w);
    jw_kstr(w, "seller_id", c->seller_id);
    jw_kstr(w, "shop_id", c->shop_id);
    jw_kstr(w, "shop_name", c->shop_name);
    kdouble(w, "score", c->score, 1);
    jw_key(w, "components");
    jw_obj(w);
    kdouble(w, "relevance", k.R, 3);
    kdouble(w, "materials", k.M, 3);
    kdouble(w, "techniques", k.T, 3);
    kdouble(w, "category", k.C, 3);
    kdouble(w, "rating", k.Q, 3);
    kdouble(w, "completed_commissions", k.X, 3);
    kdouble(w, "response", k.P, 3);
    kdouble(w, "accepts_commissions", k.A, 3);
    jw_end(w);
    jw_kint(w, "matching_listings", c->listings);
    jw_kbool(w, "accepts_custom_orders", c->accepts);
    jw_kint(w, "completed_custom_orders", c->completed);
    write_reasons(m, w, c);
    jw_end(w);
}

static void write_result(struct match *m, struct jsonw *w, size_t n)
{
    jw_obj(w);
    jw_key(w, "query");
    jw_obj(w);
    jw_kstr(w, "text", m->text);
    jw_kstr(w, "category_id", m->category_id);
    jw_key(w, "words");
    jw_arr(w);
    for (size_t i = 0; i < m->nwords; i++)
        jw_str(w, m->words[i]);
    jw_end(w);
    jw_kstr(w, "object", m->concept.object);
    jw_key(w, "materials");
    jw_arr(w);
    for (size_t i = 0; i < m->concept.nmaterials; i++)
        jw_str(w, m->concept.materials[i].name);
    jw_end(w);
    jw_key(w, "techniques");
    jw_arr(w);
    for (size_t i = 0; i < m->concept.ntechniques; i++)
        jw_str(w, m->concept.techniques[i]);
    jw_end(w);
    jw_end(w);
    jw_key(w, "data");
    jw_arr(w);
    for (size_t i = 0; i < n; i++)
        write_cand(m, w, &m->c[i]);
    jw_end(w);
    jw_key(w, "invite_seller_ids");
    jw_arr(w);
    for (size_t i = 0; i < n; i++)
        if (m->c[i].accepts)
            jw_str(w, m->c[i].seller_id);
    jw_end(w);
    jw_end(w);
}

/*-----------------------------------------------------------------------------
 * The concept's text
 */
static int session_text(struct match *m, const char *id, struct app_error *err)
{
    struct request *req = m->req;
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, vision__sql(VISION_Q_SESSION_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    struct strbuf sb;
    strbuf_init(&sb, req->arena, 256);
    if (rc == 1) {
        strbuf_printf(&sb, "%s", db_column_text(st, 2));
        if (m->category_id == NULL && !db_column_is_null(st, 3))
            m->category_id = arena_strdup(req->arena, db_column_text(st, 3));
    }
    db_reset(st);
    if (rc <= 0)
        return rc == 0 ? app_error_set(err, req->arena, "not_found", "no such vision session")
                       : req_db_error(req, &dberr, err);
    if ((st = db_prepare(req->db, vision__sql(VISION_Q_SESSION_TEXT), &dberr)) == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    while ((rc = db_step(st, &dberr)) == 1)
        if (db_column_i64(st, 0) > 1)
            strbuf_printf(&sb, ". %s", db_column_text(st, 1));
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    m->text = sb.data;
    return 0;
}

static int concept_text(struct match *m, const char *id, struct app_error *err)
{
    struct request *req = m->req;
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, vision__sql(VISION_Q_CONCEPT_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    if (rc == 1) {
        json_t *data = json_loads(db_column_text(st, 5), 0, NULL);
        const char *prompt = json_string_value(json_object_get(data, "prompt"));
        m->text = arena_sprintf(req->arena, "%s. %s", db_column_text(st, 3), prompt ? prompt : "");
        json_decref(data);
    }
    db_reset(st);
    if (rc <= 0)
        return rc == 0 ? app_error_set(err, req->arena, "not_found", "no such concept")
                       : req_db_error(req, &dberr, err);
    return 0;
}

static int concept_source(struct match *m, struct app_error *err)
{
    struct request *req = m->req;
    const char *sid = json_string_value(json_object_get(req->json, "session_id"));
    const char *cid = json_string_value(json_object_get(req->json, "concept_id"));
    const char *text = json_string_value(json_object_get(req->json, "text"));
    m->category_id = json_string_value(json_object_get(req->json, "category_id"));
    if ((sid != NULL) + (cid != NULL) + (text != NULL) != 1) {
        app_error_add_field(err, req->arena, "session_id", "one_of",
                            "give exactly one of session_id, concept_id and text");
        return app_error_set(err, req->arena, "validation_failed", "give exactly one of session_id, concept_id, text");
    }
    if (sid != NULL)
        return session_text(m, sid, err);
    if (cid != NULL)
        return concept_text(m, cid, err);
    m->text = text;
    return 0;
}

int vision_handle_match(struct request *req, struct app_error *err)
{
    struct match m = {.req = req};
    if (concept_source(&m, err) != 0)
        return -1;
    imagegen_analyze(m.text, &m.concept);
    m.c = arena_array(req->arena, struct cand, MATCH_CANDIDATES);
    struct db_error dberr = {0};
    if (search_words(&m, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    size_t kept = 0;
    for (size_t i = 0; i < m.nc; i++) {
        int rc = load_signals(&m, &m.c[i], &dberr);
        if (rc < 0)
            return req_db_error(req, &dberr, err);
        if (rc == 0)
            continue;
        struct components k = components_of(&m, &m.c[i]);
        m.c[i].score = score_of(&k);
        m.c[kept++] = m.c[i];
    }
    qsort(m.c, kept, sizeof *m.c, by_score);
    size_t limit = (size_t)json_integer_value(json_object_get(req->json, "limit"));
    if (limit == 0)
        limit = 10;
    struct jsonw w;
    jw_init(&w, req->arena, 2048 + kept * 1024);
    write_result(&m, &w, kept < limit ? kept : limit);
    res_jsonw(req, 200, &w);
    return 0;
}
