/*
 * errors.c — error code table and problem+json.
 *
 * Add a code here when a service needs a new one; codes are part of the API
 * contract (clients switch on them) and never change meaning.
 */
#include "http/errors.h"

#include <string.h>

#include "base/error.h"

struct code_row {
    const char *code;
    int status;
    const char *title;
};

static const struct code_row codes[] = {
    {"bad_request", 400, "Bad request"},
    {"malformed_json", 400, "Malformed JSON"},
    {"invalid_parameter", 400, "Invalid parameter"},
    {"invalid_cursor", 400, "Invalid cursor"},
    {"empty_query", 400, "Query has no searchable words"},
    {"invalid_or_expired_token", 400, "Invalid, used or expired link token"},
    {"malformed_multipart", 400, "Malformed multipart body"},
    {"unauthenticated", 401, "Authentication required"},
    {"invalid_token", 401, "Invalid or expired token"},
    {"invalid_credentials", 401, "Invalid credentials"},
    {"oauth_failed", 401, "OAuth sign-in failed"},
    {"payment_required", 402, "Payment required"},
    {"card_declined", 402, "Card declined"},
    {"forbidden", 403, "Forbidden"},
    {"account_suspended", 403, "Account suspended"},
    {"not_found", 404, "Not found"},
    {"variant_not_ready", 404, "Variant not ready"},
    {"method_not_allowed", 405, "Method not allowed"},
    {"not_acceptable", 406, "Not acceptable"},
    {"conflict", 409, "Conflict"},
    {"already_exists", 409, "Already exists"},
    {"invalid_state_transition", 409, "Invalid state transition"},
    {"idempotency_key_reused", 409, "Idempotency key reused with a different request"},
    {"idempotency_in_progress", 409, "A request with this idempotency key is in progress"},
    {"out_of_stock", 409, "Out of stock"},
    /* orders (cart, checkout, order state machine) */
    {"price_changed", 409, "Price changed"},
    {"product_unavailable", 409, "Product unavailable"},
    {"cart_empty", 422, "Cart is empty"},
    {"shipping_unavailable", 422, "No shipping to this destination"},
    {"currency_mismatch", 422, "Currencies differ"},
    {"media_in_use", 409, "Media in use"},
    {"gone", 410, "Gone"},
    {"length_required", 411, "Length required"},
    {"precondition_failed", 412, "Precondition failed"},
    {"payload_too_large", 413, "Payload too large"},
    {"uri_too_long", 414, "URI too long"},
    {"unsupported_media_type", 415, "Unsupported media type"},
    {"unsupported_image_type", 415, "Unsupported image type"},
    {"range_not_satisfiable", 416, "Range not satisfiable"},
    {"validation_failed", 422, "Validation failed"},
    {"invalid_image", 422, "Invalid image"},
    {"image_too_many_pixels", 422, "Image has too many pixels"},
    {"locked", 423, "Locked"},
    {"rate_limited", 429, "Too many requests"},
    {"request_header_too_large", 431, "Request header fields too large"},
    /* payments (src/services/payments) */
    {"insufficient_funds", 402, "Insufficient funds"},
    {"payment_authentication_failed", 402, "Payment authentication failed"},
    {"invalid_signature", 400, "Invalid webhook signature"},
    {"refund_exceeds_refundable", 409, "Refund exceeds what is left to refund"},
    {"internal_error", 500, "Internal server error"},
    {"not_implemented", 501, "Not implemented"},
    {"upstream_error", 502, "Upstream service error"},
    {"storage_error", 502, "Media store error"},
    {"service_unavailable", 503, "Service unavailable"},
    {"database_busy", 503, "Database busy"},
    {"upstream_timeout", 504, "Upstream service timed out"},
    /* vision (src/services/vision): quotas, and the problems a failed image carries */
    {"vision_image_not_ready", 409, "Image not ready"},
    {"vision_rate_limited", 429, "Too many image generations"},
    {"vision_daily_cap_reached", 429, "Daily image cap reached"},
    {"vision_content_refused", 422, "Refused by the provider's content policy"},
    {"vision_provider_rejected", 422, "Image request rejected by the provider"},
    {"vision_render_failed", 500, "Concept rendering failed"},
    {"vision_provider_auth", 502, "Image provider refused our credentials"},
    {"vision_provider_error", 502, "Image provider error"},
    {"vision_provider_unavailable", 503, "Image provider unavailable"},
    {"vision_provider_timeout", 504, "Image provider timed out"},
    /* shipping (src/services/shipping) */
    {"order_not_shippable", 409, "Order is not in a state to ship"},
    {"shipping_labels_unavailable", 409, "Shipping labels are not configured"},
    {"no_shipping_rate", 422, "No shipping rate matches"},
    {"label_purchase_failed", 502, "Shipping label purchase failed"},
    {"invalid_webhook_token", 401, "Invalid webhook token"},
    /* idempotency middleware (src/http/idempotency.c) and payouts (src/services/payouts) */
    {"invalid_idempotency_key", 400, "Invalid Idempotency-Key header"},
    {"insufficient_balance", 409, "Insufficient available balance"},
    {"payout_below_minimum", 422, "Payout below the minimum amount"},
    {"payout_account_unavailable", 409, "No payout account"},
    {"webhook_endpoint_disabled", 409, "Webhook endpoint disabled"},
};

static const struct code_row *find(const char *code)
{
    if (code == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(codes[i].code, code) == 0)
            return &codes[i];
    return NULL;
}

int http_error_status(const char *code)
{
    const struct code_row *r = find(code);
    return r ? r->status : 500;
}

const char *http_error_title(const char *code)
{
    const struct code_row *r = find(code);
    return r ? r->title : "Internal server error";
}

json_t *http_problem_json(const struct app_error *err, int status, const char *instance, const char *request_id)
{
    const char *code = err->code ? err->code : "internal_error";
    json_t *o = json_object();
    char type[128];
    snprintf(type, sizeof type, "https://artistry.cart/problems/%s", code);
    for (char *p = type; *p; p++)
        if (*p == '_')
            *p = '-';
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "title", json_string(http_error_title(code)));
    json_object_set_new(o, "status", json_integer(status));
    json_object_set_new(o, "detail", json_string(err->msg ? err->msg : http_error_title(code)));
    if (instance != NULL)
        json_object_set_new(o, "instance", json_string(instance));
    json_object_set_new(o, "code", json_string(code));
    if (err->hint != NULL)
        json_object_set_new(o, "hint", json_string(err->hint));
    if (err->detail != NULL)
        json_object_set_new(o, "more", json_string(err->detail));
    if (request_id != NULL)
        json_object_set_new(o, "request_id", json_string(request_id));
    if (err->nfields > 0) {
        json_t *arr = json_array();
        for (size_t i = 0; i < err->nfields; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "field", err->fields[i].field, "code",
                                                 err->fields[i].code, "message", err->fields[i].message));
        json_object_set_new(o, "errors", arr);
    }
    return o;
}
