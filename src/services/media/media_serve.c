/*
 * media_serve.c — GET (and HEAD) /api/v1/media/:id[?variant=…].
 *
 * Visibility is in the query: public kinds to anyone, private kinds
 * (message attachments, personalization files, milestone deliveries,
 * shipping labels, vision images) to their owner and admins; anything else
 * is 404, so a private object's existence is not disclosed.
 *
 * The original is served from the moment the upload answers. A variant
 * (thumbnail, medium, large, webp) is 404 variant_not_ready until the
 * media.process job has made it — no fall-back to the original, so a
 * client never caches a full-size image under a thumbnail's URL.
 *
 * HTTP semantics (RFC 9110):
 *   - Content-Type is the sniffed type recorded at upload (or the
 *     variant's), with X-Content-Type-Options: nosniff (set for every
 *     response by the HTTP layer) and Content-Disposition: inline;
 *   - a strong ETag, the sha256 of the stored bytes; If-None-Match (weak
 *     comparison, lists and "*") answers 304;
 *   - Cache-Control: public kinds "public, max-age=31536000, immutable"
 *     (an id's original never changes, and a variant is a fixed function of
 *     it: a change of variant settings gets a new variant name); private
 *     kinds "private, no-cache", so every use is re-authorised;
 *   - Accept-Ranges: bytes; one range ("bytes=a-b", "a-", "-n") answers 206
 *     with Content-Range, an unsatisfiable one 416 with a Content-Range
 *     naming the size; several ranges, other units or a malformed header
 *     are ignored (200, whole body), as RFC 9110 §14.2 allows; If-Range
 *     with a different validator also sends the whole body.
 *
 * Threads: with the local store the bytes are read on the request thread
 * (a local file read, like SQLite's); with S3 the whole handler runs on
 * the slow pool (req_offload), since it calls over the network.
 *
 * Caveats: the selected bytes are held in memory (the HTTP layer answers
 * from buffers), at most media_max_upload_bytes for an original.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db.h"
#include "platform/media_store.h"
#include "services/media/media_int.h"

/* The representation chosen for the response. */
struct rep {
    const char *key, *mime, *sha256, *ext;
    int64_t bytes;
};

/*-----------------------------------------------------------------------------
 * Conditional requests and ranges
 */

/* If-None-Match / If-Range list member matches etag (weak comparison: W/ ignored). */
static bool etag_listed(const char *header, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"')
            return false; /* malformed: no match */
        const char *end = strchr(p + 1, '"');
        if (end == NULL)
            return false;
        if ((size_t)(end - p + 1) == elen && memcmp(p, etag, elen) == 0)
            return true;
        p = end + 1;
    }
    return false;
}

enum range_result { RANGE_NONE, RANGE_OK, RANGE_UNSATISFIABLE };

static bool parse_u64(const char **pp, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *pp = p;
    *out = v;
    return true;
}

/*
 * One byte range of an object of `size` bytes. RANGE_NONE: serve the whole
 * body (no header, or one to ignore). RANGE_OK: [*first, *last].
 */
static enum range_result parse_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last)
{
    if (h == NULL)
        return RANGE_NONE;
    while (*h == ' ')
        h++;
    if (strncasecmp(h, "bytes=", 6) != 0)
        return RANGE_NONE;
    const char *p = h + 6;
    while (*p == ' ')
        p++;
    if (strchr(p, ',') != NULL)
        return RANGE_NONE; /* several ranges: we answer with the whole body */
    uint64_t a = 0, b = 0;
    bool has_a = parse_u64(&p, &a);
    if (*p != '-')
        return RANGE_NONE;
    p++;
    bool has_b = parse_u64(&p, &b);
    while (*p == ' ')
        p++;
    if (*p != '\0' || (!has_a && !has_b) || (has_a && has_b && b < a))
        return RANGE_NONE; /* malformed: ignored */
    if (!has_a) {          /* suffix: the last b bytes */
        if (b == 0 || size == 0)
            return RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return RANGE_OK;
    }
    if (a >= size)
        return RANGE_UNSATISFIABLE;
    *first = a;
    *last = has_b && b < size ? b : size - 1;
    return RANGE_OK;
}

/*-----------------------------------------------------------------------------
 * Choosing what to send
 */
static const char *ext_of(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot != NULL ? dot + 1 : "bin";
}

/* The variant's entry in the row's variants JSON, or 404 variant_not_ready. */
static int pick_variant(struct request *req, const char *variants, const char *status, const char *name, struct rep *r,
                        struct app_error *err)
{
    json_t *all = json_loads(variants ? variants : "{}", 0, NULL);
    json_t *v = json_object_get(all, name);
    int ret = 0;
    const char *key = json_string_value(json_object_get(v, "key"));
    const char *mime = json_string_value(json_object_get(v, "mime"));
    const char *sha = json_string_value(json_object_get(v, "sha256"));
    json_t *bytes = json_object_get(v, "bytes");
    if (key == NULL || mime == NULL || sha == NULL || !json_is_integer(bytes)) {
        if (strcmp(status, "failed") == 0)
            ret = app_error_set(err, req->arena, "variant_not_ready",
                                "making the variants of this image failed; its owner can retry with POST "
                                "/api/v1/media/{id}/process");
        else
            ret = app_error_set(err, req->arena, "variant_not_ready",
                                "the %s variant is not ready yet; the original is available at once", name);
        goto out;
    }
    r->key = arena_strdup(req->arena, key);
    r->mime = arena_strdup(req->arena, mime);
    r->sha256 = arena_strdup(req->arena, sha);
    r->bytes = json_integer_value(bytes);
    r->ext = ext_of(r->key);
out:
    json_decref(all);
    return ret;
}

/*-----------------------------------------------------------------------------
 * Handler
 */
static int serve(struct request *req, struct app_error *err)
{
    struct media_state *ms = media__state();
    const char *id = req_param(req, "id");
    const char *variant = req_param(req, "variant");
    struct db_error dberr = {0};
    struct rep r = {0};
    const char *kind = NULL;
    int ret = -1;

    struct db_stmt *st = db_prepare(req->db, media__sql(MEDIA_Q_VISIBLE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    db_bind(st, 3, DB_I64(media__is_admin(req) ? 1 : 0));
    int rc = db_step(st, &dberr);
    if (rc < 0) {
        db_reset(st);
        return req_db_error(req, &dberr, err);
    }
    if (rc == 0) {
        db_reset(st);
        return app_error_set(err, req->arena, "not_found", "no media object %s", id);
    }
    kind = arena_strdup(req->arena, db_column_text(st, 2));
    if (variant == NULL || strcmp(variant, "original") == 0) {
        r.mime = arena_strdup(req->arena, db_column_text(st, 3));
        r.bytes = db_column_i64(st, 4);
        r.sha256 = arena_strdup(req->arena, db_column_text(st, 5));
        r.key = arena_strdup(req->arena, db_column_text(st, 6));
        r.ext = ext_of(r.key);
        ret = 0;
    } else {
        ret = pick_variant(req, db_column_text(st, 8), db_column_text(st, 7), variant, &r, err);
    }
    db_reset(st);
    if (ret != 0)
        return -1;
    if (r.sha256 == NULL || r.bytes < 0)
        return app_error_set(err, req->arena, "internal_error", "media object %s has no checksum", id);

    /* Decide the answer first; headers go on only once it is a success (never on a problem). */
    char etag[72];
    snprintf(etag, sizeof etag, "\"%s\"", r.sha256);
    const char *cache = media__kind_private(kind) ? "private, no-cache" : "public, max-age=31536000, immutable";
    const char *inm = req_header(req, "If-None-Match");
    bool not_modified = inm != NULL && etag_listed(inm, etag);
    uint64_t size = (uint64_t)r.bytes, first = 0, last = size ? size - 1 : 0;
    enum range_result range = RANGE_NONE;
    if (!not_modified) {
        const char *if_range = req_header(req, "If-Range");
        if (if_range == NULL || strcmp(if_range, etag) == 0) /* If-Range needs a strong match */
            range = parse_range(req_header(req, "Range"), size, &first, &last);
    }
    if (range == RANGE_UNSATISFIABLE) {
        res_header(req, "Content-Range", arena_sprintf(req->arena, "bytes */%" PRIu64, size));
        return app_error_set(err, req->arena, "range_not_satisfiable",
                             "the range is outside the %" PRIu64 " bytes of this object", size);
    }
    const char *data = "";
    size_t len = 0;
    if (!not_modified && size > 0) {
        struct media_store_error serr;
        uint64_t want = range == RANGE_OK ? last - first + 1 : MEDIA_STORE_TO_END;
        if (media_store_get(ms->store, r.key, first, want, req->arena, &data, &len, &serr) != 0)
            return media__store_error(req, &serr, err);
        if (len == 0) {
            snprintf(serr.msg, sizeof serr.msg, "%s is empty in the store but %" PRIu64 " bytes in the database", r.key,
                     size);
            return media__store_error(req, &serr, err);
        }
    }
    res_header(req, "ETag", etag);
    res_header(req, "Cache-Control", cache);
    res_header(req, "Accept-Ranges", "bytes");
    if (not_modified) {
        res_empty(req, 304);
        return 0;
    }
    res_header(req, "Content-Disposition",
               arena_sprintf(req->arena, "inline; filename=\"%s%s%s.%s\"", id, variant ? "-" : "",
                             variant ? variant : "", r.ext));
    if (range == RANGE_OK) {
        res_header(req, "Content-Range",
                   arena_sprintf(req->arena, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, first + len - 1, size));
        res_bytes(req, 206, r.mime, data, len);
    } else {
        res_bytes(req, 200, r.mime, data, len);
    }
    return 0;
}

int media_handle_get(struct request *req, struct app_error *err)
{
    if (media_store_remote(media__state()->store))
        return req_offload(req, serve, err);
    return serve(req, err);
}
