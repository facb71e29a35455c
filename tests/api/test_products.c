/*
 * test_products.c — API tests of the products service: create, update and
 * the lifecycle (draft → active → archived, admin removal), who sees what,
 * validation, the listing's filters, sorts and cursor pages, vacation mode,
 * the detail render cache and the batched view counter.
 *
 * Images refer to media_objects rows inserted directly (the media service
 * is not needed for that). Ratings and popularity, kept by other services,
 * are set with SQL.
 *
 * Ownership: another seller's product answers 404 to PATCH and DELETE, the
 * same as a product that does not exist (drafts must not leak their ids).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "api_client.h"

TestSuite(products, .fini = api_cleanup_all, .timeout = 240);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

static struct api_server *start(void)
{
    struct api_opts o = {.args = scaled_args};
    return api_start(&o);
}

static void expect(struct api_response *r, long status, const char *what)
{
    cr_assert_eq(r->status, status, "%s: expected %ld, got %ld: %.800s", what, status, r->status, r->body);
}

/* Send and check the status; returns the response (caller frees). */
static struct api_response *req(struct api_server *s, const struct api_account *a, const char *method, const char *path,
                                const char *json, long status)
{
    struct api_response *r = api_as(s, a, method, path, json);
    char what[300];
    snprintf(what, sizeof what, "%s %s", method, path);
    expect(r, status, what);
    return r;
}

static void req_free(struct api_server *s, const struct api_account *a, const char *method, const char *path,
                     const char *json, long status)
{
    api_response_free(req(s, a, method, path, json, status));
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* POST a product; returns its id in out. */
static void create(struct api_server *s, const struct api_account *a, const char *json, char *out, size_t cap)
{
    struct api_response *r = req(s, a, "POST", "/api/v1/products", json, 201);
    snprintf(out, cap, "%s", str(r->json, "id"));
    cr_assert(strncmp(out, "prd_", 4) == 0, "%s", r->body);
    cr_assert(api_header(r, "Location") != NULL);
    api_response_free(r);
}

/* A media row owned by owner (kind product_image unless given); its id in out. */
static void media(struct api_server *s, const char *owner, const char *kind, char *out, size_t cap)
{
    static unsigned n;
    char key[64], now[32];
    snprintf(out, cap, "med_%026u", ++n + 1000u * (unsigned)(api_now_ms() % 1000));
    snprintf(key, sizeof key, "test/%s", out);
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *p[] = {out, owner, kind ? kind : "product_image", key, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO media_objects (id, owner_id, kind, mime, bytes, width, height, storage_key, "
                              "status, created_at, updated_at) VALUES ($1, $2, $3, 'image/jpeg', 1000, 800, 600, $4, "
                              "'ready', CAST($5 AS BIGINT), CAST($5 AS BIGINT))",
                              p, 5),
                 0);
}

static int sql_int(struct api_server *s, const char *sql, const char *p1)
{
    char buf[64];
    const char *p[] = {p1};
    cr_assert_eq(api_sql_text(s, sql, p, p1 ? 1 : 0, buf, sizeof buf), 1, "%s", sql);
    return atoi(buf);
}

/* Ids of a list response's data, in order, joined by spaces. */
static void list_ids(struct api_response *r, char *out, size_t cap)
{
    out[0] = '\0';
    json_t *data = json_object_get(r->json, "data");
    cr_assert(json_is_array(data), "%s", r->body);
    size_t i;
    json_t *c;
    json_array_foreach(data, i, c)
    {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? " " : "", str(c, "id"));
    }
}

static bool listed(struct api_server *s, const struct api_account *a, const char *query, const char *id)
{
    char path[600];
    snprintf(path, sizeof path, "/api/v1/products?limit=100%s%s", query[0] ? "&" : "", query);
    struct api_response *r = req(s, a, "GET", path, NULL, 200);
    char ids[8192];
    list_ids(r, ids, sizeof ids);
    api_response_free(r);
    return strstr(ids, id) != NULL;
}

/*-----------------------------------------------------------------------------
 * Lifecycle and visibility
 */

Test(products, lifecycle_and_visibility)
{
    struct api_server *s = start();
    struct api_account seller, other, admin, buyer;
    api_account(s, "seller", "potter", &seller);
    api_account(s, "seller", "weaver", &other);
    api_account(s, "admin", "mod", &admin);
    api_account(s, "buyer", "buyer", &buyer);
    char cat[64], id[64], path[128], body[1024];
    api_category(s, &admin, "ceramics", NULL, cat, sizeof cat);

    /* A draft: title only. Visible to its seller and admins; 404 to everyone else, and in no public list. */
    create(s, &seller, "{\"title\":\"Speckled Mug\",\"price\":{\"amount\":2800}}", id, sizeof id);
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    struct api_response *r = req(s, &seller, "GET", path, NULL, 200);
    cr_assert_str_eq(str(r->json, "status"), "draft");
    cr_assert_str_eq(str(r->json, "slug"), "speckled-mug");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(r->json, "price"), "amount")), 2800);
    cr_assert_str_eq(str(json_object_get(r->json, "price"), "currency"), "USD");
    cr_assert(json_is_null(json_object_get(r->json, "published_at")));
    api_response_free(r);
    req_free(s, &admin, "GET", path, NULL, 200);
    api_assert_problem(r = api_as(s, NULL, "GET", path, NULL), 404, "not_found");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &other, "GET", path, NULL), 404, "not_found");
    api_response_free(r);
    cr_assert(!listed(s, NULL, "", id));

    /* Owner and admin views by status; others may not use status. */
    char q[200];
    snprintf(q, sizeof q, "status=draft&seller=%s", seller.id);
    cr_assert(listed(s, &seller, q, id));
    cr_assert(listed(s, &admin, q, id));
    snprintf(path, sizeof path, "/api/v1/products?status=draft&seller=%s", seller.id);
    api_assert_problem(r = api_as(s, &other, "GET", path, NULL), 403, "forbidden");
    api_response_free(r);
    api_assert_problem(r = api_as(s, NULL, "GET", path, NULL), 401, "unauthenticated");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &seller, "GET", "/api/v1/products?status=draft", NULL), 403, "forbidden");
    api_response_free(r);

    /* Publishing needs a category and something to sell: the 422 names both. */
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    r = api_as(s, &seller, "PATCH", path, "{\"status\":\"active\"}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(strstr(r->body, "\"category_id\"") && strstr(r->body, "\"stock\"") &&
                  strstr(r->body, "required_to_publish"),
              "%s", r->body);
    api_response_free(r);
    snprintf(body, sizeof body, "{\"category_id\":\"%s\",\"stock\":3,\"status\":\"active\"}", cat);
    r = req(s, &seller, "PATCH", path, body, 200);
    cr_assert_str_eq(str(r->json, "status"), "active");
    cr_assert(json_is_true(json_object_get(r->json, "purchasable")));
    cr_assert(json_is_string(json_object_get(r->json, "published_at")));
    char published[64];
    snprintf(published, sizeof published, "%s", str(r->json, "published_at"));
    api_response_free(r);
    req_free(s, NULL, "GET", path, NULL, 200);
    req_free(s, &buyer, "GET", path, NULL, 200);
    cr_assert(listed(s, NULL, "", id));

    /* Illegal move: 409 naming what is allowed. */
    r = api_as(s, &seller, "PATCH", path, "{\"status\":\"draft\"}");
    api_assert_problem(r, 409, "invalid_state_transition");
    cr_assert(strstr(r->body, "allowed from active: archived") != NULL, "%s", r->body);
    api_response_free(r);
    /* A seller cannot remove. */
    api_assert_problem(r = api_as(s, &seller, "PATCH", path, "{\"status\":\"removed\",\"removed_reason\":\"x\"}"), 409,
                       "invalid_state_transition");
    api_response_free(r);

    /* DELETE archives: gone for the public, kept for the owner; and back to active with the same published_at. */
    req_free(s, &seller, "DELETE", path, NULL, 204);
    api_assert_problem(r = api_as(s, NULL, "GET", path, NULL), 404, "not_found");
    api_response_free(r);
    cr_assert(!listed(s, NULL, "", id));
    r = req(s, &seller, "GET", path, NULL, 200);
    cr_assert_str_eq(str(r->json, "status"), "archived");
    api_response_free(r);
    req_free(s, &seller, "DELETE", path, NULL, 204); /* again: no change */
    r = req(s, &seller, "PATCH", path, "{\"status\":\"active\"}", 200);
    cr_assert_str_eq(str(r->json, "published_at"), published);
    api_response_free(r);
    cr_assert(listed(s, NULL, "", id));

    /* An admin removes (a reason is required), the seller can no longer touch it, an admin restores. */
    api_assert_problem(r = api_as(s, &admin, "PATCH", path, "{\"status\":\"removed\"}"), 422, "validation_failed");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &admin, "PATCH", path, "{\"title\":\"Mine now\"}"), 403, "forbidden");
    api_response_free(r);
    r = req(s, &admin, "PATCH", path, "{\"status\":\"removed\",\"removed_reason\":\"counterfeit\"}", 200);
    cr_assert_str_eq(str(r->json, "status"), "removed");
    cr_assert_str_eq(str(r->json, "removed_reason"), "counterfeit");
    api_response_free(r);
    cr_assert(!listed(s, NULL, "", id));
    api_assert_problem(r = api_as(s, NULL, "GET", path, NULL), 404, "not_found");
    api_response_free(r);
    req_free(s, &seller, "GET", path, NULL, 200);
    api_assert_problem(r = api_as(s, &seller, "PATCH", path, "{\"title\":\"Please\"}"), 409,
                       "invalid_state_transition");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &seller, "DELETE", path, NULL), 409, "invalid_state_transition");
    api_response_free(r);
    r = req(s, &admin, "PATCH", path, "{\"status\":\"archived\"}", 200);
    cr_assert(json_is_null(json_object_get(r->json, "removed_reason")));
    api_response_free(r);
    cr_assert_eq(sql_int(s,
                         "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND action IN "
                         "('product.remove', 'product.restore')",
                         id),
                 2);

    /* Admin DELETE removes another seller's product. */
    req_free(s, &seller, "PATCH", path, "{\"status\":\"active\"}", 200);
    snprintf(path, sizeof path, "/api/v1/products/%s?reason=spam", id);
    req_free(s, &admin, "DELETE", path, NULL, 204);
    cr_assert_eq(sql_int(s,
                         "SELECT COUNT(*) FROM products WHERE id = $1 AND status = 'removed' AND "
                         "removed_reason = 'spam'",
                         id),
                 1);

    /* Created active at once when publishable. */
    snprintf(body, sizeof body,
             "{\"title\":\"Bowl\",\"price\":{\"amount\":1500,\"currency\":\"USD\"},\"category_id\":\"%s\","
             "\"made_to_order\":true,\"status\":\"active\"}",
             cat);
    char id2[64];
    create(s, &seller, body, id2, sizeof id2);
    cr_assert(listed(s, NULL, "", id2));
    api_stop(s);
}

Test(products, auth_ownership_and_not_found)
{
    struct api_server *s = start();
    struct api_account seller, other, buyer, closed;
    api_account(s, "seller", "owner", &seller);
    api_account(s, "seller", "rival", &other);
    api_account(s, "buyer", "shopper", &buyer);
    api_account(s, "seller", "closed", &closed);
    char id[64], path[128];
    create(s, &seller, "{\"title\":\"Linen Towel\",\"price\":{\"amount\":1200}}", id, sizeof id);
    snprintf(path, sizeof path, "/api/v1/products/%s", id);

    struct api_response *r;
    api_assert_problem(r = api_as(s, NULL, "POST", "/api/v1/products", "{\"title\":\"x\"}"), 401, "unauthenticated");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/products", "{\"title\":\"x\"}"), 403, "forbidden");
    api_response_free(r);
    api_assert_problem(r = api_as(s, NULL, "PATCH", path, "{\"title\":\"x\"}"), 401, "unauthenticated");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &buyer, "DELETE", path, NULL), 403, "forbidden");
    api_response_free(r);

    /* Another seller: 404 (as if it did not exist), and nothing changed. */
    api_assert_problem(r = api_as(s, &other, "PATCH", path, "{\"title\":\"Stolen\"}"), 404, "not_found");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &other, "DELETE", path, NULL), 404, "not_found");
    api_response_free(r);
    r = req(s, &seller, "GET", path, NULL, 200);
    cr_assert_str_eq(str(r->json, "title"), "Linen Towel");
    cr_assert_str_eq(str(r->json, "status"), "draft");
    api_response_free(r);

    /* Unknown and malformed ids. */
    api_assert_problem(r = api_as(s, NULL, "GET", "/api/v1/products/prd_01J0000000000000000000000Z", NULL), 404,
                       "not_found");
    api_response_free(r);
    api_assert_problem(
        r = api_as(s, &seller, "PATCH", "/api/v1/products/prd_01J0000000000000000000000Z", "{\"title\":\"x\"}"), 404,
        "not_found");
    api_response_free(r);
    api_assert_problem(r = api_as(s, NULL, "GET", "/api/v1/products/usr_01J0000000000000000000000Z", NULL), 400,
                       "invalid_parameter");
    api_response_free(r);

    /* A seller whose shop is not active cannot list products. */
    const char *p[] = {closed.id};
    cr_assert_eq(api_sql_exec(s, "UPDATE shops SET status = 'suspended' WHERE seller_id = $1", p, 1), 0);
    api_assert_problem(r = api_as(s, &closed, "POST", "/api/v1/products", "{\"title\":\"x\"}"), 403, "forbidden");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Content and validation
 */

Test(products, content_and_validation)
{
    struct api_server *s = start();
    struct api_account seller, other, admin;
    api_account(s, "seller", "maker", &seller);
    api_account(s, "seller", "another", &other);
    api_account(s, "admin", "boss", &admin);
    char root[64], leaf[64], m1[64], m2[64], m3[64], theirs[64], avatar[64], id[64], path[128], body[4096];
    api_category(s, &admin, "jewelry", NULL, root, sizeof root);
    api_category(s, &admin, "rings", root, leaf, sizeof leaf);
    media(s, seller.id, NULL, m1, sizeof m1);
    media(s, seller.id, "other", m2, sizeof m2);
    media(s, seller.id, NULL, m3, sizeof m3);
    media(s, other.id, NULL, theirs, sizeof theirs);
    media(s, seller.id, "avatar", avatar, sizeof avatar);

    snprintf(body, sizeof body,
             "{\"title\":\"  Silver Ring \",\"description\":\"Hammered <b>band</b>\",\"price\":{\"amount\":5000},"
             "\"category_id\":\"%s\",\"tags\":[\"Silver Ring\",\"silver ring\",\" Gift \"],"
             "\"materials\":[\"Sterling Silver\"],\"who_made\":\"collective\",\"processing_days\":5,"
             "\"weight_grams\":12,\"variants\":[{\"name\":\"Size 6\",\"sku\":\"R6\",\"options\":{\"size\":\"6\"},"
             "\"stock\":2},{\"name\":\"Size 9\",\"sku\":\"R9\",\"price_modifier\":{\"amount\":-1000},\"stock\":0,"
             "\"position\":1}],\"images\":[{\"media_id\":\"%s\",\"position\":2},{\"media_id\":\"%s\",\"position\":1,"
             "\"is_primary\":true,\"alt\":\"on a hand\"}],\"personalization_questions\":[{\"prompt\":\"Initials?\","
             "\"max_length\":3,\"required\":true},{\"prompt\":\"A sketch\",\"kind\":\"file\"}],\"status\":\"active\"}",
             leaf, m1, m2);
    create(s, &seller, body, id, sizeof id);
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    struct api_response *r = req(s, NULL, "GET", path, NULL, 200);
    json_t *j = r->json;
    cr_assert_str_eq(str(j, "title"), "Silver Ring");
    cr_assert_str_eq(str(j, "description"), "Hammered <b>band</b>");
    cr_assert_str_eq(str(j, "slug"), "silver-ring");
    json_t *tags = json_object_get(j, "tags");
    cr_assert_eq(json_array_size(tags), 2, "%s", r->body);
    cr_assert_str_eq(json_string_value(json_array_get(tags, 0)), "Silver Ring");
    cr_assert_str_eq(json_string_value(json_array_get(tags, 1)), "Gift");
    cr_assert_str_eq(str(json_object_get(j, "handmade"), "who_made"), "collective");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "handmade"), "processing_days")), 5);
    cr_assert(json_is_true(json_object_get(j, "is_personalizable")));
    cr_assert(json_is_true(json_object_get(j, "in_stock")), "a variant has stock");
    json_t *path_arr = json_object_get(j, "category_path");
    cr_assert_eq(json_array_size(path_arr), 2);
    cr_assert_str_eq(str(json_array_get(path_arr, 0), "slug"), "jewelry");
    cr_assert_str_eq(str(json_array_get(path_arr, 1), "slug"), "rings");
    json_t *imgs = json_object_get(j, "images");
    cr_assert_eq(json_array_size(imgs), 2);
    cr_assert_str_eq(str(json_array_get(imgs, 0), "media_id"), m2, "ordered by position");
    cr_assert(json_is_true(json_object_get(json_array_get(imgs, 0), "is_primary")));
    cr_assert(json_is_false(json_object_get(json_array_get(imgs, 1), "is_primary")));
    char url[128];
    snprintf(url, sizeof url, "/api/v1/media/%s", m2);
    cr_assert_str_eq(str(json_array_get(imgs, 0), "url"), url);
    json_t *vars = json_object_get(j, "variants");
    cr_assert_eq(json_array_size(vars), 2);
    json_t *v9 = json_array_get(vars, 1);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(v9, "price"), "amount")), 4000);
    char v6_id[64];
    snprintf(v6_id, sizeof v6_id, "%s", str(json_array_get(vars, 0), "id"));
    json_t *qs = json_object_get(j, "personalization_questions");
    cr_assert_eq(json_array_size(qs), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(qs, 0), "max_length")), 3);
    cr_assert(json_is_null(json_object_get(json_array_get(qs, 1), "max_length")));
    cr_assert_str_eq(str(json_object_get(j, "shop"), "id"), seller.shop_id);
    api_response_free(r);
    cr_assert_eq(sql_int(s,
                         "SELECT COUNT(*) FROM product_tags WHERE product_id = $1 AND tag IN ('silver ring', "
                         "'gift')",
                         id),
                 2);

    /* The card shows the primary image. */
    snprintf(path, sizeof path, "/api/v1/products?seller=%s", seller.id);
    r = req(s, NULL, "GET", path, NULL, 200);
    json_t *card = json_array_get(json_object_get(r->json, "data"), 0);
    cr_assert_str_eq(str(json_object_get(card, "image"), "media_id"), m2, "%s", r->body);
    api_response_free(r);

    /* PATCH arrays replace the whole set; a variant given by id keeps its id. */
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    snprintf(body, sizeof body,
             "{\"variants\":[{\"id\":\"%s\",\"name\":\"Size 6\",\"sku\":\"R6\",\"stock\":5}],"
             "\"images\":[{\"media_id\":\"%s\"}],\"personalization_questions\":[],\"tags\":[]}",
             v6_id, m3);
    r = req(s, &seller, "PATCH", path, body, 200);
    vars = json_object_get(r->json, "variants");
    cr_assert_eq(json_array_size(vars), 1);
    cr_assert_str_eq(str(json_array_get(vars, 0), "id"), v6_id);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(vars, 0), "stock")), 5);
    imgs = json_object_get(r->json, "images");
    cr_assert_eq(json_array_size(imgs), 1);
    cr_assert(json_is_true(json_object_get(json_array_get(imgs, 0), "is_primary")), "a lone image is primary");
    cr_assert(json_is_false(json_object_get(r->json, "is_personalizable")));
    cr_assert_eq(json_array_size(json_object_get(r->json, "tags")), 0);
    api_response_free(r);
    cr_assert_eq(sql_int(s, "SELECT COUNT(*) FROM product_tags WHERE product_id = $1", id), 0);

    /* Validation failures, each a 422 naming the field. */
    struct {
        const char *json;
        const char *field;
    } bad[] = {
        {"{\"personalization_questions\":[{\"prompt\":\"a\"},{\"prompt\":\"b\"},{\"prompt\":\"c\"},{\"prompt\":\"d\"},"
         "{\"prompt\":\"e\"},{\"prompt\":\"f\"}]}",
         "personalization_questions"},
        {"{\"personalization_questions\":[{\"prompt\":\"a\",\"kind\":\"file\",\"max_length\":5}]}",
         "personalization_questions[0].max_length"},
        {"{\"images\":[{\"media_id\":\"M1\",\"is_primary\":true},{\"media_id\":\"M3\",\"is_primary\":true}]}",
         "images"},
        {"{\"images\":[{\"media_id\":\"THEIRS\"}]}", "images[0].media_id"},
        {"{\"images\":[{\"media_id\":\"AVATAR\"}]}", "images[0].media_id"},
        {"{\"variants\":[{\"name\":\"Tiny\",\"price_modifier\":{\"amount\":-6000}}]}",
         "variants[0].price_modifier.amount"},
        {"{\"variants\":[{\"name\":\"A\",\"sku\":\"X\"},{\"name\":\"B\",\"sku\":\"X\"}]}", "variants[1].sku"},
        {"{\"variants\":[{\"id\":\"var_01J0000000000000000000000Z\",\"name\":\"A\"}]}", "variants[0].id"},
        {"{\"price\":{\"amount\":-1}}", "price.amount"},
        {"{\"price\":{\"amount\":100,\"currency\":\"EUR\"}}", "price.currency"},
        {"{\"category_id\":\"cat_01J0000000000000000000000Z\"}", "category_id"},
        {"{\"tags\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\"]}", "tags"},
        {"{\"tags\":[\"this tag is far too long\"]}", "tags[0]"},
        {"{\"title\":\"   \"}", "title"},
        {"{\"who_made\":\"a robot\"}", "who_made"},
        {"{\"colour\":\"red\"}", "colour"},
        {"{\"removed_reason\":\"because\"}", "removed_reason"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[1024];
        snprintf(json, sizeof json, "%s", bad[i].json);
        const char *subst[][2] = {{"M1", m1}, {"M3", m3}, {"THEIRS", theirs}, {"AVATAR", avatar}};
        for (size_t k = 0; k < 4; k++) {
            char *at = strstr(json, subst[k][0]);
            if (at != NULL) {
                char rest[1024];
                snprintf(rest, sizeof rest, "%s", at + strlen(subst[k][0]));
                snprintf(at, sizeof json - (size_t)(at - json), "%s%s", subst[k][1], rest);
            }
        }
        r = api_as(s, &seller, "PATCH", path, json);
        api_assert_problem(r, 422, "validation_failed");
        char needle[128];
        snprintf(needle, sizeof needle, "\"field\":\"%s\"", bad[i].field);
        cr_assert(strstr(r->body, needle) != NULL, "case %zu: expected %s in %s", i, needle, r->body);
        api_response_free(r);
    }
    /* A new price that would make a variant's unit price negative (Size 6 modifier 0 → fine; add one at -1000). */
    snprintf(body, sizeof body,
             "{\"variants\":[{\"id\":\"%s\",\"name\":\"Size 6\",\"price_modifier\":{\"amount\":-1000},"
             "\"stock\":5}]}",
             v6_id);
    req_free(s, &seller, "PATCH", path, body, 200);
    r = api_as(s, &seller, "PATCH", path, "{\"price\":{\"amount\":999}}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(strstr(r->body, "\"field\":\"price.amount\"") != NULL, "%s", r->body);
    api_response_free(r);
    /* POST needs a title. */
    r = api_as(s, &seller, "POST", "/api/v1/products", "{\"price\":{\"amount\":100}}");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(strstr(r->body, "\"field\":\"title\"") != NULL, "%s", r->body);
    api_response_free(r);
    /* Nothing above changed the product. */
    r = req(s, NULL, "GET", path, NULL, 200);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(r->json, "price"), "amount")), 5000);
    api_response_free(r);

    /* Slugs stay unique in a shop. */
    char id2[64];
    create(s, &seller, "{\"title\":\"Silver ring!\"}", id2, sizeof id2);
    snprintf(path, sizeof path, "/api/v1/products/%s", id2);
    r = req(s, &seller, "GET", path, NULL, 200);
    cr_assert_str_eq(str(r->json, "slug"), "silver-ring-2");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Listing: filters, sorts, pages
 */

struct fixture {
    char id[64];
    const char *title;
    int price;
    const char *cat; /* which category: "root", "mid", "leaf", "other" */
    const char *tags;
    const char *materials;
    int stock;
    int rating; /* hundredths */
    int popularity;
};

Test(products, filters_and_sorts)
{
    struct api_server *s = start();
    struct api_account seller, seller2, admin;
    api_account(s, "seller", "lister", &seller);
    api_account(s, "seller", "second", &seller2);
    api_account(s, "admin", "cats", &admin);
    char root[64], mid[64], leaf[64], other[64];
    api_category(s, &admin, "home", NULL, root, sizeof root);
    api_category(s, &admin, "kitchen", root, mid, sizeof mid);
    api_category(s, &admin, "mugs", mid, leaf, sizeof leaf);
    api_category(s, &admin, "homeware", NULL, other, sizeof other); /* shares a prefix with "home" */

    struct fixture fx[] = {
        {"", "A", 1000, "root", "[\"Blue\"]", "[\"clay\"]", 1, 450, 10},
        {"", "B", 2000, "mid", "[\"blue\",\"gift\"]", "[\"clay\",\"glaze\"]", 0, 380, 50},
        {"", "C", 3000, "leaf", "[\"gift\"]", "[\"wood\"]", 5, 500, 30},
        {"", "D", 4000, "other", "[\"blue\"]", "[\"clay\"]", 2, 0, 40},
        {"", "E", 2500, "leaf", "[]", "[]", 9, 420, 20},
    };
    size_t n = sizeof fx / sizeof fx[0];
    for (size_t i = 0; i < n; i++) {
        const char *cat = strcmp(fx[i].cat, "root") == 0   ? root
                          : strcmp(fx[i].cat, "mid") == 0  ? mid
                          : strcmp(fx[i].cat, "leaf") == 0 ? leaf
                                                           : other;
        char body[1024];
        /* B is published with a variant in stock, which then sells out (set by SQL, as an order would). */
        snprintf(body, sizeof body,
                 "{\"title\":\"%s\",\"price\":{\"amount\":%d},\"category_id\":\"%s\",\"tags\":%s,\"materials\":%s,"
                 "\"stock\":%d%s,\"status\":\"active\"}",
                 fx[i].title, fx[i].price, cat, fx[i].tags, fx[i].materials, fx[i].stock,
                 fx[i].stock == 0 ? ",\"variants\":[{\"name\":\"only\",\"stock\":1}]" : "");
        create(s, i == 3 ? &seller2 : &seller, body, fx[i].id, sizeof fx[i].id);
        /* Ratings and popularity as other services keep them; publication times one second apart. */
        char r_[16], p_[16], t_[16];
        snprintf(r_, sizeof r_, "%d", fx[i].rating);
        snprintf(p_, sizeof p_, "%d", fx[i].popularity);
        snprintf(t_, sizeof t_, "%zu", 1000000 + 1000 * i);
        const char *p[] = {fx[i].id, r_, p_, t_};
        cr_assert_eq(api_sql_exec(s,
                                  "UPDATE products SET rating_avg = CAST($2 AS INTEGER), rating_count = 1, "
                                  "popularity = CAST($3 AS BIGINT), published_at = CAST($4 AS BIGINT) WHERE id = $1",
                                  p, 4),
                     0);
    }
    const char *pb[] = {fx[1].id};
    cr_assert_eq(api_sql_exec(s, "UPDATE product_variants SET stock = 0 WHERE product_id = $1", pb, 1), 0);
    cr_assert_eq(api_sql_exec(s, "UPDATE products SET in_stock = 0 WHERE id = $1", pb, 1), 0);
    /* A draft that matches everything must never show. */
    char draft[64];
    char dbody[256];
    snprintf(dbody, sizeof dbody,
             "{\"title\":\"Z\",\"price\":{\"amount\":2000},\"category_id\":\"%s\",\"tags\":[\"blue\"]}", leaf);
    create(s, &seller, dbody, draft, sizeof draft);

    struct {
        const char *query;
        const char *expect; /* fixture titles in order */
    } cases[] = {
        {"sort=price_asc", "A B E C D"},
        {"sort=price_desc", "D C E B A"},
        {"sort=rating", "C A E B D"},
        {"sort=popularity", "B D C E A"},
        {"sort=newest", "E D C B A"},
        {"", "E D C B A"},
        {"category=ROOT&sort=price_asc", "A B E C"},
        {"category=MID&sort=price_asc", "B E C"},
        {"category=LEAF&sort=price_asc", "E C"},
        {"category=OTHER", "D"},
        {"seller=SELLER2", "D"},
        {"price_min=2000&price_max=3000&sort=price_asc", "B E C"},
        {"price_min=2500&sort=price_asc", "E C D"},
        {"min_rating=4.2&sort=rating", "C A E"},
        {"min_rating=4&sort=rating", "C A E"},
        {"min_rating=4.5&sort=rating", "C A"},
        {"in_stock=true&sort=price_asc", "A E C D"},
        {"tags=BLUE&sort=price_asc", "A B D"},
        {"tags=blue,gift", "B"},
        {"materials=clay&sort=price_asc", "A B D"},
        {"materials=clay,glaze", "B"},
        {"tags=nothing", ""},
        {"category=LEAF&tags=gift&materials=wood&in_stock=1&min_rating=5&price_max=3000", "C"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char query[300] = "";
        const char *q = cases[c].query;
        /* Substitute ROOT, MID, LEAF, OTHER, SELLER2. */
        while (*q) {
            const char *names[] = {"ROOT", "MID", "LEAF", "OTHER", "SELLER2"};
            const char *vals[] = {root, mid, leaf, other, seller2.id};
            bool done = false;
            for (size_t k = 0; k < 5 && !done; k++) {
                size_t len = strlen(names[k]);
                if (strncmp(q, names[k], len) == 0) {
                    strncat(query, vals[k], sizeof query - strlen(query) - 1);
                    q += len;
                    done = true;
                }
            }
            if (!done) {
                size_t l = strlen(query);
                query[l] = *q++;
                query[l + 1] = '\0';
            }
        }
        char path[400];
        snprintf(path, sizeof path, "/api/v1/products?%s", query);
        struct api_response *r = req(s, NULL, "GET", path, NULL, 200);
        char got[512] = "";
        json_t *data = json_object_get(r->json, "data");
        size_t i;
        json_t *card;
        json_array_foreach(data, i, card)
        {
            size_t l = strlen(got);
            snprintf(got + l, sizeof got - l, "%s%s", l ? " " : "", str(card, "title"));
        }
        cr_assert_str_eq(got, cases[c].expect, "%s: got \"%s\", want \"%s\"", path, got, cases[c].expect);
        cr_assert(json_is_null(json_object_get(r->json, "next_cursor")));
        api_response_free(r);
    }

    /* Cards: purchasable follows stock. */
    char path[200];
    snprintf(path, sizeof path, "/api/v1/products?tags=gift&sort=price_asc");
    struct api_response *r = req(s, NULL, "GET", path, NULL, 200);
    json_t *b = json_array_get(json_object_get(r->json, "data"), 0);
    cr_assert_str_eq(str(b, "title"), "B");
    cr_assert(json_is_false(json_object_get(b, "in_stock")) && json_is_false(json_object_get(b, "purchasable")));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(b, "rating"), "count")), 1);
    cr_assert_eq(json_real_value(json_object_get(json_object_get(b, "rating"), "average")), 3.8, "%s", r->body);
    api_response_free(r);

    /* Bad parameters. */
    const char *bad[] = {
        "min_rating=6",
        "min_rating=4.555",
        "min_rating=abc",
        "price_min=3000&price_max=100",
        "sort=relevance",
        "sort=cheapest",
        "limit=0",
        "limit=101",
        "tags=a,b,c,d,e,f,g,h,i",
        "category=usr_01J0000000000000000000000Z",
        "colour=red",
        "in_stock=maybe",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "/api/v1/products?%s", bad[i]);
        r = api_as(s, NULL, "GET", path, NULL);
        api_assert_problem(r, 400, "invalid_parameter");
        api_response_free(r);
    }
    api_stop(s);
}

/* Page through everything with limit 4 and check: every product once, in the sort's order, no gaps. */
static void page_all(struct api_server *s, const char *sort, size_t expect_n, char ids[][64])
{
    char cursor[512] = "";
    size_t got = 0;
    int pages = 0;
    for (;;) {
        char path[800];
        snprintf(path, sizeof path, "/api/v1/products?limit=4&sort=%s%s%s", sort, cursor[0] ? "&cursor=" : "", cursor);
        struct api_response *r = req(s, NULL, "GET", path, NULL, 200);
        json_t *data = json_object_get(r->json, "data");
        size_t i;
        json_t *card;
        json_array_foreach(data, i, card)
        {
            cr_assert_lt(got, expect_n, "%s: more rows than products", sort);
            for (size_t k = 0; k < got; k++)
                cr_assert_str_neq(ids[k], str(card, "id"), "%s: duplicate %s", sort, str(card, "id"));
            snprintf(ids[got++], 64, "%s", str(card, "id"));
        }
        pages++;
        const char *next = str(r->json, "next_cursor");
        if (next == NULL) {
            api_response_free(r);
            break;
        }
        cr_assert_eq(json_array_size(data), 4);
        snprintf(cursor, sizeof cursor, "%s", next);
        api_response_free(r);
    }
    cr_assert_eq(got, expect_n, "%s: %zu of %zu products", sort, got, expect_n);
    cr_assert_geq(pages, 3);
}

Test(products, cursor_pages)
{
    struct api_server *s = start();
    struct api_account seller, admin;
    api_account(s, "seller", "pager", &seller);
    api_account(s, "admin", "pa", &admin);
    char cat[64];
    api_category(s, &admin, "paper", NULL, cat, sizeof cat);
    enum { N = 14 };
    char made[N][64];
    for (int i = 0; i < N; i++) {
        char body[400];
        /* Few distinct prices and popularities: ties must be broken by id without gaps. */
        snprintf(body, sizeof body,
                 "{\"title\":\"Card %d\",\"price\":{\"amount\":%d},\"category_id\":\"%s\",\"stock\":1,"
                 "\"status\":\"active\"}",
                 i, 100 * (1 + i % 3), cat);
        create(s, &seller, body, made[i], sizeof made[i]);
        char pop[8];
        snprintf(pop, sizeof pop, "%d", i % 2);
        const char *p[] = {made[i], pop};
        cr_assert_eq(
            api_sql_exec(s, "UPDATE products SET popularity = CAST($2 AS BIGINT), published_at = 1000 WHERE id = $1", p,
                         2),
            0);
    }
    const char *sorts[] = {"newest", "price_asc", "price_desc", "rating", "popularity"};
    for (size_t k = 0; k < 5; k++) {
        char ids[N][64];
        page_all(s, sorts[k], N, ids);
    }
    /* Order within ties: price_asc is (price, id) ascending. */
    char ids[N][64];
    page_all(s, "price_asc", N, ids);
    char buf[64];
    for (int i = 1; i < N; i++) {
        const char *a[] = {ids[i - 1]}, *b[] = {ids[i]};
        cr_assert_eq(api_sql_text(s, "SELECT price_amount FROM products WHERE id = $1", a, 1, buf, sizeof buf), 1);
        long pa = atol(buf);
        cr_assert_eq(api_sql_text(s, "SELECT price_amount FROM products WHERE id = $1", b, 1, buf, sizeof buf), 1);
        long pb = atol(buf);
        cr_assert(pa < pb || (pa == pb && strcmp(ids[i - 1], ids[i]) < 0), "order at %d", i);
    }

    /* Cursors: garbage, and one made for another sort. */
    struct api_response *r = req(s, NULL, "GET", "/api/v1/products?limit=2&sort=price_asc", NULL, 200);
    char path[600];
    snprintf(path, sizeof path, "/api/v1/products?limit=2&sort=popularity&cursor=%s", str(r->json, "next_cursor"));
    api_response_free(r);
    api_assert_problem(r = api_as(s, NULL, "GET", path, NULL), 400, "invalid_cursor");
    api_response_free(r);
    api_assert_problem(r = api_as(s, NULL, "GET", "/api/v1/products?cursor=bm90LWEtY3Vyc29y", NULL), 400,
                       "invalid_cursor");
    api_response_free(r);
    api_assert_problem(r = api_as(s, NULL, "GET", "/api/v1/products?cursor=%25%25%25", NULL), 400, "invalid_cursor");
    api_response_free(r);

    /* The default page is 20. */
    r = req(s, NULL, "GET", "/api/v1/products", NULL, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), N);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Shops: vacation, processing policy; detail cache; views
 */

Test(products, vacation_and_shop_settings)
{
    struct api_server *s = start();
    struct api_account seller, admin;
    api_account(s, "seller", "sleepy", &seller);
    api_account(s, "admin", "va", &admin);
    char cat[64], id[64], path[128], body[512];
    api_category(s, &admin, "art", NULL, cat, sizeof cat);
    snprintf(
        body, sizeof body,
        "{\"title\":\"Print\",\"price\":{\"amount\":900},\"category_id\":\"%s\",\"stock\":4,\"status\":\"active\"}",
        cat);
    create(s, &seller, body, id, sizeof id);
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    /* Warm the detail cache of both server threads. */
    for (int i = 0; i < 4; i++)
        req_free(s, NULL, "GET", path, NULL, 200);

    char shop_path[128];
    snprintf(shop_path, sizeof shop_path, "/api/v1/sellers/%s/shop", seller.id);
    req_free(s, &seller, "PATCH", shop_path,
             "{\"vacation_mode\":true,\"vacation_message\":\"Back in June\",\"name\":\"Sleepy Prints\","
             "\"policies\":{\"processing\":\"Printed to order\",\"processing_days_min\":2,\"processing_days_max\":4}}",
             200);
    for (int i = 0; i < 4; i++) {
        struct api_response *r = req(s, NULL, "GET", path, NULL, 200);
        json_t *shop = json_object_get(r->json, "shop");
        cr_assert(json_is_false(json_object_get(r->json, "purchasable")), "read %d: %s", i, r->body);
        cr_assert(json_is_true(json_object_get(r->json, "in_stock")));
        cr_assert(json_is_true(json_object_get(shop, "vacation_mode")));
        cr_assert_str_eq(str(shop, "vacation_message"), "Back in June");
        cr_assert_str_eq(str(shop, "name"), "Sleepy Prints");
        cr_assert_str_eq(str(json_object_get(shop, "policies"), "processing"), "Printed to order");
        cr_assert_eq(json_integer_value(json_object_get(json_object_get(shop, "policies"), "processing_days_max")), 4);
        api_response_free(r);
    }
    /* Still listed, not purchasable, and not "in stock" (cannot be bought now). */
    cr_assert(listed(s, NULL, "", id));
    cr_assert(!listed(s, NULL, "in_stock=true", id));
    struct api_response *r = req(s, NULL, "GET", "/api/v1/products", NULL, 200);
    cr_assert(json_is_false(json_object_get(json_array_get(json_object_get(r->json, "data"), 0), "purchasable")));
    api_response_free(r);

    /* Processing range must be ordered. */
    r = api_as(s, &seller, "PATCH", shop_path, "{\"policies\":{\"processing_days_min\":9}}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);

    req_free(s, &seller, "PATCH", shop_path, "{\"vacation_mode\":false}", 200);
    r = req(s, NULL, "GET", path, NULL, 200);
    cr_assert(json_is_true(json_object_get(r->json, "purchasable")));
    cr_assert(json_is_null(json_object_get(json_object_get(r->json, "shop"), "vacation_message")));
    api_response_free(r);
    cr_assert(listed(s, NULL, "in_stock=true", id));

    /* A shop that is not active hides its products from everyone but the seller. */
    const char *p[] = {seller.id};
    cr_assert_eq(api_sql_exec(s, "UPDATE shops SET status = 'suspended', rev = rev + 1 WHERE seller_id = $1", p, 1), 0);
    cr_assert(!listed(s, NULL, "", id));
    api_assert_problem(r = api_as(s, NULL, "GET", path, NULL), 404, "not_found");
    api_response_free(r);
    req_free(s, &seller, "GET", path, NULL, 200);
    api_stop(s);
}

Test(products, detail_cache_is_never_stale)
{
    struct api_server *s = start();
    struct api_account seller, admin;
    api_account(s, "seller", "fresh", &seller);
    api_account(s, "admin", "fa", &admin);
    char cat[64], id[64], path[128], body[512];
    api_category(s, &admin, "glass", NULL, cat, sizeof cat);
    snprintf(
        body, sizeof body,
        "{\"title\":\"Vase\",\"price\":{\"amount\":7000},\"category_id\":\"%s\",\"stock\":1,\"status\":\"active\"}",
        cat);
    create(s, &seller, body, id, sizeof id);
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    for (int i = 0; i < 6; i++)
        req_free(s, NULL, "GET", path, NULL, 200);

    req_free(s, &seller, "PATCH", path, "{\"title\":\"Tall Vase\",\"stock\":0,\"made_to_order\":true}", 200);
    for (int i = 0; i < 6; i++) {
        struct api_response *r = req(s, NULL, "GET", path, NULL, 200);
        cr_assert_str_eq(str(r->json, "title"), "Tall Vase", "read %d served a stale rendering", i);
        cr_assert(json_is_true(json_object_get(json_object_get(r->json, "handmade"), "made_to_order")));
        api_response_free(r);
    }
    /* Another service's writer (reviews) changes the rating without touching rev. */
    const char *p[] = {id};
    cr_assert_eq(
        api_sql_exec(s, "UPDATE products SET rating_sum = 9, rating_count = 2, rating_avg = 450 WHERE id = $1", p, 1),
        0);
    /* The category is renamed (bumping the categories version, as the catalog service does). */
    cr_assert_eq(api_sql_exec(s, "UPDATE categories SET name = 'Art glass' WHERE slug = 'glass'", NULL, 0), 0);
    cr_assert_eq(api_sql_exec(s, "UPDATE cache_versions SET version = version + 1 WHERE name = 'categories'", NULL, 0),
                 0);
    for (int i = 0; i < 6; i++) {
        struct api_response *r = req(s, NULL, "GET", path, NULL, 200);
        json_t *rating = json_object_get(r->json, "rating");
        cr_assert_eq(json_integer_value(json_object_get(rating, "count")), 2, "read %d: %s", i, r->body);
        cr_assert_eq(json_real_value(json_object_get(rating, "average")), 4.5);
        cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "category_path"), 0), "name"), "Art glass");
        api_response_free(r);
    }
    /* Archived: the cached rendering must not be served to the public. */
    req_free(s, &seller, "DELETE", path, NULL, 204);
    for (int i = 0; i < 4; i++) {
        struct api_response *r = api_as(s, NULL, "GET", path, NULL);
        api_assert_problem(r, 404, "not_found");
        api_response_free(r);
    }
    api_stop(s);
}

Test(products, views_are_counted_in_batches)
{
    struct api_server *s = start();
    struct api_account seller, admin, buyer;
    api_account(s, "seller", "viewed", &seller);
    api_account(s, "admin", "vw", &admin);
    api_account(s, "buyer", "looker", &buyer);
    char cat[64], id[64], draft[64], path[128], body[512];
    api_category(s, &admin, "wood", NULL, cat, sizeof cat);
    snprintf(
        body, sizeof body,
        "{\"title\":\"Spoon\",\"price\":{\"amount\":1500},\"category_id\":\"%s\",\"stock\":3,\"status\":\"active\"}",
        cat);
    create(s, &seller, body, id, sizeof id);
    create(s, &seller, "{\"title\":\"Unfinished\"}", draft, sizeof draft);
    const char *p[] = {id};
    cr_assert_eq(api_sql_exec(s, "UPDATE products SET sales_count = 2, wishlist_count = 1 WHERE id = $1", p, 1), 0);

    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    for (int i = 0; i < 5; i++)
        req_free(s, NULL, "GET", path, NULL, 200);
    for (int i = 0; i < 2; i++)
        req_free(s, &buyer, "GET", path, NULL, 200);
    for (int i = 0; i < 3; i++)
        req_free(s, &seller, "GET", path, NULL, 200); /* the seller's own views do not count */
    snprintf(path, sizeof path, "/api/v1/products/%s", draft);
    req_free(s, &seller, "GET", path, NULL, 200);

    /* Shutdown writes what is still counted. */
    int st = api_terminate(s, 10000);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server exit status %d", st);
    cr_assert_eq(sql_int(s, "SELECT view_count FROM products WHERE id = $1", id), 7);
    cr_assert_eq(sql_int(s, "SELECT popularity FROM products WHERE id = $1", id), 20 * 2 + 5 * 1 + 7);
    cr_assert_eq(sql_int(s, "SELECT SUM(view_count) FROM product_views WHERE product_id = $1", id), 7);
    cr_assert_eq(sql_int(s, "SELECT COUNT(*) FROM product_views WHERE product_id = $1", draft), 0);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Account events that reach the catalogue: suspension and erasure
 */

Test(products, suspended_seller_and_erased_buyer)
{
    struct api_server *s = start();
    struct api_account seller, admin, buyer;
    api_account(s, "seller", "glassblower", &seller);
    api_account(s, "admin", "mod", &admin);
    api_account(s, "buyer", "fan", &buyer);
    char cat[64], id[64], path[160], body[600];
    api_category(s, &admin, "glass", NULL, cat, sizeof cat);
    snprintf(body, sizeof body,
             "{\"title\":\"Blown Glass Tumbler\",\"price\":{\"amount\":4200},\"category_id\":\"%s\",\"stock\":3,"
             "\"status\":\"active\"}",
             cat);
    create(s, &seller, body, id, sizeof id);
    cr_assert(listed(s, NULL, "", id));

    /* A buyer wishlists it, then erases the account: the count goes back down. */
    snprintf(body, sizeof body, "{\"product_id\":\"%s\"}", id);
    req_free(s, &buyer, "POST", "/api/v1/wishlist", body, 201);
    cr_assert_eq(sql_int(s, "SELECT wishlist_count FROM products WHERE id = $1", id), 1);
    req_free(s, &buyer, "DELETE", "/api/v1/users/me", NULL, 204);
    cr_assert_eq(sql_int(s, "SELECT wishlist_count FROM products WHERE id = $1", id), 0);
    cr_assert_eq(sql_int(s, "SELECT popularity FROM products WHERE id = $1", id), 0);

    /* Suspending the seller takes the listing out of the catalogue and its detail; reinstating brings it back. */
    snprintf(path, sizeof path, "/api/v1/admin/users/%s/suspend", seller.id);
    req_free(s, &admin, "POST", path, "{\"reason\":\"chargebacks\"}", 200);
    cr_assert(!listed(s, NULL, "", id));
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    struct api_response *r;
    api_assert_problem(r = api_as(s, NULL, "GET", path, NULL), 404, "not_found");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/admin/users/%s/reinstate", seller.id);
    req_free(s, &admin, "POST", path, "{}", 200);
    cr_assert(listed(s, NULL, "", id));
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    req_free(s, NULL, "GET", path, NULL, 200);
    api_stop(s);
}
