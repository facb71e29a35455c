/*
 * webhooks_int.h — shared inside src/services/webhooks only.
 *
 * Areas: webhooks_routes.c (route table, module init), webhooks_endpoints.c
 * (endpoint CRUD, rotate-secret), webhooks_deliveries.c (delivery lists,
 * detail, manual retry, test event), webhooks_dispatch.c (the domain-event
 * subscriber: scoping, delivery rows), webhooks_jobs.c (the delivery job:
 * one HTTP attempt, its record, the retry schedule, endpoint health),
 * webhooks_net.c (URL rules, address checks, the libcurl POST),
 * webhooks_sig.c (secrets and signatures), webhooks_sql.c (every statement).
 */
#ifndef ARTISTRY_SERVICES_WEBHOOKS_INT_H
#define ARTISTRY_SERVICES_WEBHOOKS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

struct app;
struct config;
struct db;
struct db_error;
struct db_stmt;
struct job_registry;

enum webhooks_query {
    WH_Q_EP_INSERT,
    WH_Q_EP_GET,
    WH_Q_EP_SECRET,
    WH_Q_EP_PAGE,
    WH_Q_EP_DELETE,
    WH_Q_EP_UPDATE,
    WH_Q_EP_ROTATE,
    WH_Q_EP_MATCH,
    WH_Q_EP_SUCCESS,
    WH_Q_EP_FAILURE,
    WH_Q_EP_DISABLE,
    WH_Q_DLV_INSERT,
    WH_Q_DLV_LOAD,
    WH_Q_DLV_RESULT,
    WH_Q_DLV_SKIP,
    WH_Q_DLV_PAGE,
    WH_Q_DLV_GET,
    WH_Q_DLV_RETRY,
    WH_Q_ATT_INSERT,
    WH_Q_ATT_LIST,
    WH_Q__COUNT,
};

/** SQL text of a webhooks statement (static storage). */
const char *webhooks__sql(enum webhooks_query q);

/** Columns read by webhooks__endpoint_json, in this order. */
#define WH_EP_COLS                                                                                                     \
    "id, owner_id, url, event_types, description, status, consecutive_failures, disabled_at, disabled_reason, "        \
    "previous_secret_until, created_at, updated_at"

/** Columns read by webhooks__delivery_json, in this order (table alias d). */
#define WH_DLV_COLS                                                                                                    \
    "d.id, d.endpoint_id, d.event_id, d.event_type, d.status, d.attempts, d.next_attempt_at, d.response_status, "      \
    "d.response_excerpt, d.last_error, d.delivered_at, d.created_at, d.updated_at"

/** Job kind: one delivery attempt. Payload {"delivery_id", "due": ms, "manual": bool}. */
#define WEBHOOKS_JOB_DELIVER "webhooks.deliver"

/** Prefixes of the ids this module makes. */
#define WH_ENDPOINT_PREFIX "whe"
#define WH_DELIVERY_PREFIX "whd"
#define WH_ATTEMPT_PREFIX "wha"

/** Seconds the previous secret keeps signing after a rotation (default of grace_seconds). */
#define WH_ROTATION_GRACE_S 86400

/** Bytes of a response body kept per attempt. */
#define WH_EXCERPT_MAX 1024

/*-----------------------------------------------------------------------------
 * webhooks_sig.c — secrets and signatures (docs/WEBHOOKS.md)
 */

/** Bytes of a hex HMAC-SHA256 plus NUL. */
#define WH_SIG_HEX_LEN 65

/**
 * hex(HMAC-SHA256(key = the secret string's bytes, message = "<t>.<body>"))
 * into out (WH_SIG_HEX_LEN bytes). Never fails.
 */
void webhooks_sign(const char *secret, int64_t t, const char *body, size_t len, char out[WH_SIG_HEX_LEN]);

/**
 * The Artistry-Signature header value "t=<t>,v1=<sig>" signed with secret,
 * plus ",v1=<sig2>" signed with previous when previous is not NULL (a
 * rotation's grace period). Written into buf (cap >= 200). Returns buf.
 */
char *webhooks_signature_header(const char *secret, const char *previous, int64_t t, const char *body, size_t len,
                                char *buf, size_t cap);

/** A new secret "whsec_" + 43 base64url characters (32 random bytes) into buf (cap >= 64). */
char *webhooks__new_secret(char *buf, size_t cap);

/*-----------------------------------------------------------------------------
 * webhooks_net.c — URL rules and the HTTP call
 */

/**
 * Check an endpoint URL at registration: absolute http(s) URL, https unless
 * webhooks_allow_http, no credentials or fragment, and, when the host is an
 * address literal or a localhost name, not a loopback/private/link-local
 * target unless webhooks_allow_private. Names are resolved (and checked
 * again) at delivery time, never here: no DNS on a request thread.
 * Returns NULL when acceptable, else a message (static storage).
 */
const char *webhooks__check_url(const struct config *cfg, const char *url);

/** The outcome of one POST. */
struct webhooks_http_result {
    long status;                      /* HTTP status; 0 when no response arrived */
    char excerpt[WH_EXCERPT_MAX + 1]; /* start of the response body */
    char error[256];                  /* "" on a 2xx, else why the attempt failed */
    int64_t duration_ms;
};

/**
 * POST body to url with the delivery headers, resolving the host and
 * refusing disallowed addresses first (the connection is pinned to the
 * checked address). Blocks up to webhooks_timeout_ms: job threads only.
 */
void webhooks__post(const struct config *cfg, const char *url, const char *headers[], const char *body, size_t len,
                    struct webhooks_http_result *out);

/*-----------------------------------------------------------------------------
 * webhooks_endpoints.c / webhooks_deliveries.c
 */
int webhooks_handle_create(struct request *req, struct app_error *err);
int webhooks_handle_list(struct request *req, struct app_error *err);
int webhooks_handle_get(struct request *req, struct app_error *err);
int webhooks_handle_update(struct request *req, struct app_error *err);
int webhooks_handle_delete(struct request *req, struct app_error *err);
int webhooks_handle_rotate(struct request *req, struct app_error *err);
int webhooks_handle_test(struct request *req, struct app_error *err);
int webhooks_handle_deliveries(struct request *req, struct app_error *err);
int webhooks_handle_delivery(struct request *req, struct app_error *err);
int webhooks_handle_retry(struct request *req, struct app_error *err);

/** True for an admin caller (sees and manages every endpoint). */
bool webhooks__is_admin(const struct request *req);

/** The endpoint row at the statement's current row (WH_EP_COLS) as JSON (new reference). */
json_t *webhooks__endpoint_json(struct request *req, struct db_stmt *st);

/*-----------------------------------------------------------------------------
 * webhooks_dispatch.c
 */

/** Subscribable event types, NULL-terminated. */
extern const char *const webhooks_event_types[];

/** True when type is one of webhooks_event_types. */
bool webhooks__known_type(const char *type);

/**
 * The envelope {"id","type","created_at","data"} as the exact body text
 * (malloc'd, caller frees).
 */
char *webhooks__envelope(const char *event_id, const char *type, int64_t at_ms, json_t *data);

/** Subscribe to domain events. */
void webhooks__subscribe(void);

/*-----------------------------------------------------------------------------
 * webhooks_jobs.c
 */

/**
 * Enqueue the attempt job of a delivery due at due_ms (in the caller's
 * transaction). 0 or -1.
 */
int webhooks__enqueue(struct db *tx, const char *delivery_id, int64_t due_ms, bool manual, struct db_error *err);

/** Register the delivery job kind. */
void webhooks__register(struct job_registry *r);

#endif
