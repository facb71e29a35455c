/*
 * vision_concepts.c — saving a session's image as a concept, reading it.
 *
 * POST /vision/sessions/:id/save {image_id, title, notes?}: the image must
 * be one of the session's (both the caller's: 404 otherwise) and ready
 * (409 vision_image_not_ready). The concept keeps what an artisan needs
 * without the session: data = {prompt, instruction, round, media_id,
 * generator: {name, model}, attributes: {object, style, colours,
 * materials, techniques}} — the attributes as imagegen_analyze reads the
 * prompt. custom_orders.concept_id references saved_concepts.id.
 *
 * Caveats: the concept's image is a vision_image media object, private to
 * its owner; sharing it with invited artisans is the custom-order
 * service's to decide (see README.md).
 */
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/imagegen.h"
#include "services/vision/vision_int.h"

static json_t *attributes_json(const char *prompt)
{
    struct imagegen_concept c;
    imagegen_analyze(prompt, &c);
    json_t *cols = json_array(), *mats = json_array(), *techs = json_array();
    for (size_t i = 0; i < c.ncolours; i++)
        json_array_append_new(cols, json_string(c.colours[i].name));
    for (size_t i = 0; i < c.nmaterials; i++)
        json_array_append_new(mats, json_string(c.materials[i].name));
    for (size_t i = 0; i < c.ntechniques; i++)
        json_array_append_new(techs, json_string(c.techniques[i]));
    return json_pack("{s:s?, s:s?, s:o, s:o, s:o}", "object", c.object, "style", c.style, "colours", cols,
                     "materials", mats, "techniques", techs);
}

struct save_tx {
    struct request *req;
    const char *session_id, *image_id, *title, *notes;
    const char *id;
    json_t *data; /* owned: decref */
    int64_t now;
    struct vision_fail fail;
};

static int save_concept(struct db *db, void *arg, struct db_error *dberr)
{
    struct save_tx *t = arg;
    struct request *req = t->req;
    struct db_stmt *st = db_prepare(db, vision__sql(VISION_Q_IMAGE_FOR_SAVE), dberr);
    if (st == NULL)
        return -1;
    struct db_param p[] = {DB_TEXT(t->image_id), DB_TEXT(t->session_id), DB_TEXT(req->user_id)};
    db_bind_all(st, p, 3);
    int rc = db_step(st, dberr);
    bool ready = false;
    if (rc == 1 && (ready = strcmp(db_column_text(st, 0), "ready") == 0)) {
        json_decref(t->data);
        t->data = json_pack("{s:s, s:s, s:I, s:s?, s:{s:s, s:s?}, s:o}", "prompt", db_column_text(st, 1),
                            "instruction", db_column_text(st, 5), "round", (json_int_t)db_column_i64(st, 6),
                            "media_id", db_column_text(st, 2), "generator", "name", db_column_text(st, 3), "model",
                            db_column_text(st, 4), "attributes", attributes_json(db_column_text(st, 1)));
    }
    db_reset(st);
    if (rc == 0)
        t->fail = (struct vision_fail){"not_found", "no such image in this session", "image_id"};
    else if (rc == 1 && !ready)
        t->fail = (struct vision_fail){"vision_image_not_ready", "only a ready image can be saved", "image_id"};
    if (rc <= 0 || !ready)
        return -1;
    char *data = json_dumps(t->data, JSON_COMPACT | JSON_SORT_KEYS);
    struct db_param c[] = {DB_TEXT(t->id),       DB_TEXT(req->user_id), DB_TEXT(t->session_id),
                           DB_TEXT(t->image_id), DB_TEXT(t->title),     DB_TEXT(t->notes ? t->notes : ""),
                           DB_TEXT(data),        DB_I64(t->now)};
    int64_t n = db_exec(db, vision__sql(VISION_Q_CONCEPT_INSERT), c, 8, dberr);
    free(data);
    if (n < 0)
        return -1;
    struct db_param s[] = {DB_TEXT(t->session_id), DB_I64(t->now)};
    return db_exec(db, vision__sql(VISION_Q_SESSION_TOUCH), s, 2, dberr) < 0 ? -1 : 0;
}

static json_t *concept_json(struct request *req, const char *id, const char *session_id, const char *image_id,
                            const char *title, const char *notes, json_t *data, int64_t created)
{
    return json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:O, s:s}", "id", id, "session_id", session_id, "image_id",
                     image_id, "title", title, "notes", notes, "data", data, "created_at", req_time(req, created));
}

int vision_handle_save(struct request *req, struct app_error *err)
{
    struct save_tx t = {
        .req = req,
        .session_id = req_param(req, "id"),
        .image_id = json_string_value(json_object_get(req->json, "image_id")),
        .title = json_string_value(json_object_get(req->json, "title")),
        .notes = json_string_value(json_object_get(req->json, "notes")),
        .id = id_new(req->arena, "cpt"),
        .now = time_now_ms(),
    };
    struct db_error dberr = {0};
    int ret;
    if (db_tx(req->db, 3, save_concept, &t, &dberr) != 0) {
        ret = vision__tx_error(req, &t.fail, &dberr, err);
    } else {
        res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/vision/concepts/%s", t.id));
        res_json(req, 201,
                 concept_json(req, t.id, t.session_id, t.image_id, t.title, t.notes ? t.notes : "", t.data, t.now));
        ret = 0;
    }
    json_decref(t.data);
    return ret;
}

int vision_handle_get_concept(struct request *req, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, vision__sql(VISION_Q_CONCEPT_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(req_param(req, "id")));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    if (rc == 1) {
        json_t *data = json_loads(db_column_text(st, 5), 0, NULL);
        if (data == NULL)
            data = json_object();
        res_json(req, 200,
                 concept_json(req, db_column_text(st, 0), db_column_text(st, 1), db_column_text(st, 2),
                              db_column_text(st, 3), db_column_text(st, 4), data,
                              db_column_i64(st, 6)));
        json_decref(data);
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no such concept");
    return 0;
}
