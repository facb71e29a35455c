/*
 * channel_int.h — pieces shared by the delivery adapters (sms.c, push.c,
 * mailer_sendgrid.c): the JSON outbox of the embedded defaults, one
 * blocking HTTP exchange through libcurl, and the permanent/transient
 * classification of a provider's HTTP status.
 *
 * Private to src/platform: nothing outside the adapters includes this.
 */
#ifndef ARTISTRY_PLATFORM_CHANNEL_INT_H
#define ARTISTRY_PLATFORM_CHANNEL_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "platform/sms.h" /* struct channel_result */

struct config;

/** Bytes of a provider's response body we keep; more fails the call (transient). */
#define CHANNEL_MAX_RESPONSE (64 * 1024)

/**
 * Write doc as <outbox>/<sub>/<epoch-ms>-<random>.json, where <outbox> is
 * mail_outbox or data_dir/outbox: a 0600 temp file, fsync, rename, so a
 * reader sees nothing or the whole file. On success out->ref holds the file
 * name (no directory). Returns 0, or -1 with out->error set (transient).
 */
int channel__outbox_write(const struct config *cfg, const char *sub, json_t *doc, struct channel_result *out);

/** The directory channel__outbox_write uses for sub, into buf. */
void channel__outbox_dir(const struct config *cfg, const char *sub, char *buf, size_t cap);

/** One HTTP exchange. Inputs are borrowed; outputs are filled by channel__http. */
struct channel_http {
    const char *method;          /* "POST" */
    const char *url;
    const char *const *headers;  /* "Name: value" lines, NULL-terminated; may be NULL */
    const char *body;            /* request body (may be NULL: empty) */
    size_t body_len;
    const char *basic_user;      /* HTTP Basic auth when set */
    const char *basic_password;
    const char *want_header;     /* response header to capture (case-insensitive), or NULL */
    long timeout_ms;             /* whole exchange; 0: 20 s */
    /* out */
    long status;                 /* HTTP status, 0 when no response came back */
    char *response;              /* heap, NUL-terminated ("" when empty); free with channel__http_free */
    json_t *json;                /* response parsed as JSON, or NULL */
    char header_value[128];      /* value of want_header, "" when absent */
    char error[160];             /* transport error when status is 0 */
};

/**
 * Perform c. Returns 0 when a response arrived (any status), -1 on a
 * network error, a timeout or an over-long response (c->error says which).
 * Blocking: jobs only.
 */
int channel__http(struct channel_http *c);

/** Release c->response and c->json. */
void channel__http_free(struct channel_http *c);

/**
 * Retrying cannot help: a 4xx other than 408 and 429. Network failures
 * (status 0), 408, 429 and 5xx are transient.
 */
bool channel__permanent(long status);

/** snprintf into out->error. */
void channel__fail(struct channel_result *out, bool permanent, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
