/*
 * vision_jobs.c — the vision.generate job {"id": image id}.
 *
 * 1. Read the image row; anything but 'pending' is done already (a retried
 *    or duplicated job does nothing).
 * 2. Generate with the module's generator, outside any transaction (the
 *    provider call can take a minute).
 * 3. Store the bytes in the media store under "<shard>/<media id>/original.<ext>"
 *    (the media service's layout), then one transaction: a media_objects
 *    row (kind vision_image, private to the owner), the image 'ready' with
 *    its media id and the generator and model that really made it (the
 *    configuration may have changed since the image was queued), the
 *    media.process job (variants), and the session's updated_at. If the
 *    image was no longer pending the transaction is rolled back and the
 *    stored object deleted.
 *
 * Failures: retryable ones (provider unavailable or timing out after the
 * client's own retries, store errors) fail the job so the queue retries it
 * with backoff, until the last attempt; then, and at once for the others
 * (content policy, rejected request, bad key), the image is marked
 * 'failed' with a problem object {type, title, status, code, detail} the
 * session shows.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/errors.h"
#include "platform/imagegen.h"
#include "platform/jobs.h"
#include "platform/media_store.h"
#include "services/vision/vision_int.h"

int vision__enqueue_generate(struct db *db, const char *image_id, struct db_error *err)
{
    json_t *payload = json_pack("{s:s}", "id", image_id);
    struct job_opts opts = {.dedupe_key = image_id};
    int rc = jobs_enqueue(db, VISION_JOB_GENERATE, payload, &opts, NULL, err);
    json_decref(payload);
    return rc;
}

struct gen_row {
    const char *prompt, *style, *quality, *status, *user_id, *session_id;
    int64_t seed, width, height;
};

/* 1 found, 0 none, -1 error. */
static int load_row(struct job *job, const char *id, struct gen_row *r, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(job->db, vision__sql(VISION_Q_JOB_IMAGE), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, dberr);
    if (rc == 1) {
        struct arena *a = job->arena;
        *r = (struct gen_row){
            .prompt = arena_strdup(a, db_column_text(st, 0)),
            .seed = db_column_i64(st, 1),
            .width = db_column_i64(st, 2),
            .height = db_column_i64(st, 3),
            .style = db_column_is_null(st, 4) ? NULL : arena_strdup(a, db_column_text(st, 4)),
            .quality = db_column_is_null(st, 5) ? NULL : arena_strdup(a, db_column_text(st, 5)),
            .status = arena_strdup(a, db_column_text(st, 7)),
            .user_id = arena_strdup(a, db_column_text(st, 8)),
            .session_id = arena_strdup(a, db_column_text(st, 9)),
        };
    }
    db_reset(st);
    return rc;
}

static const char *error_code(enum imagegen_errkind k)
{
    switch (k) {
    case IMAGEGEN_E_REFUSED:
        return "vision_content_refused";
    case IMAGEGEN_E_INVALID:
        return "vision_provider_rejected";
    case IMAGEGEN_E_AUTH:
        return "vision_provider_auth";
    case IMAGEGEN_E_UNAVAILABLE:
        return "vision_provider_unavailable";
    case IMAGEGEN_E_TIMEOUT:
        return "vision_provider_timeout";
    case IMAGEGEN_E_PROVIDER:
        return "vision_provider_error";
    default:
        return "vision_render_failed";
    }
}

/* Mark the image failed with a problem object for code. */
static int mark_failed(struct job *job, const char *id, const char *code, const char *detail, const char *provider_code)
{
    char type[128];
    snprintf(type, sizeof type, "https://artistry.cart/problems/%s", code);
    for (char *p = type; *p; p++)
        if (*p == '_')
            *p = '-';
    json_t *pb = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", http_error_title(code), "status",
                           http_error_status(code), "code", code, "detail", detail);
    if (provider_code != NULL && provider_code[0] != '\0')
        json_object_set_new(pb, "provider_code", json_string(provider_code));
    char *text = json_dumps(pb, JSON_COMPACT);
    json_decref(pb);
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(text), DB_I64(time_now_ms())};
    struct db_error dberr = {0};
    int64_t n = db_exec(job->db, vision__sql(VISION_Q_IMAGE_FAILED), p, 3, &dberr);
    free(text);
    return n < 0 ? -1 : 0;
}

struct ready_tx {
    const char *image_id, *media_id, *user_id, *session_id, *key, *sha, *gen, *model;
    const struct imagegen_result *img;
    bool lost; /* the image was no longer pending */
};

static int record_ready(struct db *db, void *arg, struct db_error *dberr)
{
    struct ready_tx *t = arg;
    int64_t now = time_now_ms();
    struct db_param m[] = {DB_TEXT(t->media_id),  DB_TEXT(t->user_id),     DB_TEXT(t->img->mime),
                           DB_I64(t->img->len),   DB_I64(t->img->width),   DB_I64(t->img->height),
                           DB_TEXT(t->sha),       DB_TEXT(t->key),         DB_TEXT(t->image_id),
                           DB_I64(now)};
    if (db_exec(db, vision__sql(VISION_Q_MEDIA_INSERT), m, 10, dberr) < 0)
        return -1;
    struct db_param u[] = {DB_TEXT(t->image_id),      DB_TEXT(t->media_id),   DB_TEXT(t->img->revised_prompt),
                           DB_I64(t->img->width),     DB_I64(t->img->height), DB_I64(now),
                           DB_TEXT(t->gen),           DB_TEXT(t->model)};
    int64_t n = db_exec(db, vision__sql(VISION_Q_IMAGE_READY), u, 8, dberr);
    if (n <= 0) {
        t->lost = n == 0;
        return -1;
    }
    json_t *payload = json_pack("{s:s}", "id", t->media_id);
    struct job_opts opts = {.dedupe_key = t->media_id};
    int rc = jobs_enqueue(db, "media.process", payload, &opts, NULL, dberr);
    json_decref(payload);
    if (rc != 0)
        return -1;
    struct db_param s[] = {DB_TEXT(t->session_id), DB_I64(now)};
    return db_exec(db, vision__sql(VISION_Q_SESSION_TOUCH), s, 2, dberr) < 0 ? -1 : 0;
}

static const char *sha256_hex(struct arena *a, const void *data, size_t len)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    char *hex = arena_alloc(a, 2 * sizeof h + 1);
    sodium_bin2hex(hex, 2 * sizeof h + 1, h, sizeof h);
    return hex;
}

/* Store the image and record it. 0 done, -1 retry (message in *errmsg). */
static int store_and_record(struct job *job, const char *id, const struct gen_row *r,
                            const struct imagegen_result *img, const char **errmsg)
{
    struct vision_state *vs = vision__state();
    const char *media_id = id_new(job->arena, "med");
    size_t ml = strlen(media_id);
    const char *key = arena_sprintf(job->arena, "%s/%s/original.%s", media_id + ml - 2, media_id, img->ext);
    struct media_store_error serr = {0};
    if (media_store_put(vs->store, key, img->data, img->len, img->mime, &serr) != 0) {
        *errmsg = arena_sprintf(job->arena, "media store: %s", serr.msg);
        return -1;
    }
    struct ready_tx t = {.image_id = id, .media_id = media_id, .user_id = r->user_id, .session_id = r->session_id,
                         .key = key, .sha = sha256_hex(job->arena, img->data, img->len),
                         .gen = imagegen_kind(vs->gen), .model = imagegen_model(vs->gen), .img = img};
    struct db_error dberr = {0};
    if (db_tx(job->db, 3, record_ready, &t, &dberr) != 0) {
        media_store_delete(vs->store, key, &serr);
        if (t.lost)
            return 0;
        *errmsg = arena_sprintf(job->arena, "recording the image: %s", dberr.msg);
        return -1;
    }
    return 0;
}

static int run_generate(struct job *job, const char **errmsg)
{
    const char *id = json_string_value(json_object_get(job->payload, "id"));
    struct gen_row r = {0};
    struct db_error dberr = {0};
    int rc = id ? load_row(job, id, &r, &dberr) : 0;
    if (rc < 0) {
        *errmsg = arena_sprintf(job->arena, "loading the image: %s", dberr.msg);
        return -1;
    }
    if (rc == 0 || strcmp(r.status, "pending") != 0)
        return 0;
    bool provider_style = r.style && (strcmp(r.style, "vivid") == 0 || strcmp(r.style, "natural") == 0);
    struct imagegen_request gr = {.prompt = r.prompt, .style = provider_style ? r.style : NULL,
                                  .quality = r.quality, .width = (int)r.width, .height = (int)r.height,
                                  .seed = (uint64_t)r.seed, .user = r.user_id};
    struct imagegen_result img;
    struct imagegen_error gerr;
    bool last = job->attempt >= job->max_attempts;
    if (imagegen_generate(vision__state()->gen, &gr, job->arena, &img, &gerr) != 0) {
        if (imagegen_error_retryable(gerr.kind) && !last) {
            *errmsg = arena_sprintf(job->arena, "%s: %s", imagegen_errkind_name(gerr.kind), gerr.msg);
            return -1;
        }
        log_info("vision: image failed", "%s %s: %s", id, imagegen_errkind_name(gerr.kind), gerr.msg);
        return mark_failed(job, id, error_code(gerr.kind), gerr.msg, gerr.code) == 0 ? 0 : -1;
    }
    if (store_and_record(job, id, &r, &img, errmsg) != 0) {
        if (!last)
            return -1;
        return mark_failed(job, id, "storage_error", "the generated image could not be stored", NULL) == 0 ? 0 : -1;
    }
    return 0;
}

void vision__register_jobs(struct job_registry *r)
{
    jobs_register(r, VISION_JOB_GENERATE, run_generate, VISION_JOB_ATTEMPTS);
}
