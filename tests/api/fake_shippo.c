/*
 * fake_shippo.c — a local Shippo API for the API tests (see fake_shippo.h).
 *
 * Design: one libmicrohttpd daemon with its own polling thread; the fake's
 * state (issued rate ids, counters, the last request) sits under one mutex
 * because the test thread reads it while the daemon thread serves.
 *
 * Caveats: test code: allocation failures abort, at most 256 rate ids are
 * remembered.
 */
#include "api/fake_shippo.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RATE_IDS 256

struct fake_shippo {
    struct MHD_Daemon *d;
    char url[64];
    char auth[256]; /* the Authorization value expected */
    pthread_mutex_t lock;
    char rate_ids[MAX_RATE_IDS][64];
    int nrates;
    int shipments, transactions, labels;
    bool fail_labels;
    char *last_shipment;
};

struct conn {
    char *body;
    size_t len;
};

static void die(const char *what)
{
    fprintf(stderr, "fake_shippo: %s\n", what);
    abort();
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static json_t *rate(const char *id, const char *amount, const char *currency, const char *provider, const char *service,
                    const char *token, int days)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:i, s:s}", "object_id", id, "amount", amount, "currency",
                     currency, "provider", provider, "servicelevel", "name", service, "token", token, "estimated_days",
                     days, "object_owner", "test@example.com");
}

static void remember(struct fake_shippo *f, const char *id)
{
    snprintf(f->rate_ids[f->nrates++ % MAX_RATE_IDS], 64, "%.63s", id);
}

static enum MHD_Result handle_shipments(struct fake_shippo *f, struct MHD_Connection *c, json_t *b, const char *raw)
{
    json_t *from = json_object_get(b, "address_from"), *to = json_object_get(b, "address_to");
    json_t *p = json_array_get(json_object_get(b, "parcels"), 0);
    if (!json_is_string(json_object_get(from, "country")) || !json_is_string(json_object_get(to, "country")) ||
        !json_is_string(json_object_get(p, "weight")) || !json_is_string(json_object_get(p, "mass_unit")))
        return reply_json(c, 400, json_pack("{s:[s]}", "parcels", "address_from, address_to and parcels are required"));
    pthread_mutex_lock(&f->lock);
    int n = ++f->shipments;
    free(f->last_shipment);
    f->last_shipment = strdup(raw);
    char ids[3][64];
    snprintf(ids[0], 64, "rate_%d_usps_ground", n);
    snprintf(ids[1], 64, "rate_%d_usps_priority", n);
    snprintf(ids[2], 64, "rate_%d_dhl_express", n);
    for (int i = 0; i < 3; i++)
        remember(f, ids[i]);
    pthread_mutex_unlock(&f->lock);
    json_t *rates =
        json_pack("[o, o, o]", rate(ids[0], "5.10", "USD", "USPS", "Ground Advantage", "usps_ground_advantage", 5),
                  rate(ids[1], "7.85", "USD", "USPS", "Priority Mail", "usps_priority", 2),
                  rate(ids[2], "20.00", "EUR", "DHL Express", "Express Worldwide", "dhl_express", 1));
    char sid[64];
    snprintf(sid, sizeof sid, "shipment_%d", n);
    return reply_json(
        c, 201, json_pack("{s:s, s:s, s:o, s:[]}", "object_id", sid, "status", "SUCCESS", "rates", rates, "messages"));
}

static enum MHD_Result handle_transactions(struct fake_shippo *f, struct MHD_Connection *c, json_t *b)
{
    const char *rid = json_string_value(json_object_get(b, "rate"));
    pthread_mutex_lock(&f->lock);
    f->transactions++;
    bool known = false;
    for (int i = 0; rid != NULL && i < MAX_RATE_IDS && i < f->nrates; i++)
        known = known || strcmp(f->rate_ids[i], rid) == 0;
    bool fail = f->fail_labels;
    int n = known && !fail ? ++f->labels : 0;
    pthread_mutex_unlock(&f->lock);
    if (!known)
        return reply_json(c, 400, json_pack("{s:[s]}", "rate", "Rate not found."));
    if (fail)
        return reply_json(c, 201,
                          json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "object_id", "txn_failed", "status", "ERROR",
                                    "rate", rid, "messages", "source", "USPS", "text",
                                    "The address could not be verified."));
    char id[64], tn[64], turl[160], lurl[160];
    snprintf(id, sizeof id, "txn_%d", n);
    fake_shippo_tracking_number(n, tn, sizeof tn);
    snprintf(turl, sizeof turl, "https://tools.usps.com/go/TrackConfirmAction?tLabels=%s", tn);
    snprintf(lurl, sizeof lurl, "https://shippo-delivery.example/labels/%s.pdf", id);
    return reply_json(c, 201,
                      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "object_id", id, "status", "SUCCESS",
                                "tracking_number", tn, "tracking_url_provider", turl, "label_url", lurl, "rate", rid,
                                "messages"));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct fake_shippo *f = cls;
    struct conn *cn = *con_cls;
    if (cn == NULL) {
        cn = calloc(1, sizeof *cn);
        *con_cls = cn;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (cn->len + *upload_size < 65536) {
            cn->body = realloc(cn->body, cn->len + *upload_size + 1);
            memcpy(cn->body + cn->len, upload, *upload_size);
            cn->len += *upload_size;
            cn->body[cn->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (strcmp(method, "POST") != 0 || (strcmp(url, "/shipments/") != 0 && strcmp(url, "/transactions/") != 0))
        return reply_json(c, 404, json_pack("{s:s}", "detail", "Not found."));
    if (auth == NULL || strcmp(auth, f->auth) != 0)
        return reply_json(c, 401, json_pack("{s:s}", "detail", "Invalid token."));
    json_t *b = cn->body && ct && strncmp(ct, "application/json", 16) == 0 ? json_loads(cn->body, 0, NULL) : NULL;
    if (!json_is_object(b) || !json_is_false(json_object_get(b, "async"))) {
        json_decref(b);
        return reply_json(c, 400, json_pack("{s:s}", "detail", "JSON body with async false expected."));
    }
    enum MHD_Result r = url[1] == 's' ? handle_shipments(f, c, b, cn->body) : handle_transactions(f, c, b);
    json_decref(b);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    struct conn *cn = *con_cls;
    if (cn != NULL) {
        free(cn->body);
        free(cn);
        *con_cls = NULL;
    }
}

struct fake_shippo *fake_shippo_start(const char *token)
{
    struct fake_shippo *f = calloc(1, sizeof *f);
    if (f == NULL)
        die("out of memory");
    snprintf(f->auth, sizeof f->auth, "ShippoToken %s", token);
    pthread_mutex_init(&f->lock, NULL);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, f, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, f, MHD_OPTION_END);
    if (f->d == NULL)
        die("MHD_start_daemon");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", (unsigned)info->port);
    return f;
}

void fake_shippo_stop(struct fake_shippo *f)
{
    if (f == NULL)
        return;
    MHD_stop_daemon(f->d);
    pthread_mutex_destroy(&f->lock);
    free(f->last_shipment);
    free(f);
}

const char *fake_shippo_url(const struct fake_shippo *f)
{
    return f->url;
}

void fake_shippo_fail_labels(struct fake_shippo *f, bool fail)
{
    pthread_mutex_lock(&f->lock);
    f->fail_labels = fail;
    pthread_mutex_unlock(&f->lock);
}

int fake_shippo_shipment_calls(struct fake_shippo *f)
{
    pthread_mutex_lock(&f->lock);
    int n = f->shipments;
    pthread_mutex_unlock(&f->lock);
    return n;
}

int fake_shippo_transaction_calls(struct fake_shippo *f)
{
    pthread_mutex_lock(&f->lock);
    int n = f->transactions;
    pthread_mutex_unlock(&f->lock);
    return n;
}

char *fake_shippo_last_shipment(struct fake_shippo *f)
{
    pthread_mutex_lock(&f->lock);
    char *s = f->last_shipment ? strdup(f->last_shipment) : NULL;
    pthread_mutex_unlock(&f->lock);
    return s;
}

void fake_shippo_tracking_number(int n, char *buf, unsigned cap)
{
    snprintf(buf, cap, "92001901755477%08d", n);
}
