/*
 * media_int.h — shared inside src/services/media only.
 *
 * Areas: media_routes.c (route table, module init/fini, module state),
 * media_upload.c (POST upload), media_serve.c (GET/HEAD with ETag and
 * ranges), media_manage.c (DELETE, POST process), media_jobs.c (the
 * media.process and media.delete jobs), media_sql.c (every statement).
 */
#ifndef ARTISTRY_SERVICES_MEDIA_INT_H
#define ARTISTRY_SERVICES_MEDIA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

struct job_registry;
struct media_store;

enum media_query {
    MEDIA_Q_INSERT,
    MEDIA_Q_VISIBLE,
    MEDIA_Q_OWNED_LOCK,
    MEDIA_Q_PUBLIC_EXISTS,
    MEDIA_Q_GRANT,
    MEDIA_Q_IN_USE,
    MEDIA_Q_MARK_DELETED,
    MEDIA_Q_RETRY_FAILED,
    MEDIA_Q_JOB_ROW,
    MEDIA_Q_SET_READY,
    MEDIA_Q_SET_FAILED,
    MEDIA_Q__COUNT,
};

/** SQL text of a media statement (static storage: usable as a cache key). */
const char *media__sql(enum media_query q);

/** Process-wide state of the module, set up by its init. */
struct media_state {
    struct media_store *store;
    int64_t max_bytes;  /* one uploaded file */
    int64_t max_pixels; /* width x height x frames */
};

/** The module's state (valid between init and fini). */
struct media_state *media__state(void);

/** Job kinds. */
#define MEDIA_JOB_PROCESS "media.process"
#define MEDIA_JOB_DELETE "media.delete"

/** Register the media.* job kinds. */
void media__register_jobs(struct job_registry *r);

/** Queue the variants job for id on db (inside the caller's transaction). */
struct db;
struct db_error;
int media__enqueue_process(struct db *db, const char *id, char *job_id, struct db_error *err);

/** Every kind of media_objects.kind (NULL-terminated), as in migrations/0001_core.sql. */
extern const char *const media__kinds[];

/** True for kinds only their owner (and admins) may read. */
bool media__kind_private(const char *kind);

/** Variant names accepted by ?variant= (NULL-terminated; "original" first). */
extern const char *const media__variant_names[];

/**
 * Store key of one of id's objects: "<shard>/<id>/<name>.<ext>", where the
 * shard is the id's last two (random) characters, so a local directory
 * never holds more than ~1024 entries at its top level.
 */
const char *media__key(struct arena *a, const char *id, const char *name, const char *ext);

/** Lower-case hex SHA-256 of data, in the arena. */
const char *media__sha256_hex(struct arena *a, const void *data, size_t len);

/** True when the caller is an admin. */
bool media__is_admin(const struct request *req);

/** Fill err for a media store failure (502 storage_error; the store's message goes to the log only). */
struct media_store_error;
int media__store_error(struct request *req, const struct media_store_error *serr, struct app_error *err);

int media_handle_upload(struct request *req, struct app_error *err);
int media_handle_get(struct request *req, struct app_error *err);
int media_handle_delete(struct request *req, struct app_error *err);
int media_handle_process(struct request *req, struct app_error *err);

#endif
