/*
 * media_jobs.c — background work of the media service.
 *
 * media.process {"id"}: read the stored original, render the variants
 *   thumbnail (fits 200×200), medium (800), large (1600) — JPEG, or PNG for
 *   images with transparency — and webp (WebP, fits 2048×2048), store each
 *   under "<shard>/<id>/<name>.<ext>", then record them in the row's
 *   variants JSON ({name: {key, mime, bytes, width, height, sha256}}) and
 *   mark it 'ready'. After the last failed attempt the row is 'failed'
 *   (POST …/process queues it again).
 * media.delete {"id"}: remove the stored original and variants of a row
 *   marked 'deleted'.
 *
 * Both are idempotent, as the queue requires: keys are fixed per id and
 * variant, a put replaces, a delete of a missing object succeeds. A
 * process job that finds its row deleted while it worked removes the
 * variants it just wrote (the delete job may have run before they existed).
 *
 * Caveats: variants are never larger than the original (no enlarging);
 * an animated image's variants show its first frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/image.h"
#include "platform/jobs.h"
#include "platform/media_store.h"
#include "services/media/media_int.h"

#define PROCESS_MAX_ATTEMPTS 3
#define DELETE_MAX_ATTEMPTS 8

struct variant_spec {
    const char *name;
    int box;
    enum image_type as; /* IMAGE_WEBP, or IMAGE_UNKNOWN for JPEG/PNG */
};

static const struct variant_spec variants[] = {
    {"thumbnail", 200, IMAGE_UNKNOWN},
    {"medium", 800, IMAGE_UNKNOWN},
    {"large", 1600, IMAGE_UNKNOWN},
    {"webp", 2048, IMAGE_WEBP},
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

int media__enqueue_process(struct db *db, const char *id, char *job_id, struct db_error *err)
{
    json_t *payload = json_pack("{s:s}", "id", id);
    struct job_opts opts = {.dedupe_key = id};
    int rc = jobs_enqueue(db, MEDIA_JOB_PROCESS, payload, &opts, job_id, err);
    json_decref(payload);
    return rc;
}

/* The row a job works on. */
struct job_row {
    const char *key, *mime, *status;
    int64_t bytes;
    json_t *variants; /* owned: decref */
};

/* 1: found, 0: no such row, -1: database error (message in *errmsg). */
static int load_row(struct job *job, const char *id, struct job_row *row, const char **errmsg)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(job->db, media__sql(MEDIA_Q_JOB_ROW), &dberr);
    int rc = -1;
    if (st != NULL) {
        db_bind(st, 1, DB_TEXT(id));
        rc = db_step(st, &dberr);
    }
    if (rc == 1) {
        row->key = arena_strdup(job->arena, db_column_text(st, 0));
        row->mime = arena_strdup(job->arena, db_column_text(st, 1));
        row->bytes = db_column_i64(st, 2);
        row->status = arena_strdup(job->arena, db_column_text(st, 3));
        const char *v = db_column_text(st, 4);
        row->variants = json_loads(v ? v : "{}", 0, NULL);
        if (!json_is_object(row->variants)) {
            json_decref(row->variants);
            row->variants = json_object();
        }
    }
    if (st != NULL)
        db_reset(st);
    if (rc < 0)
        *errmsg = arena_sprintf(job->arena, "database: %s", dberr.msg);
    return rc;
}

static const char *payload_id(struct job *job, const char **errmsg)
{
    const char *id = json_string_value(json_object_get(job->payload, "id"));
    if (id == NULL || !id_valid(id, "med")) {
        *errmsg = "payload has no valid media id";
        return NULL;
    }
    return id;
}

/*-----------------------------------------------------------------------------
 * media.process
 */
static void mark_failed(struct job *job, const char *id)
{
    struct db_error dberr = {0};
    struct db_param p[] = {DB_TEXT(id), DB_I64(time_now_ms())};
    if (db_exec(job->db, media__sql(MEDIA_Q_SET_FAILED), p, 2, &dberr) < 0)
        log_warn("media not marked failed", "%s: %s", id, dberr.msg);
}

/* Render, store and describe one variant into out (a JSON object). 0 or -1 (*errmsg). */
static int make_variant(struct job *job, const char *id, const char *data, size_t len, const struct variant_spec *v,
                        json_t *out, const char **errmsg)
{
    struct media_state *ms = media__state();
    struct image_out img;
    struct image_error ie;
    if (image_render(data, len, v->box, v->as, job->arena, &img, &ie) != 0) {
        *errmsg = arena_sprintf(job->arena, "%s: %s", v->name, ie.msg);
        return -1;
    }
    const char *key = media__key(job->arena, id, v->name, image_ext(img.info.type));
    struct media_store_error serr;
    if (media_store_put(ms->store, key, img.data, img.len, image_mime(img.info.type), &serr) != 0) {
        *errmsg = arena_sprintf(job->arena, "%s: store: %s", v->name, serr.msg);
        return -1;
    }
    json_object_set_new(out, v->name,
                        json_pack("{s:s, s:s, s:I, s:i, s:i, s:s}", "key", key, "mime", image_mime(img.info.type),
                                  "bytes", (json_int_t)img.len, "width", img.info.width, "height", img.info.height,
                                  "sha256", media__sha256_hex(job->arena, img.data, img.len)));
    return 0;
}

/* The row was deleted while we worked: remove what we stored for it. */
static void drop_variants(const char *id, json_t *made)
{
    struct media_store_error serr;
    const char *name;
    json_t *v;
    json_object_foreach(made, name, v)
    {
        const char *key = json_string_value(json_object_get(v, "key"));
        if (key != NULL && media_store_delete(media__state()->store, key, &serr) != 0)
            log_warn("orphaned media variant", "%s %s: %s", id, key, serr.msg);
    }
}

static int process_job(struct job *job, const char **errmsg)
{
    struct media_state *ms = media__state();
    struct job_row row = {0};
    json_t *made = NULL;
    int ret = -1;
    const char *id = payload_id(job, errmsg);
    if (id == NULL)
        return -1;
    int rc = load_row(job, id, &row, errmsg);
    if (rc < 0)
        goto out;
    if (rc == 0 || strcmp(row.status, "deleted") == 0) {
        ret = 0; /* nothing to do */
        goto out;
    }
    const char *data;
    size_t len;
    struct media_store_error serr;
    if (media_store_get(ms->store, row.key, 0, row.bytes > 0 ? (uint64_t)row.bytes : MEDIA_STORE_TO_END, job->arena,
                        &data, &len, &serr) != 0) {
        *errmsg = arena_sprintf(job->arena, "original: %s", serr.msg);
        goto fail;
    }
    made = json_object();
    for (size_t i = 0; i < NVARIANTS; i++)
        if (make_variant(job, id, data, len, &variants[i], made, errmsg) != 0)
            goto fail;
    char *text = json_dumps(made, JSON_COMPACT | JSON_SORT_KEYS);
    struct db_error dberr = {0};
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(text), DB_I64(time_now_ms())};
    int64_t n = db_exec(job->db, media__sql(MEDIA_Q_SET_READY), p, 3, &dberr);
    free(text);
    if (n < 0) {
        *errmsg = arena_sprintf(job->arena, "database: %s", dberr.msg);
        goto fail;
    }
    if (n == 0)
        drop_variants(id, made);
    else
        log_info("media variants ready", "id=%s", id);
    ret = 0;
    goto out;
fail:
    if (job->attempt >= job->max_attempts)
        mark_failed(job, id);
out:
    json_decref(made);
    json_decref(row.variants);
    return ret;
}

/*-----------------------------------------------------------------------------
 * media.delete
 */
static int delete_job(struct job *job, const char **errmsg)
{
    struct media_state *ms = media__state();
    struct job_row row = {0};
    struct media_store_error serr;
    int ret = -1;
    const char *id = payload_id(job, errmsg);
    if (id == NULL)
        return -1;
    int rc = load_row(job, id, &row, errmsg);
    if (rc < 0)
        goto out;
    if (rc == 0 || strcmp(row.status, "deleted") != 0) {
        ret = 0; /* gone already, or not deleted: nothing to remove */
        goto out;
    }
    const char *name;
    json_t *v;
    json_object_foreach(row.variants, name, v)
    {
        const char *key = json_string_value(json_object_get(v, "key"));
        if (key != NULL && media_store_delete(ms->store, key, &serr) != 0) {
            *errmsg = arena_sprintf(job->arena, "%s: %s", name, serr.msg);
            goto out;
        }
    }
    if (media_store_delete(ms->store, row.key, &serr) != 0) {
        *errmsg = arena_sprintf(job->arena, "original: %s", serr.msg);
        goto out;
    }
    log_info("media objects removed", "id=%s", id);
    ret = 0;
out:
    json_decref(row.variants);
    return ret;
}

void media__register_jobs(struct job_registry *r)
{
    jobs_register(r, MEDIA_JOB_PROCESS, process_job, PROCESS_MAX_ATTEMPTS);
    jobs_register(r, MEDIA_JOB_DELETE, delete_job, DELETE_MAX_ATTEMPTS);
}
