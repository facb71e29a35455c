/*
 * vision_int.h — shared inside src/services/vision only.
 *
 * Areas: vision_routes.c (route table, module init/fini, module state),
 * vision_sessions.c (generate, refine, sessions, save, concepts),
 * vision_render.c (session and image JSON), vision_jobs.c (the
 * vision.generate job: generator → media store → row), vision_match.c
 * (match-artisans), vision_sql.c (every statement).
 */
#ifndef ARTISTRY_SERVICES_VISION_INT_H
#define ARTISTRY_SERVICES_VISION_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

struct db;
struct db_error;
struct imagegen;
struct job_registry;
struct jsonw;
struct media_store;

enum vision_query {
    VISION_Q_USER_LOCK,
    VISION_Q_QUOTA,
    VISION_Q_SESSION_INSERT,
    VISION_Q_SESSION_LOCK,
    VISION_Q_SESSION_BUMP,
    VISION_Q_IMAGE_INSERT,
    VISION_Q_IMAGE_IN_SESSION,
    VISION_Q_SESSION_GET,
    VISION_Q_SESSION_IMAGES,
    VISION_Q_SESSIONS_PAGE,
    VISION_Q_JOB_IMAGE,
    VISION_Q_MEDIA_INSERT,
    VISION_Q_IMAGE_READY,
    VISION_Q_IMAGE_FAILED,
    VISION_Q_SESSION_TOUCH,
    VISION_Q_IMAGE_FOR_SAVE,
    VISION_Q_CONCEPT_INSERT,
    VISION_Q_CONCEPT_GET,
    VISION_Q_SESSION_TEXT,
    VISION_Q_CATEGORY_EXISTS,
    VISION_Q_SELLER_SIGNALS,
    VISION_Q_SELLER_MATERIALS,
    VISION_Q_SELLER_IN_CATEGORY,
    VISION_Q_CATEGORY_NAME,
    VISION_Q__COUNT,
};

/** SQL text of a vision statement (static storage: usable as a cache key). */
const char *vision__sql(enum vision_query q);

/** Process-wide state of the module, set up by its init. */
struct vision_state {
    struct imagegen *gen;
    struct media_store *store;
    int per_minute; /* generate/refine calls per user per minute */
    int daily_cap;  /* images per user per rolling 24 h */
};

struct vision_state *vision__state(void);

#define VISION_JOB_GENERATE "vision.generate"
#define VISION_JOB_ATTEMPTS 4

void vision__register_jobs(struct job_registry *r);
/** Queue the generation of image_id on db (inside the caller's transaction). */
int vision__enqueue_generate(struct db *db, const char *image_id, struct db_error *err);

/** Write the session id (owned by user_id) with its images and history as one JSON object; 0, or -1 with not_found. */
int vision__write_session(struct request *req, struct jsonw *w, const char *session_id, struct app_error *err);

/** Why a transaction callback gave up (not a database error). */
struct vision_fail {
    const char *code;
    const char *msg;
    const char *field;
    long retry_after; /* seconds, for quota refusals */
};

/** After a failed db_tx: the callback's reason when set, else the database error. Returns -1. */
int vision__tx_error(struct request *req, const struct vision_fail *fail, const struct db_error *dberr,
                     struct app_error *err);

int vision_handle_generate(struct request *req, struct app_error *err);
int vision_handle_refine(struct request *req, struct app_error *err);
int vision_handle_get_session(struct request *req, struct app_error *err);
int vision_handle_list_sessions(struct request *req, struct app_error *err);
int vision_handle_save(struct request *req, struct app_error *err);
int vision_handle_get_concept(struct request *req, struct app_error *err);
int vision_handle_match(struct request *req, struct app_error *err);

#endif
