/*
 * vision_sessions.c — generate, refine, sessions, save, concepts.
 *
 * A generate or refine call is one "round" of a session: one transaction
 * locks the caller's user row (so concurrent calls of one user see each
 * other's rows: quotas hold), checks the quotas, creates the session
 * (generate) or locks it (refine: 404 unless it is the caller's), inserts
 * count images 'pending' with the generator and model that will make them,
 * and queues one vision.generate job per image. The answer is 202 with the
 * session as GET /vision/sessions/:id shows it; clients poll that.
 *
 * Quotas (config): vision_per_minute generate/refine calls per user in the
 * last 60 s (429 vision_rate_limited) and vision_daily_cap images per user
 * in the last 24 h, rolling (429 vision_daily_cap_reached); both with
 * Retry-After until the oldest counted call leaves its window. Failed
 * images count: a provider that refuses still cost a call.
 *
 * Refinement: the generator gets the text it builds on — the parent
 * image's prompt, or the session's brief when no image is named — then the
 * follow-up, so the history stays in the prompt (OpenAI-compatible APIs
 * have no conversation). A prompt longer than 4000 bytes loses its oldest
 * words. The seed of a refined image is the parent's plus the round unless
 * one is given, so refining the same image twice is reproducible.
 *
 * Style: "vivid" or "natural" go to the provider as its style parameter;
 * any other style word is appended to the prompt ("Style: rustic."), which
 * is what the offline renderer and Stable Diffusion servers understand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/cursor.h"
#include "http/jsonw.h"
#include "platform/imagegen.h"
#include "services/vision/vision_int.h"

#define PROMPT_MAX 4000
#define TITLE_MAX 60
#define MINUTE_MS 60000
#define DAY_MS (24 * 3600 * 1000LL)

int vision__tx_error(struct request *req, const struct vision_fail *fail, const struct db_error *dberr,
                     struct app_error *err)
{
    if (fail->code == NULL)
        return req_db_error(req, dberr, err);
    if (fail->field != NULL)
        app_error_add_field(err, req->arena, fail->field, "invalid", fail->msg);
    err->retry_after = fail->retry_after;
    return app_error_set(err, req->arena, fail->code, "%s", fail->msg);
}

/* The first max bytes of s cut at a character boundary, in the arena. */
static char *utf8_head(struct arena *a, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return arena_strdup(a, s);
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return arena_strndup(a, s, max);
}

/* base + ". " + tail, dropping base's oldest bytes (at a character boundary) to stay under PROMPT_MAX. */
static char *join_prompt(struct arena *a, const char *base, const char *tail)
{
    size_t bl = strlen(base), tl = strlen(tail);
    if (bl + tl + 2 > PROMPT_MAX) {
        size_t keep = PROMPT_MAX - tl - 2, skip = bl - keep;
        while (skip < bl && ((unsigned char)base[skip] & 0xC0) == 0x80)
            skip++;
        base += skip;
    }
    return arena_sprintf(a, "%s. %s", base, tail);
}

/*-----------------------------------------------------------------------------
 * One round (generate or refine)
 */
struct round_tx {
    struct request *req;
    /* in */
    const char *session_id; /* refine; generate creates it */
    const char *parent_id;  /* refine: the image built on, or NULL */
    const char *instruction;
    const char *prompt; /* generate: the effective prompt; refine: computed in the transaction */
    const char *style, *provider_style, *quality, *category_id;
    int count, width, height;
    int64_t seed; /* -1: choose */
    /* out */
    struct vision_fail fail;
};

static int check_quota(struct db *db, struct round_tx *t, int64_t now, struct db_error *dberr)
{
    struct vision_state *vs = vision__state();
    struct db_param p[] = {DB_TEXT(t->req->user_id), DB_I64(now - MINUTE_MS), DB_I64(now - DAY_MS)};
    if (db_exec(db, vision__sql(VISION_Q_USER_LOCK), p, 1, dberr) < 0)
        return -1;
    struct db_stmt *st = db_prepare(db, vision__sql(VISION_Q_QUOTA), dberr);
    if (st == NULL)
        return -1;
    db_bind_all(st, p, 3);
    int rc = db_step(st, dberr);
    if (rc < 0)
        return -1;
    int64_t calls = db_column_i64(st, 0), images = db_column_i64(st, 1);
    int64_t oldest_min = db_column_i64(st, 2), oldest_day = db_column_i64(st, 3);
    db_reset(st);
    if (calls >= vs->per_minute) {
        t->fail = (struct vision_fail){"vision_rate_limited", "too many image generations in the last minute", NULL,
                                       (long)((oldest_min + MINUTE_MS - now) / 1000 + 1)};
        return -1;
    }
    if (images + t->count > vs->daily_cap) {
        char *msg = arena_sprintf(t->req->arena, "the daily cap of %d concept images is reached (%lld in the last 24 h)",
                                  vs->daily_cap, (long long)images);
        t->fail = (struct vision_fail){"vision_daily_cap_reached", msg, NULL,
                                       (long)((oldest_day + DAY_MS - now) / 1000 + 1)};
        return -1;
    }
    return 0;
}

static uint32_t random_seed(void)
{
    uint32_t s;
    random_bytes(&s, sizeof s);
    return s & 0x7fffffff;
}

/* Refine: lock the session, resolve the parent, compute the prompt and round. 0, or -1 (fail set or db error). */
static int refine_base(struct db *db, struct round_tx *t, int64_t *round, struct db_error *dberr)
{
    struct request *req = t->req;
    struct db_stmt *st = db_prepare(db, vision__sql(VISION_Q_SESSION_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->session_id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, dberr);
    if (rc == 1)
        *round = db_column_i64(st, 1) + 1;
    db_reset(st);
    if (rc == 0)
        t->fail = (struct vision_fail){"not_found", "no such vision session"};
    if (rc <= 0)
        return -1;
    const char *base = NULL;
    int64_t parent_seed = 0;
    if (t->parent_id != NULL) {
        st = db_prepare(db, vision__sql(VISION_Q_IMAGE_IN_SESSION), dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(t->parent_id));
        db_bind(st, 2, DB_TEXT(t->session_id));
        rc = db_step(st, dberr);
        bool ready = false;
        if (rc == 1) {
            base = arena_strdup(req->arena, db_column_text(st, 0));
            parent_seed = db_column_i64(st, 1);
            ready = strcmp(db_column_text(st, 2), "ready") == 0;
            if (t->width == 0) {
                t->width = (int)db_column_i64(st, 3);
                t->height = (int)db_column_i64(st, 4);
            }
        }
        db_reset(st);
        if (rc == 0)
            t->fail = (struct vision_fail){"not_found", "no such image in this session", "image_id"};
        else if (rc == 1 && !ready)
            t->fail = (struct vision_fail){"vision_image_not_ready",
                                           "only a ready image can be refined (it is pending or failed)", "image_id"};
        if (rc <= 0 || !ready)
            return -1;
    } else {
        st = db_prepare(db, vision__sql(VISION_Q_SESSION_GET), dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(t->session_id));
        db_bind(st, 2, DB_TEXT(req->user_id));
        rc = db_step(st, dberr);
        if (rc == 1) {
            base = arena_strdup(req->arena, db_column_text(st, 2));
            json_t *set = json_loads(db_column_text(st, 7), 0, NULL);
            if (t->width == 0 && json_is_integer(json_object_get(set, "width"))) {
                t->width = (int)json_integer_value(json_object_get(set, "width"));
                t->height = (int)json_integer_value(json_object_get(set, "height"));
            }
            json_decref(set);
        }
        db_reset(st);
        if (rc <= 0)
            return -1;
    }
    t->prompt = join_prompt(req->arena, base, t->instruction);
    if (t->seed < 0 && t->parent_id != NULL)
        t->seed = (parent_seed + *round) & 0x7fffffff;
    if (t->width == 0)
        t->width = t->height = 1024;
    return 0;
}

static int new_session(struct db *db, struct round_tx *t, int64_t now, struct db_error *dberr)
{
    struct request *req = t->req;
    if (t->category_id != NULL) {
        struct db_stmt *st = db_prepare(db, vision__sql(VISION_Q_CATEGORY_EXISTS), dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(t->category_id));
        int rc = db_step(st, dberr);
        db_reset(st);
        if (rc == 0)
            t->fail = (struct vision_fail){"validation_failed", "no such category", "category_id"};
        if (rc <= 0)
            return -1;
    }
    t->session_id = id_new(req->arena, "vis");
    json_t *set = json_pack("{s:i, s:i, s:i}", "count", t->count, "width", t->width, "height", t->height);
    if (t->style)
        json_object_set_new(set, "style", json_string(t->style));
    if (t->quality)
        json_object_set_new(set, "quality", json_string(t->quality));
    char *settings = json_dumps(set, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(set);
    struct db_param p[] = {DB_TEXT(t->session_id), DB_TEXT(req->user_id),
                           DB_TEXT(utf8_head(req->arena, t->instruction, TITLE_MAX)), DB_TEXT(t->instruction),
                           DB_TEXT(t->category_id), DB_TEXT(arena_strdup(req->arena, settings)), DB_I64(now)};
    free(settings);
    return db_exec(db, vision__sql(VISION_Q_SESSION_INSERT), p, 7, dberr) < 0 ? -1 : 0;
}

static int insert_images(struct db *db, struct round_tx *t, int64_t round, int64_t now, struct db_error *dberr)
{
    struct request *req = t->req;
    struct vision_state *vs = vision__state();
    const char *batch = id_new(req->arena, "vbt");
    if (t->seed < 0)
        t->seed = random_seed();
    for (int i = 0; i < t->count; i++) {
        const char *id = id_new(req->arena, "vim");
        struct db_param p[] = {DB_TEXT(id),
                               DB_TEXT(t->session_id),
                               DB_TEXT(req->user_id),
                               DB_TEXT(t->parent_id),
                               DB_TEXT(t->prompt),
                               DB_TEXT(imagegen_kind(vs->gen)),
                               DB_TEXT(imagegen_model(vs->gen)),
                               DB_I64((t->seed + i) & 0x7fffffff),
                               DB_I64(t->width),
                               DB_I64(t->height),
                               DB_TEXT(batch),
                               DB_I64(round),
                               DB_TEXT(t->instruction),
                               DB_TEXT(t->style),
                               DB_TEXT(t->quality),
                               DB_I64(now)};
        if (db_exec(db, vision__sql(VISION_Q_IMAGE_INSERT), p, 16, dberr) < 0 ||
            vision__enqueue_generate(db, id, dberr) != 0)
            return -1;
    }
    struct db_param b[] = {DB_TEXT(t->session_id), DB_I64(t->count), DB_I64(now)};
    return db_exec(db, vision__sql(VISION_Q_SESSION_BUMP), b, 3, dberr) < 0 ? -1 : 0;
}

static int run_round(struct db *db, void *arg, struct db_error *dberr)
{
    struct round_tx *t = arg;
    int64_t now = time_now_ms(), round = 1;
    if (check_quota(db, t, now, dberr) != 0)
        return -1;
    if (t->session_id == NULL ? new_session(db, t, now, dberr) : refine_base(db, t, &round, dberr))
        return -1;
    return insert_images(db, t, round, now, dberr);
}

static int finish_round(struct request *req, struct round_tx *t, struct app_error *err)
{
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, run_round, t, &dberr) != 0)
        return vision__tx_error(req, &t->fail, &dberr, err);
    struct jsonw w;
    jw_init(&w, req->arena, 4096);
    if (vision__write_session(req, &w, t->session_id, err) != 0)
        return -1;
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/vision/sessions/%s", t->session_id));
    res_jsonw(req, 202, &w);
    return 0;
}

/* size "WxH" (validated by the route) into t. */
static void parse_size(struct round_tx *t, const char *size)
{
    if (size != NULL && sscanf(size, "%dx%d", &t->width, &t->height) == 2)
        return;
    t->width = t->height = 0;
}

static void take_style(struct request *req, struct round_tx *t)
{
    json_t *seed = json_object_get(req->json, "seed");
    t->seed = json_is_integer(seed) ? json_integer_value(seed) : -1;
    json_t *count = json_object_get(req->json, "count");
    t->count = json_is_integer(count) ? (int)json_integer_value(count) : 1;
    t->quality = json_string_value(json_object_get(req->json, "quality"));
    t->style = json_string_value(json_object_get(req->json, "style"));
    if (t->style && (strcmp(t->style, "vivid") == 0 || strcmp(t->style, "natural") == 0))
        t->provider_style = t->style;
}

int vision_handle_generate(struct request *req, struct app_error *err)
{
    struct round_tx t = {.req = req};
    take_style(req, &t);
    t.instruction = json_string_value(json_object_get(req->json, "prompt"));
    t.category_id = json_string_value(json_object_get(req->json, "category_id"));
    parse_size(&t, json_string_value(json_object_get(req->json, "size")));
    if (t.width == 0)
        t.width = t.height = 1024;
    t.prompt = t.style && !t.provider_style ? arena_sprintf(req->arena, "%s. Style: %s.", t.instruction, t.style)
                                            : t.instruction;
    return finish_round(req, &t, err);
}

int vision_handle_refine(struct request *req, struct app_error *err)
{
    struct round_tx t = {.req = req};
    take_style(req, &t);
    t.session_id = json_string_value(json_object_get(req->json, "session_id"));
    t.parent_id = json_string_value(json_object_get(req->json, "image_id"));
    t.instruction = json_string_value(json_object_get(req->json, "prompt"));
    return finish_round(req, &t, err);
}

/*-----------------------------------------------------------------------------
 * Reading
 */
int vision_handle_get_session(struct request *req, struct app_error *err)
{
    struct jsonw w;
    jw_init(&w, req->arena, 4096);
    if (vision__write_session(req, &w, req_param(req, "id"), err) != 0)
        return -1;
    res_jsonw(req, 200, &w);
    return 0;
}

int vision_handle_list_sessions(struct request *req, struct app_error *err)
{
    int64_t after_ms = 0, limit = req_param_i64(req, "limit", 20);
    const char *after_id;
    if (req_cursor_at(req, "vis", &after_ms, &after_id, err) != 0)
        return -1;
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, vision__sql(VISION_Q_SESSIONS_PAGE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    struct db_param p[] = {DB_TEXT(req->user_id), after_id ? DB_I64(after_ms) : DB_NULL, DB_TEXT(after_id),
                           DB_I64(limit + 1)};
    db_bind_all(st, p, 4);
    struct jsonw w;
    jw_init(&w, req->arena, 1024);
    jw_obj(&w);
    jw_key(&w, "data");
    jw_arr(&w);
    int rc, n = 0;
    const char *next = NULL;
    while ((rc = db_step(st, &dberr)) == 1) {
        if (++n > limit)
            break;
        jw_obj(&w);
        jw_kstr(&w, "id", db_column_text(st, 0));
        jw_kstr(&w, "title", db_column_text(st, 1));
        jw_kstr(&w, "brief", db_column_text(st, 2));
        jw_kstr(&w, "status", db_column_text(st, 3));
        jw_kint(&w, "image_count", db_column_i64(st, 4));
        jw_kint(&w, "rounds", db_column_i64(st, 5));
        jw_kstr(&w, "cover_media_id", db_column_text(st, 8));
        jw_kstr(&w, "created_at", req_time(req, db_column_i64(st, 6)));
        jw_kstr(&w, "updated_at", req_time(req, db_column_i64(st, 7)));
        jw_end(&w);
        next = req_cursor_at_make(req, db_column_i64(st, 6), db_column_text(st, 0));
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    jw_end(&w);
    jw_kstr(&w, "next_cursor", n > limit ? next : NULL);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}
