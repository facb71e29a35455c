/*
 * media_upload.c — POST /api/v1/media/upload.
 *
 * On the request thread (cheap checks, so junk never reaches the slow
 * pool): the body must be multipart/form-data (415 otherwise, 400 when
 * malformed) with exactly one `file` part and at most one `kind` field
 * (422 for unknown, repeated or missing fields); the file must be within
 * media_max_upload_bytes (413) and its first bytes must be a JPEG, PNG,
 * WebP or GIF signature (415 unsupported_image_type). The file name and
 * the part's Content-Type are the client's claims and decide nothing.
 *
 * On the slow pool (req_offload; libvips and the store may take a while):
 * the header is read and the pixel limit checked before any decoding
 * (422 image_too_many_pixels), the image is decoded and re-encoded without
 * metadata (422 invalid_image if it does not decode), the result is
 * stored under a generated key (502 storage_error if the store refuses),
 * then one transaction inserts the media_objects row (status 'pending')
 * and queues the media.process job that makes the variants. 201 answers
 * with the row and its URLs.
 *
 * The request thread hands its findings to the slow part through
 * req->json (the parsed form as JSON: where the file part lies in the
 * body, kind, file name, sniffed type), which the request owns and frees.
 *
 * Caveats: the whole body is in memory (the server buffers bodies, capped
 * at max_upload); the stored original is a re-encoding, so its bytes and
 * sha256 differ from the client's file.
 */
#include <stdio.h>
#include <string.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "http/multipart.h"
#include "http/validate.h"
#include "platform/image.h"
#include "platform/media_store.h"
#include "services/media/media_int.h"

#define MAX_FORM_PARTS 8
#define KIND_MAX 32
#define FILENAME_MAX_BYTES 255

/*-----------------------------------------------------------------------------
 * The form
 */
struct form {
    const char *file;
    size_t file_len;
    const char *filename;
    const char *kind;
    int nfile, nkind;
};

static bool kind_known(const char *k)
{
    for (const char *const *p = media__kinds; *p != NULL; p++)
        if (strcmp(*p, k) == 0)
            return true;
    return false;
}

/* Kinds that belong to a shop: only sellers (and admins) upload them. */
static bool kind_for_sellers(const char *k)
{
    return strcmp(k, "product_image") == 0 || strcmp(k, "shop_logo") == 0 || strcmp(k, "shop_banner") == 0;
}

/* The client's file name, kept for display only: last path segment, valid UTF-8, at most 255 bytes. */
static const char *clean_filename(struct arena *a, const char *name)
{
    if (name == NULL)
        return NULL;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\')
            name = p + 1;
    size_t n = strlen(name);
    if (n > FILENAME_MAX_BYTES) {
        n = FILENAME_MAX_BYTES;
        while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
            n--; /* do not cut a UTF-8 sequence */
    }
    if (n == 0 || !utf8_valid(name, n))
        return NULL;
    return arena_strndup(a, name, n);
}

/* Read the parts into f. 0, or -1 with err set (400 malformed, 422 fields). */
static int read_form(struct request *req, const char *boundary, struct form *f, struct app_error *err)
{
    struct multipart_limits lim = {.max_parts = MAX_FORM_PARTS};
    struct multipart_reader r;
    struct multipart_part p;
    int rc;
    multipart_init(&r, req->body, req->body_len, boundary, &lim);
    while ((rc = multipart_next(&r, req->arena, &p)) == 1) {
        if (strcmp(p.name, "file") == 0) {
            f->nfile++;
            f->file = p.data;
            f->file_len = p.len;
            f->filename = clean_filename(req->arena, p.filename);
        } else if (strcmp(p.name, "kind") == 0) {
            f->nkind++;
            f->kind = p.len <= KIND_MAX ? arena_strndup(req->arena, p.data, p.len) : "";
        } else {
            const char *name = utf8_valid(p.name, strlen(p.name)) ? p.name : "(invalid UTF-8)";
            app_error_add_field(err, req->arena, name, "unknown_field", "is not a field of this form");
        }
    }
    if (rc < 0) {
        err->nfields = 0;
        return app_error_set(err, req->arena, "malformed_multipart", "malformed multipart/form-data body: %s", r.error);
    }
    if (f->nfile == 0)
        app_error_add_field(err, req->arena, "file", "required", "is required (the image, as a file part)");
    else if (f->nfile > 1)
        app_error_add_field(err, req->arena, "file", "duplicate", "must be given once");
    else if (f->file_len == 0)
        app_error_add_field(err, req->arena, "file", "empty", "is empty");
    if (f->nkind > 1)
        app_error_add_field(err, req->arena, "kind", "duplicate", "must be given once");
    else if (f->kind != NULL && !kind_known(f->kind))
        app_error_add_field(err, req->arena, "kind", "invalid_value", "is not a known media kind");
    if (err->nfields == 1)
        return app_error_set(err, req->arena, "validation_failed", "field '%s' %s", err->fields[0].field,
                             err->fields[0].message);
    if (err->nfields > 1)
        return app_error_set(err, req->arena, "validation_failed", "%zu fields are invalid; see errors", err->nfields);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Slow part: decode, strip, store, record
 */
struct insert_ctx {
    const char *id, *owner, *kind, *mime, *sha, *key, *filename;
    const struct image_out *img;
    size_t bytes;
    int64_t now;
};

static int insert_tx(struct db *db, void *arg, struct db_error *err)
{
    struct insert_ctx *c = arg;
    struct db_param p[] = {DB_TEXT(c->id),
                           DB_TEXT(c->owner),
                           DB_TEXT(c->kind),
                           DB_TEXT(c->mime),
                           DB_I64(c->bytes),
                           DB_I64(c->img->info.width),
                           DB_I64(c->img->info.height),
                           DB_TEXT(c->sha),
                           DB_TEXT(c->key),
                           DB_TEXT(c->filename),
                           DB_I64(c->now)};
    if (db_exec(db, media__sql(MEDIA_Q_INSERT), p, 11, err) < 0)
        return -1;
    return media__enqueue_process(db, c->id, NULL, err);
}

static int image_error(struct request *req, const struct image_error *ie, enum image_type t, struct app_error *err)
{
    switch (ie->kind) {
    case IMAGE_E_PIXELS:
        return app_error_set(err, req->arena, "image_too_many_pixels", "%s", ie->msg);
    case IMAGE_E_TYPE:
    case IMAGE_E_INVALID:
        err->log_detail = arena_strdup(req->arena, ie->msg);
        log_info("upload refused", "%s", ie->msg);
        return app_error_set(err, req->arena, "invalid_image",
                             "the file starts like a %s image but does not decode as one", image_mime(t));
    default:
        err->log_detail = arena_strdup(req->arena, ie->msg);
        return app_error_set(err, req->arena, "internal_error", "the image could not be processed");
    }
}

static void write_object(struct jsonw *w, const struct insert_ctx *c, struct request *req)
{
    jw_obj(w);
    jw_kstr(w, "id", c->id);
    jw_kstr(w, "kind", c->kind);
    jw_kstr(w, "mime", c->mime);
    jw_kint(w, "bytes", (int64_t)c->bytes);
    jw_kint(w, "width", c->img->info.width);
    jw_kint(w, "height", c->img->info.height);
    jw_kint(w, "frames", c->img->info.frames);
    jw_kstr(w, "sha256", c->sha);
    jw_kstr(w, "status", "pending");
    jw_kstr(w, "original_filename", c->filename);
    jw_key(w, "urls");
    jw_obj(w);
    for (const char *const *v = media__variant_names; *v != NULL; v++) {
        if (strcmp(*v, "original") == 0)
            jw_kstr(w, *v, arena_sprintf(req->arena, "/api/v1/media/%s", c->id));
        else
            jw_kstr(w, *v, arena_sprintf(req->arena, "/api/v1/media/%s?variant=%s", c->id, *v));
    }
    jw_end(w);
    jw_kstr(w, "created_at", req_time(req, c->now));
    jw_end(w);
}

static int upload_slow(struct request *req, struct app_error *err)
{
    struct media_state *ms = media__state();
    json_t *form = req->json;
    size_t off = (size_t)json_integer_value(json_object_get(form, "file_offset"));
    size_t len = (size_t)json_integer_value(json_object_get(form, "file_length"));
    enum image_type t = (enum image_type)json_integer_value(json_object_get(form, "type"));
    APP_ASSERT(off <= req->body_len && len <= req->body_len - off);

    struct image_out img;
    struct image_error ie;
    if (image_sanitize(req->body + off, len, t, ms->max_pixels, req->arena, &img, &ie) != 0)
        return image_error(req, &ie, t, err);

    struct insert_ctx c = {
        .id = id_new(req->arena, "med"),
        .owner = req->user_id,
        .kind = json_string_value(json_object_get(form, "kind")),
        .mime = image_mime(t),
        .filename = json_string_value(json_object_get(form, "filename")),
        .img = &img,
        .bytes = img.len,
        .now = time_now_ms(),
    };
    c.sha = media__sha256_hex(req->arena, img.data, img.len);
    c.key = media__key(req->arena, c.id, "original", image_ext(t));

    struct media_store_error serr;
    if (media_store_put(ms->store, c.key, img.data, img.len, c.mime, &serr) != 0)
        return media__store_error(req, &serr, err);
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, insert_tx, &c, &dberr) != 0) {
        if (media_store_delete(ms->store, c.key, &serr) != 0)
            log_warn("orphaned media object", "%s: %s", c.key, serr.msg);
        return req_db_error(req, &dberr, err);
    }
    log_info("media uploaded", "id=%s kind=%s mime=%s bytes=%zu %dx%d", c.id, c.kind, c.mime, c.bytes, img.info.width,
             img.info.height);
    struct jsonw w;
    jw_init(&w, req->arena, 768);
    write_object(&w, &c, req);
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/media/%s", c.id));
    res_jsonw(req, 201, &w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Handler
 */
int media_handle_upload(struct request *req, struct app_error *err)
{
    struct media_state *ms = media__state();
    const char *boundary, *why;
    switch (multipart_boundary(req_header(req, "Content-Type"), req->arena, &boundary, &why)) {
    case MULTIPART_CT_OK:
        break;
    case MULTIPART_CT_NOT_FORM:
        return app_error_set(err, req->arena, "unsupported_media_type",
                             "expected Content-Type multipart/form-data with a 'file' part (%s)", why);
    case MULTIPART_CT_BAD:
        return app_error_set(err, req->arena, "malformed_multipart", "%s", why);
    }
    struct form f = {0};
    if (read_form(req, boundary, &f, err) != 0)
        return -1;
    if ((int64_t)f.file_len > ms->max_bytes)
        return app_error_set(err, req->arena, "payload_too_large", "the file is %zu bytes; the limit is %lld bytes",
                             f.file_len, (long long)ms->max_bytes);
    const char *kind = f.kind != NULL ? f.kind : "other";
    if (kind_for_sellers(kind) && !(req->role != NULL && (strcmp(req->role, "seller") == 0 || media__is_admin(req))))
        return app_error_set(err, req->arena, "forbidden", "only sellers upload media of kind '%s'", kind);
    enum image_type t = image_sniff(f.file, f.file_len);
    if (t == IMAGE_UNKNOWN)
        return app_error_set(err, req->arena, "unsupported_image_type",
                             "the file is not a JPEG, PNG, WebP or GIF image (the type is read from the file's "
                             "bytes, not its name or declared type)");
    req->json = json_pack("{s:I, s:I, s:i, s:s, s:s?}", "file_offset", (json_int_t)(f.file - req->body), "file_length",
                          (json_int_t)f.file_len, "type", (int)t, "kind", kind, "filename", f.filename);
    return req_offload(req, upload_slow, err);
}
