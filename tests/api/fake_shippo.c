/*
 * fake_shippo.c — a local Shippo API for the API tests (see fake_shippo.h).
 *
 * Design: built on fake_http (one libmicrohttpd daemon with its own polling
 * thread); the fake's state (issued rate ids, counters, the last request)
 * sits under the fake_http mutex because the test thread reads it while the
 * daemon thread serves.
 *
 * Caveats: test code: allocation failures abort, at most 256 rate ids are
 * remembered.
 */
#include "api/fake_shippo.h"

#include "api/fake_http.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RATE_IDS 256

struct fake_shippo {
    struct fake_http *h;
    char auth[256]; /* the Authorization value expected */
    char rate_ids[MAX_RATE_IDS][64];
    int nrates;
    int shipments, transactions, labels;
    bool fail_labels;
    char *last_shipment;
};

static void die(const char *what)
{
    fprintf(stderr, "fake_shippo: %s\n", what);
    abort();
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

static void handle_shipments(struct fake_shippo *f, struct fake_http_reply *rp, json_t *b, const char *raw)
{
    json_t *from = json_object_get(b, "address_from"), *to = json_object_get(b, "address_to");
    json_t *p = json_array_get(json_object_get(b, "parcels"), 0);
    if (!json_is_string(json_object_get(from, "country")) || !json_is_string(json_object_get(to, "country")) ||
        !json_is_string(json_object_get(p, "weight")) || !json_is_string(json_object_get(p, "mass_unit")))
        return fake_http_reply_json(
            rp, 400, json_pack("{s:[s]}", "parcels", "address_from, address_to and parcels are required"));
    fake_http_lock(f->h);
    int n = ++f->shipments;
    free(f->last_shipment);
    f->last_shipment = strdup(raw);
    char ids[3][64];
    snprintf(ids[0], 64, "rate_%d_usps_ground", n);
    snprintf(ids[1], 64, "rate_%d_usps_priority", n);
    snprintf(ids[2], 64, "rate_%d_dhl_express", n);
    for (int i = 0; i < 3; i++)
        remember(f, ids[i]);
    fake_http_unlock(f->h);
    json_t *rates =
        json_pack("[o, o, o]", rate(ids[0], "5.10", "USD", "USPS", "Ground Advantage", "usps_ground_advantage", 5),
                  rate(ids[1], "7.85", "USD", "USPS", "Priority Mail", "usps_priority", 2),
                  rate(ids[2], "20.00", "EUR", "DHL Express", "Express Worldwide", "dhl_express", 1));
    char sid[64];
    snprintf(sid, sizeof sid, "shipment_%d", n);
    fake_http_reply_json(
        rp, 201, json_pack("{s:s, s:s, s:o, s:[]}", "object_id", sid, "status", "SUCCESS", "rates", rates, "messages"));
}

static void handle_transactions(struct fake_shippo *f, struct fake_http_reply *rp, json_t *b)
{
    const char *rid = json_string_value(json_object_get(b, "rate"));
    fake_http_lock(f->h);
    f->transactions++;
    bool known = false;
    for (int i = 0; rid != NULL && i < MAX_RATE_IDS && i < f->nrates; i++)
        known = known || strcmp(f->rate_ids[i], rid) == 0;
    bool fail = f->fail_labels;
    int n = known && !fail ? ++f->labels : 0;
    fake_http_unlock(f->h);
    if (!known)
        return fake_http_reply_json(rp, 400, json_pack("{s:[s]}", "rate", "Rate not found."));
    if (fail)
        return fake_http_reply_json(rp, 201,
                          json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "object_id", "txn_failed", "status", "ERROR",
                                    "rate", rid, "messages", "source", "USPS", "text",
                                    "The address could not be verified."));
    char id[64], tn[64], turl[160], lurl[160];
    snprintf(id, sizeof id, "txn_%d", n);
    fake_shippo_tracking_number(n, tn, sizeof tn);
    snprintf(turl, sizeof turl, "https://tools.usps.com/go/TrackConfirmAction?tLabels=%s", tn);
    snprintf(lurl, sizeof lurl, "https://shippo-delivery.example/labels/%s.pdf", id);
    return fake_http_reply_json(rp, 201,
                      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "object_id", id, "status", "SUCCESS",
                                "tracking_number", tn, "tracking_url_provider", turl, "label_url", lurl, "rate", rid,
                                "messages"));
}

static void on_request(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    struct fake_shippo *f = ctx;
    const char *url = rq->path;
    const char *auth = fake_http_header(rq, "Authorization");
    const char *ct = fake_http_header(rq, "Content-Type");
    if (strcmp(rq->method, "POST") != 0 || (strcmp(url, "/shipments/") != 0 && strcmp(url, "/transactions/") != 0))
        return fake_http_reply_json(rp, 404, json_pack("{s:s}", "detail", "Not found."));
    if (auth == NULL || strcmp(auth, f->auth) != 0)
        return fake_http_reply_json(rp, 401, json_pack("{s:s}", "detail", "Invalid token."));
    json_t *b = rq->body_len > 0 && ct && strncmp(ct, "application/json", 16) == 0 ? json_loads(rq->body, 0, NULL)
                                                                                    : NULL;
    if (!json_is_object(b) || !json_is_false(json_object_get(b, "async"))) {
        json_decref(b);
        return fake_http_reply_json(rp, 400, json_pack("{s:s}", "detail", "JSON body with async false expected."));
    }
    if (url[1] == 's')
        handle_shipments(f, rp, b, rq->body);
    else
        handle_transactions(f, rp, b);
    json_decref(b);
}

struct fake_shippo *fake_shippo_start(const char *token)
{
    struct fake_shippo *f = calloc(1, sizeof *f);
    if (f == NULL)
        die("out of memory");
    snprintf(f->auth, sizeof f->auth, "ShippoToken %s", token);
    f->h = fake_http_start(on_request, f);
    return f;
}

void fake_shippo_stop(struct fake_shippo *f)
{
    if (f == NULL)
        return;
    fake_http_stop(f->h);
    free(f->last_shipment);
    free(f);
}

const char *fake_shippo_url(const struct fake_shippo *f)
{
    return fake_http_url(f->h);
}

void fake_shippo_fail_labels(struct fake_shippo *f, bool fail)
{
    fake_http_lock(f->h);
    f->fail_labels = fail;
    fake_http_unlock(f->h);
}

int fake_shippo_shipment_calls(struct fake_shippo *f)
{
    fake_http_lock(f->h);
    int n = f->shipments;
    fake_http_unlock(f->h);
    return n;
}

int fake_shippo_transaction_calls(struct fake_shippo *f)
{
    fake_http_lock(f->h);
    int n = f->transactions;
    fake_http_unlock(f->h);
    return n;
}

char *fake_shippo_last_shipment(struct fake_shippo *f)
{
    fake_http_lock(f->h);
    char *s = f->last_shipment ? strdup(f->last_shipment) : NULL;
    fake_http_unlock(f->h);
    return s;
}

void fake_shippo_tracking_number(int n, char *buf, unsigned cap)
{
    snprintf(buf, cap, "92001901755477%08d", n);
}
