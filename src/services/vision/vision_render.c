/*
 * vision_render.c — a session as JSON: its settings, every image with its
 * status and the generator that made it, and the refinement history.
 *
 *   {"id","title","brief","category_id","status","settings":{…},
 *    "image_count","counts":{"pending","ready","failed"},
 *    "images":[{"id","round","parent_image_id","instruction","prompt",
 *               "revised_prompt","status","generator":{"name","model"},
 *               "seed","size":{"width","height"},"style","quality",
 *               "media_id","url","error":{problem}|null,"created_at",
 *               "updated_at"}],
 *    "history":[{"round","instruction","parent_image_id","image_ids":[…],
 *                "created_at"}],
 *    "created_at","updated_at"}
 *
 * "url" is the media service's address of the stored PNG (private to the
 * owner: media kind vision_image), null until the image is ready.
 */
#include <string.h>

#include "db/db.h"
#include "http/jsonw.h"
#include "services/vision/vision_int.h"

struct image_row {
    const char *id, *parent, *instruction, *status, *media_id;
    int64_t round, created_at;
};

static void write_image(struct request *req, struct jsonw *w, struct db_stmt *st, struct image_row *row)
{
    row->id = arena_strdup(req->arena, db_column_text(st, 0));
    row->parent = arena_strdup(req->arena, db_column_text(st, 1));
    row->round = db_column_i64(st, 2);
    row->instruction = arena_strdup(req->arena, db_column_text(st, 3));
    row->status = arena_strdup(req->arena, db_column_text(st, 7));
    row->media_id = arena_strdup(req->arena, db_column_text(st, 8));
    row->created_at = db_column_i64(st, 16);
    jw_obj(w);
    jw_kstr(w, "id", row->id);
    jw_kint(w, "round", row->round);
    jw_kstr(w, "parent_image_id", row->parent);
    jw_kstr(w, "instruction", row->instruction);
    jw_kstr(w, "prompt", db_column_text(st, 4));
    jw_kstr(w, "revised_prompt", db_column_text(st, 14));
    jw_kstr(w, "status", row->status);
    jw_key(w, "generator");
    jw_obj(w);
    jw_kstr(w, "name", db_column_text(st, 5));
    jw_kstr(w, "model", db_column_text(st, 6));
    jw_end(w);
    jw_kint(w, "seed", db_column_i64(st, 9));
    jw_key(w, "size");
    jw_obj(w);
    jw_kint(w, "width", db_column_i64(st, 10));
    jw_kint(w, "height", db_column_i64(st, 11));
    jw_end(w);
    jw_kstr(w, "style", db_column_text(st, 12));
    jw_kstr(w, "quality", db_column_text(st, 13));
    jw_kstr(w, "media_id", row->media_id);
    jw_kstr(w, "url", row->media_id ? arena_sprintf(req->arena, "/api/v1/media/%s", row->media_id) : NULL);
    jw_key(w, "error");
    jw_raw(w, db_column_text(st, 15)); /* written by vision_jobs.c: trusted JSON or NULL */
    jw_kstr(w, "created_at", req_time(req, row->created_at));
    jw_kstr(w, "updated_at", req_time(req, db_column_i64(st, 17)));
    jw_end(w);
}

static void write_history(struct request *req, struct jsonw *w, const struct image_row *rows, size_t n)
{
    jw_key(w, "history");
    jw_arr(w);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        jw_obj(w);
        jw_kint(w, "round", rows[i].round);
        jw_kstr(w, "instruction", rows[i].instruction);
        jw_kstr(w, "parent_image_id", rows[i].parent);
        jw_key(w, "image_ids");
        jw_arr(w);
        for (; j < n && rows[j].round == rows[i].round; j++)
            jw_str(w, rows[j].id);
        jw_end(w);
        jw_kstr(w, "created_at", req_time(req, rows[i].created_at));
        jw_end(w);
        i = j;
    }
    jw_end(w);
}

/* The images of the session (owner checked by the caller). */
static int write_images(struct request *req, struct jsonw *w, const char *session_id, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, vision__sql(VISION_Q_SESSION_IMAGES), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(session_id));
    size_t n = 0, cap = 16;
    struct image_row *rows = arena_array(req->arena, struct image_row, cap);
    int64_t counts[3] = {0};
    jw_key(w, "images");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, &dberr)) == 1) {
        if (n == cap) {
            struct image_row *more = arena_array(req->arena, struct image_row, cap * 2);
            memcpy(more, rows, n * sizeof *rows);
            rows = more;
            cap *= 2;
        }
        write_image(req, w, st, &rows[n]);
        counts[strcmp(rows[n].status, "pending") == 0 ? 0 : strcmp(rows[n].status, "ready") == 0 ? 1 : 2]++;
        n++;
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    jw_end(w);
    jw_key(w, "counts");
    jw_obj(w);
    jw_kint(w, "pending", counts[0]);
    jw_kint(w, "ready", counts[1]);
    jw_kint(w, "failed", counts[2]);
    jw_end(w);
    write_history(req, w, rows, n);
    return 0;
}

int vision__write_session(struct request *req, struct jsonw *w, const char *session_id, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, vision__sql(VISION_Q_SESSION_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(session_id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    if (rc <= 0) {
        db_reset(st);
        return rc == 0 ? app_error_set(err, req->arena, "not_found", "no such vision session")
                       : req_db_error(req, &dberr, err);
    }
    jw_obj(w);
    jw_kstr(w, "id", db_column_text(st, 0));
    jw_kstr(w, "title", db_column_text(st, 1));
    jw_kstr(w, "brief", db_column_text(st, 2));
    jw_kstr(w, "category_id", db_column_text(st, 3));
    jw_kstr(w, "status", db_column_text(st, 4));
    jw_kint(w, "image_count", db_column_i64(st, 5));
    jw_kint(w, "rounds", db_column_i64(st, 6));
    jw_key(w, "settings");
    jw_raw(w, db_column_text(st, 7));
    jw_kstr(w, "created_at", req_time(req, db_column_i64(st, 8)));
    jw_kstr(w, "updated_at", req_time(req, db_column_i64(st, 9)));
    db_reset(st);
    if (write_images(req, w, session_id, err) != 0)
        return -1;
    jw_end(w);
    return 0;
}
