/*
 * test_users.c — API tests for the users service (profiles, preferences,
 * export, erasure, seller applications, shops, admin tools) and for the
 * gateway's rate limits.
 *
 * Accounts come from POST /auth/register and /auth/login; sellers and
 * admins are made by changing the role in the test database and signing in
 * again. Servers run with --rate-limit-scale 100 so that registering
 * several accounts does not trip the auth policies, except in the
 * rate-limit tests, which use the real quotas.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_client.h"

TestSuite(users, .fini = api_cleanup_all, .timeout = 120);

#define PASSWORD "plum-lantern-orbit-42"

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

static struct api_server *start(void)
{
    struct api_opts o = {.args = scaled_args};
    return api_start(&o);
}

struct account {
    char id[64];
    char email[128];
    char token[2048];
};

/* Send a request with an optional bearer token and JSON body. */
static struct api_response *call(struct api_server *s, const char *method, const char *path, const char *token,
                                 const char *json)
{
    char auth[2200];
    const char *headers[3] = {NULL, NULL, NULL};
    int h = 0;
    if (token != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        headers[h++] = auth;
    }
    if (json != NULL)
        headers[h++] = "Content-Type: application/json";
    return api_request(s, method, path, headers, json, json ? strlen(json) : 0);
}

static void expect_status(struct api_response *r, long status, const char *what)
{
    cr_assert_eq(r->status, status, "%s: expected %ld, got %ld: %s", what, status, r->status,
                 r->body ? r->body : "");
}

static void login(struct api_server *s, struct account *a)
{
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", a->email, PASSWORD);
    struct api_response *r = call(s, "POST", "/api/v1/auth/login", NULL, body);
    expect_status(r, 200, "login");
    const char *t = json_string_value(json_object_get(r->json, "access_token"));
    cr_assert(t != NULL, "login: no access_token");
    snprintf(a->token, sizeof a->token, "%s", t);
    api_response_free(r);
}

static void signup(struct api_server *s, struct account *a, const char *name, const char *role)
{
    static int seq;
    char local[64];
    snprintf(local, sizeof local, "%s", name);
    for (char *c = local; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
            *c = 'x';
    snprintf(a->email, sizeof a->email, "%s.%d.%lld@example.com", local, ++seq, api_now_ms());
    char body[512];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\",\"display_name\":\"%s\"}", a->email, PASSWORD,
             name);
    struct api_response *r = call(s, "POST", "/api/v1/auth/register", NULL, body);
    expect_status(r, 201, "register");
    const char *id = json_string_value(json_object_get(json_object_get(r->json, "user"), "id"));
    const char *t = json_string_value(json_object_get(r->json, "access_token"));
    cr_assert(id != NULL && t != NULL, "register: no user.id / access_token: %s", r->body);
    snprintf(a->id, sizeof a->id, "%s", id);
    snprintf(a->token, sizeof a->token, "%s", t);
    api_response_free(r);
    if (role != NULL && strcmp(role, "buyer") != 0) {
        const char *p[] = {a->id, role};
        cr_assert_eq(api_sql_exec(s, "UPDATE users SET role = $2 WHERE id = $1", p, 2), 0);
        login(s, a);
    }
}

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool has_field_error(json_t *problem, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(problem, "errors"), i, e) {
        if (strcmp(jstr(e, "field"), field) == 0)
            return true;
    }
    return false;
}

/*-----------------------------------------------------------------------------
 * Profile
 */
Test(users, me_get_and_patch_round_trips_text_exactly)
{
    struct api_server *s = start();
    struct account a;
    signup(s, &a, "Ada", NULL);

    struct api_response *r = call(s, "GET", "/api/v1/users/me", NULL, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);

    r = call(s, "GET", "/api/v1/users/me", a.token, NULL);
    expect_status(r, 200, "GET /users/me");
    cr_assert_str_eq(jstr(r->json, "id"), a.id);
    cr_assert_str_eq(jstr(r->json, "email"), a.email);
    cr_assert_str_eq(jstr(r->json, "role"), "buyer");
    cr_assert(jstr(r->json, "created_at") && strchr(jstr(r->json, "created_at"), 'T'), "RFC 3339 created_at");
    cr_assert(json_object_get(r->json, "password_hash") == NULL);
    api_response_free(r);

    /* SQL and HTML metacharacters, quotes, backslashes and emoji come back byte for byte. */
    const char *patch = "{\"display_name\":\"Robert'); DROP TABLE users;-- \\ud83c\\udfa8\","
                        "\"bio\":\"<script>alert(\\\"x\\\")</script> & 50% _off_ \\\\ \\u00e9t\\u00e9 \\ud83d\\ude80\","
                        "\"location\":\"Montr\\u00e9al, QC\"}";
    r = call(s, "PATCH", "/api/v1/users/me", a.token, patch);
    expect_status(r, 200, "PATCH /users/me");
    cr_assert_str_eq(jstr(r->json, "display_name"), "Robert'); DROP TABLE users;-- \xf0\x9f\x8e\xa8");
    cr_assert_str_eq(jstr(r->json, "bio"), "<script>alert(\"x\")</script> & 50% _off_ \\ \xc3\xa9t\xc3\xa9 \xf0\x9f\x9a\x80");
    cr_assert_str_eq(jstr(r->json, "location"), "Montr\xc3\xa9" "al, QC");
    api_response_free(r);
    r = call(s, "GET", "/api/v1/users/me", a.token, NULL);
    cr_assert_str_eq(jstr(r->json, "display_name"), "Robert'); DROP TABLE users;-- \xf0\x9f\x8e\xa8");
    api_response_free(r);

    /* location: null clears it; other fields untouched. */
    r = call(s, "PATCH", "/api/v1/users/me", a.token, "{\"location\":null}");
    expect_status(r, 200, "PATCH location null");
    cr_assert(json_is_null(json_object_get(r->json, "location")));
    cr_assert_str_eq(jstr(r->json, "display_name"), "Robert'); DROP TABLE users;-- \xf0\x9f\x8e\xa8");
    api_response_free(r);

    /* Every bad field is listed. */
    r = call(s, "PATCH", "/api/v1/users/me", a.token, "{\"display_name\":\"\",\"bio\":5,\"email\":\"x@y.z\"}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(has_field_error(r->json, "display_name"));
    cr_assert(has_field_error(r->json, "bio"));
    cr_assert(has_field_error(r->json, "email"), "unknown field refused: %s", r->body);
    api_response_free(r);

    /* An avatar must be one of the caller's media objects. */
    r = call(s, "PATCH", "/api/v1/users/me", a.token, "{\"avatar_media_id\":\"med_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\"}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(has_field_error(r->json, "avatar_media_id"));
    api_response_free(r);

    r = call(s, "PATCH", "/api/v1/users/me", NULL, "{\"bio\":\"x\"}");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    api_stop(s);
}

Test(users, get_user_is_self_or_admin)
{
    struct api_server *s = start();
    struct account a, b, admin;
    signup(s, &a, "Ann", NULL);
    signup(s, &b, "Bob", NULL);
    signup(s, &admin, "Root", "admin");
    char path[160];

    snprintf(path, sizeof path, "/api/v1/users/%s", a.id);
    struct api_response *r = call(s, "GET", path, a.token, NULL);
    expect_status(r, 200, "self");
    cr_assert_str_eq(jstr(r->json, "email"), a.email);
    api_response_free(r);

    r = call(s, "GET", path, b.token, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);

    r = call(s, "GET", path, admin.token, NULL);
    expect_status(r, 200, "admin");
    cr_assert_str_eq(jstr(r->json, "id"), a.id);
    api_response_free(r);

    r = call(s, "GET", path, NULL, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);

    r = call(s, "GET", "/api/v1/users/usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", admin.token, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    r = call(s, "GET", "/api/v1/users/not-an-id", admin.token, NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);
    api_stop(s);
}

Test(users, public_profile_never_shows_email)
{
    struct api_server *s = start();
    struct account a;
    signup(s, &a, "Cleo", NULL);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/users/%s/public-profile", a.id);
    struct api_response *r = call(s, "GET", path, NULL, NULL);
    expect_status(r, 200, "public profile");
    cr_assert_str_eq(jstr(r->json, "display_name"), "Cleo");
    cr_assert(json_object_get(r->json, "email") == NULL);
    cr_assert(strstr(r->body, a.email) == NULL, "email leaked: %s", r->body);
    cr_assert(jstr(r->json, "member_since") != NULL);
    cr_assert(json_is_null(json_object_get(r->json, "shop")));
    cr_assert(json_is_false(json_object_get(r->json, "is_seller")));
    api_response_free(r);

    r = call(s, "GET", "/api/v1/users/usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7R/public-profile", NULL, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = call(s, "GET", "/api/v1/users/prd_01JDQ8V7R3X1W9ZK4M2N5P6Q7R/public-profile", NULL, NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);

    /* Suspended users have no public profile. */
    const char *p[] = {a.id};
    api_sql_exec(s, "UPDATE users SET status = 'suspended' WHERE id = $1", p, 1);
    r = call(s, "GET", path, NULL, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Preferences
 */
Test(users, preferences_defaults_merge_and_validation)
{
    struct api_server *s = start();
    struct account a;
    signup(s, &a, "Dora", NULL);
    struct api_response *r = call(s, "GET", "/api/v1/users/me/preferences", a.token, NULL);
    expect_status(r, 200, "GET prefs");
    cr_assert_str_eq(jstr(r->json, "currency"), "USD");
    cr_assert_str_eq(jstr(r->json, "language"), "en");
    json_t *n = json_object_get(r->json, "notifications");
    cr_assert(json_is_true(json_object_get(json_object_get(n, "messages"), "email")));
    cr_assert(json_is_false(json_object_get(json_object_get(n, "marketing"), "email")));
    api_response_free(r);

    r = call(s, "PATCH", "/api/v1/users/me/preferences", a.token,
             "{\"currency\":\"EUR\",\"notifications\":{\"messages\":{\"email\":false}}}");
    expect_status(r, 200, "PATCH prefs 1");
    api_response_free(r);
    r = call(s, "PATCH", "/api/v1/users/me/preferences", a.token,
             "{\"language\":\"fr-CA\",\"notifications\":{\"messages\":{\"push\":false},\"marketing\":{\"email\":true}}}");
    expect_status(r, 200, "PATCH prefs 2");
    api_response_free(r);
    r = call(s, "GET", "/api/v1/users/me/preferences", a.token, NULL);
    cr_assert_str_eq(jstr(r->json, "currency"), "EUR", "first patch kept");
    cr_assert_str_eq(jstr(r->json, "language"), "fr-CA");
    n = json_object_get(r->json, "notifications");
    cr_assert(json_is_false(json_object_get(json_object_get(n, "messages"), "email")), "merged, not replaced");
    cr_assert(json_is_false(json_object_get(json_object_get(n, "messages"), "push")));
    cr_assert(json_is_true(json_object_get(json_object_get(n, "messages"), "in_app")));
    cr_assert(json_is_true(json_object_get(json_object_get(n, "marketing"), "email")));
    api_response_free(r);

    /* null resets to the default */
    r = call(s, "PATCH", "/api/v1/users/me/preferences", a.token, "{\"currency\":null}");
    expect_status(r, 200, "reset currency");
    cr_assert_str_eq(jstr(r->json, "currency"), "USD");
    api_response_free(r);

    r = call(s, "PATCH", "/api/v1/users/me/preferences", a.token, "{\"currency\":\"usd\",\"language\":\"not a tag\"}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(has_field_error(r->json, "currency"));
    cr_assert(has_field_error(r->json, "language"));
    api_response_free(r);
    r = call(s, "PATCH", "/api/v1/users/me/preferences", a.token,
             "{\"notifications\":{\"weather\":{\"email\":true},\"messages\":{\"fax\":true,\"sms\":\"yes\"}}}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(has_field_error(r->json, "notifications.weather"), "%s", r->body);
    cr_assert(has_field_error(r->json, "notifications.messages.fax"), "%s", r->body);
    cr_assert(has_field_error(r->json, "notifications.messages.sms"), "%s", r->body);
    api_response_free(r);

    r = call(s, "GET", "/api/v1/users/me/preferences", NULL, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = call(s, "PATCH", "/api/v1/users/me/preferences", NULL, "{}");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Export and erasure
 */
Test(users, export_holds_personal_data_without_secrets)
{
    struct api_server *s = start();
    struct account a;
    signup(s, &a, "Eve", NULL);
    struct api_response *r = call(s, "PATCH", "/api/v1/users/me/preferences", a.token, "{\"currency\":\"GBP\"}");
    api_response_free(r);
    r = call(s, "POST", "/api/v1/sellers/apply", a.token, "{\"shop_name\":\"Eve's Kiln\",\"country\":\"GB\"}");
    expect_status(r, 201, "apply");
    api_response_free(r);

    r = call(s, "GET", "/api/v1/users/me/export", a.token, NULL);
    expect_status(r, 200, "export");
    cr_assert_str_eq(jstr(json_object_get(r->json, "profile"), "email"), a.email);
    cr_assert_str_eq(jstr(json_object_get(r->json, "preferences"), "currency"), "GBP");
    cr_assert(json_array_size(json_object_get(r->json, "sessions")) >= 1, "sessions listed");
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "seller_applications"), 0), "shop_name"),
                     "Eve's Kiln");
    cr_assert(json_is_array(json_object_get(r->json, "orders")));
    cr_assert(json_is_array(json_object_get(r->json, "addresses")));
    cr_assert(json_is_array(json_object_get(r->json, "messages")));
    cr_assert(strstr(r->body, "hash") == NULL, "no hashes in the export");
    cr_assert(strstr(r->body, "$argon2") == NULL, "no password hash in the export");
    api_response_free(r);

    r = call(s, "GET", "/api/v1/users/me/export", NULL, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    api_stop(s);
}

Test(users, delete_me_erases_and_keeps_orders)
{
    struct api_server *s = start();
    struct account buyer, seller, admin;
    signup(s, &buyer, "Finn", NULL);
    signup(s, &seller, "Gale", NULL);
    signup(s, &admin, "Root", "admin");
    /* A shop for the seller, through the real flow, then an order by the buyer. */
    struct api_response *r = call(s, "POST", "/api/v1/sellers/apply", seller.token, "{\"shop_name\":\"Gale Glass\"}");
    expect_status(r, 201, "apply");
    char path[200];
    snprintf(path, sizeof path, "/api/v1/admin/seller-applications/%s/approve", jstr(r->json, "id"));
    api_response_free(r);
    r = call(s, "POST", path, admin.token, NULL);
    expect_status(r, 200, "approve");
    char shop_id[64];
    snprintf(shop_id, sizeof shop_id, "%s", jstr(json_object_get(r->json, "shop"), "id"));
    api_response_free(r);
    char now[32];
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *op[] = {"ord_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", buyer.id, seller.id, shop_id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO orders (id, buyer_id, seller_id, shop_id, status, subtotal_amount, "
                              "total_amount, currency, commission_bps, shipping_address, created_at, updated_at) "
                              "VALUES ($1, $2, $3, $4, 'completed', 2500, 2500, 'USD', 1000, '{}', "
                              "CAST($5 AS BIGINT), CAST($5 AS BIGINT))",
                              op, 5),
                 0);
    r = call(s, "PATCH", "/api/v1/users/me/preferences", buyer.token, "{\"currency\":\"EUR\"}");
    api_response_free(r);

    r = call(s, "DELETE", "/api/v1/users/me", NULL, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);

    r = call(s, "DELETE", "/api/v1/users/me", buyer.token, NULL);
    expect_status(r, 204, "DELETE /users/me");
    api_response_free(r);

    /* The token stops working and the password no longer signs in. */
    r = call(s, "GET", "/api/v1/users/me", buyer.token, NULL);
    cr_assert_eq(r->status, 401, "old token after erasure: %ld %s", r->status, r->body);
    api_response_free(r);
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", buyer.email, PASSWORD);
    r = call(s, "POST", "/api/v1/auth/login", NULL, body);
    cr_assert_eq(r->status, 401, "login after erasure: %ld %s", r->status, r->body);
    api_response_free(r);

    char buf[256];
    const char *p[] = {buyer.id};
    cr_assert_eq(api_sql_text(s, "SELECT status FROM users WHERE id = $1", p, 1, buf, sizeof buf), 1);
    cr_assert_str_eq(buf, "deleted");
    api_sql_text(s, "SELECT email FROM users WHERE id = $1", p, 1, buf, sizeof buf);
    char want[128];
    snprintf(want, sizeof want, "deleted-%s@invalid", buyer.id);
    cr_assert_str_eq(buf, want);
    api_sql_text(s, "SELECT COALESCE(password_hash, 'none') FROM users WHERE id = $1", p, 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "none");
    api_sql_text(s, "SELECT preferences FROM users WHERE id = $1", p, 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "{}");
    api_sql_text(s, "SELECT COUNT(*) FROM auth_sessions WHERE user_id = $1", p, 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "0");
    api_sql_text(s, "SELECT COUNT(*) FROM orders WHERE buyer_id = $1", p, 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "1", "orders are kept");
    api_sql_text(s, "SELECT COUNT(*) FROM users WHERE email_normalized = $1", (const char *[]){buyer.email}, 1, buf,
                 sizeof buf);
    cr_assert_str_eq(buf, "0", "the email is free again");

    /* The email can be used for a new account. */
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\",\"display_name\":\"New\"}", buyer.email,
             PASSWORD);
    r = call(s, "POST", "/api/v1/auth/register", NULL, body);
    expect_status(r, 201, "register again with the erased email");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Sellers and shops
 */
Test(users, seller_application_approval_and_shop)
{
    struct api_server *s = start();
    struct account a, other, admin;
    signup(s, &a, "Hana", NULL);
    signup(s, &other, "Ivo", NULL);
    signup(s, &admin, "Root", "admin");

    struct api_response *r = call(s, "POST", "/api/v1/sellers/apply", NULL, "{\"shop_name\":\"x\"}");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = call(s, "POST", "/api/v1/sellers/apply", a.token,
             "{\"description\":5,\"country\":\"gb\",\"portfolio_urls\":[\"ftp://nope.example\"],\"extra\":1}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(has_field_error(r->json, "shop_name"), "%s", r->body);
    cr_assert(has_field_error(r->json, "description"), "%s", r->body);
    cr_assert(has_field_error(r->json, "extra"), "%s", r->body);
    api_response_free(r);
    r = call(s, "POST", "/api/v1/sellers/apply", a.token,
             "{\"shop_name\":\"Hana\",\"country\":\"gb\",\"portfolio_urls\":[\"ftp://nope.example\"]}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(has_field_error(r->json, "country"), "%s", r->body);
    cr_assert(has_field_error(r->json, "portfolio_urls[0]"), "%s", r->body);
    api_response_free(r);

    r = call(s, "POST", "/api/v1/sellers/apply", a.token,
             "{\"shop_name\":\"Hana's <Pottery> & Co \\ud83c\\udffa\",\"description\":\"Wheel-thrown; 100% "
             "stoneware\",\"country\":\"JP\",\"portfolio_urls\":[\"https://example.com/hana\"]}");
    expect_status(r, 201, "apply");
    cr_assert_str_eq(jstr(r->json, "status"), "pending");
    char app_id[64];
    snprintf(app_id, sizeof app_id, "%s", jstr(r->json, "id"));
    api_response_free(r);
    r = call(s, "POST", "/api/v1/sellers/apply", a.token, "{\"shop_name\":\"Second\"}");
    api_assert_problem(r, 409, "conflict");
    api_response_free(r);

    /* Admin sees it in the pending list. */
    r = call(s, "GET", "/api/v1/admin/seller-applications?status=pending", admin.token, NULL);
    expect_status(r, 200, "list applications");
    json_t *first = json_array_get(json_object_get(r->json, "data"), 0);
    cr_assert_str_eq(jstr(first, "id"), app_id);
    cr_assert_str_eq(jstr(first, "shop_name"), "Hana's <Pottery> & Co \xf0\x9f\x8f\xba");
    api_response_free(r);
    r = call(s, "GET", "/api/v1/admin/seller-applications", a.token, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);

    /* No shop before approval. */
    char shop_path[160];
    snprintf(shop_path, sizeof shop_path, "/api/v1/sellers/%s/shop", a.id);
    r = call(s, "GET", shop_path, NULL, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    char path[200];
    snprintf(path, sizeof path, "/api/v1/admin/seller-applications/%s/approve", app_id);
    r = call(s, "POST", path, a.token, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = call(s, "POST", path, admin.token, NULL);
    expect_status(r, 200, "approve");
    cr_assert_str_eq(jstr(json_object_get(r->json, "application"), "status"), "approved");
    cr_assert_str_eq(jstr(json_object_get(r->json, "shop"), "name"), "Hana's <Pottery> & Co \xf0\x9f\x8f\xba");
    api_response_free(r);
    r = call(s, "POST", path, admin.token, NULL);
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    r = call(s, "POST", "/api/v1/admin/seller-applications/sap_01JDQ8V7R3X1W9ZK4M2N5P6Q7R/approve", admin.token,
             NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    char buf[64];
    const char *p[] = {a.id};
    api_sql_text(s, "SELECT role FROM users WHERE id = $1", p, 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "seller");
    api_sql_text(s, "SELECT COUNT(*) FROM audit_log WHERE action = 'seller_application.approve'", NULL, 0, buf,
                 sizeof buf);
    cr_assert_str_eq(buf, "1");

    /* Public shop page and public profile. */
    r = call(s, "GET", shop_path, NULL, NULL);
    expect_status(r, 200, "public shop");
    cr_assert_str_eq(jstr(r->json, "seller_id"), a.id);
    cr_assert_str_eq(jstr(r->json, "description"), "Wheel-thrown; 100% stoneware");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/users/%s/public-profile", a.id);
    r = call(s, "GET", path, NULL, NULL);
    cr_assert(json_is_true(json_object_get(r->json, "is_seller")));
    cr_assert_str_eq(jstr(json_object_get(r->json, "shop"), "name"), "Hana's <Pottery> & Co \xf0\x9f\x8f\xba");
    api_response_free(r);

    /* Owner edits (with a seller token); a buyer or another seller may not. */
    const char *edit = "{\"tagline\":\"Small batch\",\"vacation_mode\":true,\"vacation_message\":\"Back in June \\u2600\","
                       "\"accepts_custom_orders\":true,\"policies\":{\"returns\":\"30 days\",\"shipping\":\"2-3 days\"}}";
    r = call(s, "PATCH", shop_path, a.token, edit);
    cr_assert(r->status == 200 || r->status == 403, "old buyer token: %ld", r->status);
    api_response_free(r);
    login(s, &a);
    r = call(s, "PATCH", shop_path, a.token, edit);
    expect_status(r, 200, "owner PATCH shop");
    cr_assert(json_is_true(json_object_get(r->json, "vacation_mode")));
    cr_assert_str_eq(jstr(r->json, "vacation_message"), "Back in June \xe2\x98\x80");
    cr_assert_str_eq(jstr(json_object_get(r->json, "policies"), "returns"), "30 days");
    api_response_free(r);
    r = call(s, "PATCH", shop_path, a.token, "{\"policies\":{\"returns\":null,\"privacy\":\"We keep nothing\"}}");
    expect_status(r, 200, "PATCH policies merge");
    json_t *pol = json_object_get(r->json, "policies");
    cr_assert(json_object_get(pol, "returns") == NULL);
    cr_assert_str_eq(jstr(pol, "shipping"), "2-3 days");
    cr_assert_str_eq(jstr(pol, "privacy"), "We keep nothing");
    cr_assert_str_eq(jstr(r->json, "tagline"), "Small batch", "untouched fields kept");
    api_response_free(r);
    r = call(s, "PATCH", shop_path, a.token, "{\"name\":\"\",\"vacation_mode\":\"yes\",\"policies\":{\"fax\":\"x\"}}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(has_field_error(r->json, "name"));
    cr_assert(has_field_error(r->json, "vacation_mode"));
    cr_assert(has_field_error(r->json, "policies.fax"));
    api_response_free(r);

    r = call(s, "PATCH", shop_path, other.token, "{\"tagline\":\"mine now\"}");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    struct account s2;
    signup(s, &s2, "Jun", "seller");
    r = call(s, "PATCH", shop_path, s2.token, "{\"tagline\":\"mine now\"}");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/sellers/%s/shop", s2.id);
    r = call(s, "PATCH", path, s2.token, "{\"tagline\":\"no shop\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = call(s, "PATCH", shop_path, NULL, "{\"tagline\":\"x\"}");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    api_stop(s);
}

Test(users, seller_application_rejection)
{
    struct api_server *s = start();
    struct account a, admin;
    signup(s, &a, "Kai", NULL);
    signup(s, &admin, "Root", "admin");
    struct api_response *r = call(s, "POST", "/api/v1/sellers/apply", a.token, "{\"shop_name\":\"Kai Knits\"}");
    expect_status(r, 201, "apply");
    char path[200];
    snprintf(path, sizeof path, "/api/v1/admin/seller-applications/%s/reject", jstr(r->json, "id"));
    api_response_free(r);
    r = call(s, "POST", path, admin.token, "{}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(has_field_error(r->json, "reason"));
    api_response_free(r);
    r = call(s, "POST", path, admin.token, "{\"reason\":\"Photos don't show the work <b>yet</b>\"}");
    expect_status(r, 200, "reject");
    cr_assert_str_eq(jstr(json_object_get(r->json, "application"), "status"), "rejected");
    cr_assert_str_eq(jstr(json_object_get(r->json, "application"), "reason"), "Photos don't show the work <b>yet</b>");
    api_response_free(r);
    r = call(s, "POST", path, admin.token, "{\"reason\":\"again\"}");
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    /* A new application is allowed once the previous one is decided. */
    r = call(s, "POST", "/api/v1/sellers/apply", a.token, "{\"shop_name\":\"Kai Knits 2\"}");
    expect_status(r, 201, "apply again");
    api_response_free(r);
    r = call(s, "GET", "/api/v1/admin/seller-applications?status=rejected", admin.token, NULL);
    expect_status(r, 200, "list rejected");
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    api_response_free(r);
    r = call(s, "GET", "/api/v1/admin/seller-applications?status=maybe", admin.token, NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Admin tools
 */
Test(users, admin_search_and_pagination)
{
    struct api_server *s = start();
    struct account admin, a, b, c;
    signup(s, &admin, "Root", "admin");
    signup(s, &a, "Zed_one", NULL);
    signup(s, &b, "Zed%two", NULL);
    signup(s, &c, "Yara", "seller");

    struct api_response *r = call(s, "GET", "/api/v1/admin/users?q=zed", admin.token, NULL);
    expect_status(r, 200, "search");
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 2, "%s", r->body);
    api_response_free(r);
    /* LIKE metacharacters in q are literal. */
    r = call(s, "GET", "/api/v1/admin/users?q=zed%25", admin.token, NULL);
    expect_status(r, 200, "search with %");
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1, "%s", r->body);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "data"), 0), "id"), b.id);
    api_response_free(r);
    r = call(s, "GET", "/api/v1/admin/users?role=seller", admin.token, NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "data"), 0), "id"), c.id);
    api_response_free(r);

    /* Walk all four users one page at a time. */
    char path[256] = "/api/v1/admin/users?limit=1";
    int seen = 0;
    char last[64] = "";
    for (;;) {
        r = call(s, "GET", path, admin.token, NULL);
        expect_status(r, 200, "page");
        json_t *data = json_object_get(r->json, "data");
        cr_assert(json_array_size(data) <= 1);
        if (json_array_size(data) == 1) {
            const char *id = jstr(json_array_get(data, 0), "id");
            cr_assert(last[0] == '\0' || strcmp(id, last) < 0, "newest first, no repeats");
            snprintf(last, sizeof last, "%s", id);
            seen++;
        }
        json_t *next = json_object_get(r->json, "next_cursor");
        if (json_is_null(next)) {
            api_response_free(r);
            break;
        }
        snprintf(path, sizeof path, "/api/v1/admin/users?limit=1&cursor=%s", json_string_value(next));
        api_response_free(r);
        cr_assert(seen < 10);
    }
    cr_assert_eq(seen, 4);

    r = call(s, "GET", "/api/v1/admin/users?cursor=garbage", admin.token, NULL);
    api_assert_problem(r, 400, "invalid_cursor");
    api_response_free(r);
    r = call(s, "GET", "/api/v1/admin/users?limit=1000&sort=name", admin.token, NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    cr_assert(has_field_error(r->json, "limit"));
    cr_assert(has_field_error(r->json, "sort"));
    api_response_free(r);
    r = call(s, "GET", "/api/v1/admin/users", a.token, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = call(s, "GET", "/api/v1/admin/users", c.token, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = call(s, "GET", "/api/v1/admin/users", NULL, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    api_stop(s);
}

Test(users, admin_suspend_revokes_and_reinstate)
{
    struct api_server *s = start();
    struct account admin, a;
    signup(s, &admin, "Root", "admin");
    signup(s, &a, "Lou", NULL);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/admin/users/%s/suspend", a.id);

    struct api_response *r = call(s, "POST", path, admin.token, "{}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = call(s, "POST", path, a.token, "{\"reason\":\"x\"}");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);

    r = call(s, "POST", path, admin.token, "{\"reason\":\"Chargeback fraud; see ticket #42 <urgent>\"}");
    expect_status(r, 200, "suspend");
    cr_assert_str_eq(jstr(r->json, "status"), "suspended");
    cr_assert_str_eq(jstr(r->json, "suspended_reason"), "Chargeback fraud; see ticket #42 <urgent>");
    api_response_free(r);

    /* The user's token stops working at once. */
    r = call(s, "GET", "/api/v1/users/me", a.token, NULL);
    cr_assert(r->status == 401 || r->status == 403, "suspended token: %ld %s", r->status, r->body);
    api_response_free(r);
    char buf[64];
    const char *p[] = {a.id};
    api_sql_text(s, "SELECT COUNT(*) FROM auth_sessions WHERE user_id = $1 AND revoked_at IS NULL", p, 1, buf,
                 sizeof buf);
    cr_assert_str_eq(buf, "0", "every session revoked");
    api_sql_text(s, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.suspend' AND target_id = $1", p, 1, buf,
                 sizeof buf);
    cr_assert_str_eq(buf, "1");

    r = call(s, "POST", path, admin.token, "{\"reason\":\"again\"}");
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/admin/users/%s/suspend", admin.id);
    r = call(s, "POST", path, admin.token, "{\"reason\":\"self\"}");
    api_assert_problem(r, 409, "conflict");
    api_response_free(r);
    r = call(s, "POST", "/api/v1/admin/users/usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7R/suspend", admin.token,
             "{\"reason\":\"x\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    snprintf(path, sizeof path, "/api/v1/admin/users/%s/reinstate", a.id);
    r = call(s, "POST", path, admin.token, NULL);
    expect_status(r, 200, "reinstate");
    cr_assert_str_eq(jstr(r->json, "status"), "active");
    cr_assert(json_is_null(json_object_get(r->json, "suspended_reason")));
    api_response_free(r);
    r = call(s, "POST", path, admin.token, NULL);
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    login(s, &a);
    r = call(s, "GET", "/api/v1/users/me", a.token, NULL);
    expect_status(r, 200, "signed in again after reinstatement");
    api_response_free(r);
    r = call(s, "POST", path, NULL, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Rate limits (the gateway, exercised through the auth routes)
 */
Test(users, rate_limit_login_then_429_with_fields)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r = NULL;
    int n = 0;
    for (; n < 30; n++) {
        /* A new email each time: the auth service's own per-account lockout must not answer first. */
        char body[128];
        snprintf(body, sizeof body, "{\"email\":\"nobody%d@example.com\",\"password\":\"wrong-password-here\"}", n);
        r = call(s, "POST", "/api/v1/auth/login", NULL, body);
        if (r->status == 429)
            break;
        cr_assert_neq(r->status, 0, "%s", r->curl_error);
        const char *pol = api_header(r, "RateLimit-Policy");
        cr_assert(pol && strstr(pol, "\"auth_login\";q=10;w=60"), "RateLimit-Policy: %s", pol ? pol : "(none)");
        const char *rl = api_header(r, "RateLimit");
        char want[64];
        snprintf(want, sizeof want, "\"auth_login\";r=%d;", 9 - n);
        cr_assert(rl && strstr(rl, want), "RateLimit on request %d: %s", n, rl ? rl : "(none)");
        api_response_free(r);
        r = NULL;
    }
    cr_assert(r != NULL && r->status == 429, "no 429 after %d logins", n);
    cr_assert_eq(n, 10, "the 11th login is refused, not the %dth: %s", n + 1, r->body);
    api_assert_problem(r, 429, "rate_limited");
    const char *ra = api_header(r, "Retry-After");
    cr_assert(ra && atoi(ra) >= 1 && atoi(ra) <= 60, "Retry-After: %s", ra ? ra : "(none)");
    const char *rl = api_header(r, "RateLimit");
    cr_assert(rl && strstr(rl, "\"auth_login\";r=0;t="), "RateLimit: %s", rl ? rl : "(none)");
    cr_assert(strstr(api_header(r, "RateLimit-Policy"), "\"auth_login\";q=10;w=60"));
    json_t *vp = json_object_get(r->json, "violated-policies");
    cr_assert(json_is_array(vp) && json_array_size(vp) == 1 &&
                  strcmp(json_string_value(json_array_get(vp, 0)), "auth_login") == 0,
              "violated-policies: %s", r->body);
    api_response_free(r);

    /* Another route's default bucket is untouched. */
    r = api_get(s, "/api/v1/categories");
    cr_assert_eq(r->status, 200);
    const char *d = api_header(r, "RateLimit-Policy");
    cr_assert(d && strstr(d, "\"default\";q=300;w=60"), "default policy: %s", d ? d : "(none)");
    cr_assert(strstr(api_header(r, "RateLimit"), "\"default\";r=299;"), "%s", api_header(r, "RateLimit"));
    api_response_free(r);
    /* Probes are never limited. */
    r = api_get(s, "/healthz");
    cr_assert_eq(r->status, 200);
    cr_assert(api_header(r, "RateLimit") == NULL);
    api_response_free(r);
    api_stop(s);
}

Test(users, rate_limit_off_and_per_user_bucket)
{
    static const char *const off[] = {"--rate-limits", "false", NULL};
    struct api_opts o = {.args = off};
    struct api_server *s = api_start(&o);
    const char *body = "{\"email\":\"nobody@example.com\"}";
    for (int i = 0; i < 15; i++) {
        struct api_response *r = call(s, "POST", "/api/v1/auth/forgot-password", NULL, body);
        cr_assert_neq(r->status, 429, "limits are off");
        cr_assert(api_header(r, "RateLimit") == NULL);
        api_response_free(r);
    }
    api_stop(s);

    /* Signed-in requests also take from the user's bucket, reported as "default:user". */
    s = start();
    struct account a;
    signup(s, &a, "Mo", NULL);
    struct api_response *r = call(s, "GET", "/api/v1/users/me", a.token, NULL);
    expect_status(r, 200, "me");
    bool found = false;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, "RateLimit-Policy") == 0 &&
            strstr(r->headers[i].value, "\"default:user\";q=60000;w=60"))
            found = true;
    cr_assert(found, "no default:user policy field");
    api_response_free(r);
    api_stop(s);
}
