/*
 * media_manage.c — DELETE /api/v1/media/:id and POST /api/v1/media/:id/process.
 *
 * Both act only on a row the caller owns (or any row, for an admin): the
 * ownership test is in the locking SELECT itself. When it finds nothing,
 * the caller learns as much as GET would tell them: 403 forbidden for an
 * object of a public kind (anyone can see that it exists), 404 for a
 * private one or none at all.
 *
 * Delete: refused with 409 media_in_use while a product image refers to
 * the object (product_images.media_id is ON DELETE RESTRICT, and silently
 * dropping a listing's picture would surprise its seller: they detach it
 * first). Otherwise the row becomes 'deleted' — serving stops at once — and
 * the media.delete job removes the stored original and variants, so the
 * request never waits on the store. The row stays as a tombstone (its keys
 * tell the job what to remove).
 *
 * Process: queues media.process again (deduplicated while one is queued);
 * a 'failed' object goes back to 'pending'. 202 with the job id.
 *
 * Caveats: other references (a user's avatar_media_id, a shop's logo)
 * do not block a delete; they then point at an object that answers 404.
 */
#include <stdio.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/jobs.h"
#include "services/media/media.h"
#include "services/media/media_int.h"

enum outcome { OUT_OK, OUT_NOT_FOUND, OUT_FORBIDDEN, OUT_IN_USE };

struct manage_ctx {
    const char *id, *user_id;
    int admin;
    enum outcome outcome;
    char status[16];
    char job_id[ID_MAX_LEN];
};

/*
 * Lock the caller's row. 1: locked (status copied), 0: not theirs
 * (c->outcome says 403 or 404), -1: database error.
 */
static int lock_owned(struct db *db, struct manage_ctx *c, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, media__sql(MEDIA_Q_OWNED_LOCK), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(c->id));
    db_bind(st, 2, DB_TEXT(c->user_id));
    db_bind(st, 3, DB_I64(c->admin));
    int rc = db_step(st, err);
    if (rc == 1)
        snprintf(c->status, sizeof c->status, "%s", db_column_text(st, 2));
    db_reset(st);
    if (rc != 0)
        return rc;
    st = db_prepare(db, media__sql(MEDIA_Q_PUBLIC_EXISTS), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(c->id));
    rc = db_step(st, err);
    db_reset(st);
    if (rc < 0)
        return -1;
    c->outcome = rc == 1 ? OUT_FORBIDDEN : OUT_NOT_FOUND;
    return 0;
}

static int delete_tx(struct db *db, void *arg, struct db_error *err)
{
    struct manage_ctx *c = arg;
    c->outcome = OUT_OK;
    int rc = lock_owned(db, c, err);
    if (rc <= 0)
        return rc;
    struct db_stmt *st = db_prepare(db, media__sql(MEDIA_Q_IN_USE), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(c->id));
    rc = db_step(st, err);
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        c->outcome = OUT_IN_USE;
        return 0;
    }
    struct db_param p[] = {DB_TEXT(c->id), DB_I64(time_now_ms())};
    if (db_exec(db, media__sql(MEDIA_Q_MARK_DELETED), p, 2, err) < 0)
        return -1;
    json_t *payload = json_pack("{s:s}", "id", c->id);
    rc = jobs_enqueue(db, MEDIA_JOB_DELETE, payload, NULL, c->job_id, err);
    json_decref(payload);
    return rc;
}

static int process_tx(struct db *db, void *arg, struct db_error *err)
{
    struct manage_ctx *c = arg;
    c->outcome = OUT_OK;
    int rc = lock_owned(db, c, err);
    if (rc <= 0)
        return rc;
    struct db_param p[] = {DB_TEXT(c->id), DB_I64(time_now_ms())};
    int64_t n = db_exec(db, media__sql(MEDIA_Q_RETRY_FAILED), p, 2, err);
    if (n < 0)
        return -1;
    if (n > 0)
        snprintf(c->status, sizeof c->status, "pending");
    return media__enqueue_process(db, c->id, c->job_id, err);
}

static int refusal(struct request *req, const struct manage_ctx *c, struct app_error *err)
{
    switch (c->outcome) {
    case OUT_FORBIDDEN:
        return app_error_set(err, req->arena, "forbidden", "media object %s is not yours", c->id);
    case OUT_IN_USE:
        return app_error_set(err, req->arena, "media_in_use",
                             "media object %s is a product image; remove it from the product first", c->id);
    default:
        return app_error_set(err, req->arena, "not_found", "no media object %s", c->id);
    }
}

static int run(struct request *req, int (*fn)(struct db *, void *, struct db_error *), struct manage_ctx *c,
               struct app_error *err)
{
    struct db_error dberr = {0};
    c->id = req_param(req, "id");
    c->user_id = req->user_id;
    c->admin = media__is_admin(req) ? 1 : 0;
    if (db_tx(req->db, 3, fn, c, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (c->outcome != OUT_OK)
        return refusal(req, c, err);
    return 0;
}

int media_handle_delete(struct request *req, struct app_error *err)
{
    struct manage_ctx c = {0};
    if (run(req, delete_tx, &c, err) != 0)
        return -1;
    res_empty(req, 204);
    return 0;
}

int media_handle_process(struct request *req, struct app_error *err)
{
    struct manage_ctx c = {0};
    if (run(req, process_tx, &c, err) != 0)
        return -1;
    res_json(req, 202,
             json_pack("{s:s, s:s, s:s?}", "id", c.id, "status", c.status, "job_id", c.job_id[0] ? c.job_id : NULL));
    return 0;
}

/*-----------------------------------------------------------------------------
 * Read grants (media.h)
 */
int media_grant_read(struct db *tx, const char *media_id, const char *user_id, const char *reason,
                     struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(media_id), DB_TEXT(user_id), DB_TEXT(reason), DB_I64(time_now_ms())};
    return db_exec(tx, media__sql(MEDIA_Q_GRANT), p, 4, err) < 0 ? -1 : 0;
}
