/*
 * shipping_shippo.c — the Shippo adapter (PROTOCOLS.md §4).
 *
 * JSON over HTTPS to shippo_api_base with "Authorization: ShippoToken
 * <token>": POST /shipments/ (async false) answers the rates for a parcel
 * between two addresses; POST /transactions/ {rate, label_file_type PDF,
 * async false} buys the label of one rate and answers its status, tracking
 * number and label URL. Bodies are read into a capped buffer (httpc.h).
 *
 * Amounts: Shippo sends decimal strings ("7.85"); they become minor units
 * with two decimals, parsed as text (never through a float).
 *
 * Caveats: blocking calls (connect 5 s, whole call 15 s): callers run them
 * on the slow pool or in a job, never in a transaction. Currencies with
 * other than two decimals are not handled (rates are dropped unless they
 * are in the shop's currency anyway). Weights go as grams ("g").
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/config.h"
#include "platform/httpc.h"
#include "services/shipping/shipping_int.h"

bool shipping__shippo_enabled(const struct config *cfg)
{
    return cfg->shippo_token != NULL && cfg->shippo_token[0] != '\0';
}

int64_t shipping__parse_decimal(const char *s)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    int64_t v = 0;
    while (*s >= '0' && *s <= '9') {
        if (v > INT64_C(1) << 40)
            return -1;
        v = v * 10 + (*s++ - '0');
    }
    int dec = 0;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (dec < 2) {
                v = v * 10 + (*s - '0');
                dec++;
            } else if (*s != '0') {
                return -1; /* a fraction of a cent */
            }
            s++;
        }
    }
    if (*s != '\0')
        return -1;
    for (; dec < 2; dec++)
        v *= 10;
    return v;
}

/* POST path with a JSON body; *res the parsed answer (caller decrefs) and *status. 0 or -1 with *msg. */
static int shippo_post(const struct config *cfg, struct arena *a, const char *path, json_t *body, long *status,
                       json_t **res, const char **msg)
{
    *res = NULL;
    char *text = json_dumps(body, JSON_COMPACT);
    const char *url = arena_sprintf(a, "%s%s", cfg->shippo_api_base, path);
    const char *auth = arena_sprintf(a, "Authorization: ShippoToken %s", cfg->shippo_token);
    struct httpc_body b = {.max = 1024 * 1024};
    struct curl_slist *hdrs = curl_slist_append(NULL, auth);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    CURL *h = curl_easy_init();
    int rc = -1;
    if (h == NULL || text == NULL) {
        *msg = "cannot start the request";
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "artistry-cart");
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        *msg = arena_sprintf(a, "shippo %s: %s", path, b.too_big ? "answer too large" : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    *res = b.data ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    if (*status < 200 || *status > 299) {
        *msg = arena_sprintf(a, "shippo %s: HTTP %ld", path, *status);
        json_decref(*res);
        *res = NULL;
        goto out;
    }
    if (!json_is_object(*res)) {
        *msg = arena_sprintf(a, "shippo %s: the answer is not a JSON object", path);
        json_decref(*res);
        *res = NULL;
        goto out;
    }
    rc = 0;
out:
    if (h != NULL)
        curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    httpc_body_free(&b);
    free(text);
    return rc;
}

static json_t *address_json(const struct shippo_address *ad)
{
    json_t *o = json_object();
    const char *names[] = {"name", "street1", "street2", "city", "state", "zip", "country", "phone", "email"};
    const char *vals[] = {ad->name, ad->street1, ad->street2, ad->city, ad->state,
                          ad->zip,  ad->country, ad->phone,   ad->email};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (vals[i] != NULL)
            json_object_set_new(o, names[i], json_string(vals[i]));
    return o;
}

static void copy_str(char *dst, size_t cap, json_t *v)
{
    snprintf(dst, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* One element of rates[]; false when it is malformed. */
static bool parse_rate(json_t *r, struct shippo_rate *out)
{
    json_t *sl = json_object_get(r, "servicelevel");
    memset(out, 0, sizeof *out);
    copy_str(out->object_id, sizeof out->object_id, json_object_get(r, "object_id"));
    copy_str(out->provider, sizeof out->provider, json_object_get(r, "provider"));
    copy_str(out->service, sizeof out->service, json_object_get(sl, "name"));
    copy_str(out->service_token, sizeof out->service_token, json_object_get(sl, "token"));
    copy_str(out->currency, sizeof out->currency, json_object_get(r, "currency"));
    out->amount = shipping__parse_decimal(json_string_value(json_object_get(r, "amount")));
    json_t *d = json_object_get(r, "estimated_days");
    out->days = json_is_integer(d) && json_integer_value(d) >= 0 && json_integer_value(d) < 1000
                    ? (int)json_integer_value(d)
                    : -1;
    return out->object_id[0] != '\0' && out->amount >= 0 && strlen(out->currency) == 3;
}

int shipping__shippo_rates(const struct config *cfg, struct arena *a, const struct shippo_address *from,
                           const struct shippo_address *to, const struct shippo_parcel *parcel, struct shippo_rate *out,
                           int max, int *n, const char **msg)
{
    *n = 0;
    int64_t g = parcel->weight_grams > 0 ? parcel->weight_grams : 100;
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "length", parcel->length, "width", parcel->width, "height",
                          parcel->height, "distance_unit", "in", "weight", arena_sprintf(a, "%lld", (long long)g),
                          "mass_unit", "g");
    json_t *body = json_pack("{s:o, s:o, s:[o], s:b}", "address_from", address_json(from), "address_to",
                             address_json(to), "parcels", p, "async", 0);
    long status = 0;
    json_t *res = NULL;
    int rc = shippo_post(cfg, a, "/shipments/", body, &status, &res, msg);
    json_decref(body);
    if (rc != 0)
        return -1;
    json_t *rates = json_object_get(res, "rates");
    size_t i;
    json_t *r;
    json_array_foreach(rates, i, r)
    {
        if (*n < max && parse_rate(r, &out[*n]))
            (*n)++;
    }
    json_decref(res);
    return 0;
}

int shipping__shippo_buy(const struct config *cfg, struct arena *a, const char *rate_id, struct shippo_label *label,
                         const char **msg)
{
    json_t *body = json_pack("{s:s, s:s, s:b}", "rate", rate_id, "label_file_type", "PDF", "async", 0);
    long status = 0;
    json_t *res = NULL;
    int rc = shippo_post(cfg, a, "/transactions/", body, &status, &res, msg);
    json_decref(body);
    if (rc != 0)
        return -1;
    memset(label, 0, sizeof *label);
    copy_str(label->object_id, sizeof label->object_id, json_object_get(res, "object_id"));
    copy_str(label->status, sizeof label->status, json_object_get(res, "status"));
    copy_str(label->tracking_number, sizeof label->tracking_number, json_object_get(res, "tracking_number"));
    copy_str(label->tracking_url, sizeof label->tracking_url, json_object_get(res, "tracking_url_provider"));
    copy_str(label->label_url, sizeof label->label_url, json_object_get(res, "label_url"));
    json_t *m = json_array_get(json_object_get(res, "messages"), 0);
    copy_str(label->message, sizeof label->message, json_object_get(m, "text"));
    json_decref(res);
    if (label->status[0] == '\0') {
        *msg = "shippo /transactions/: no status in the answer";
        return -1;
    }
    return 0;
}
