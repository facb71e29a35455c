/*
 * test_vision.c — AI Vision over HTTP: sessions with the offline renderer
 * (images pending → ready in the job queue, stored as private media,
 * deterministic for prompt + seed), refinement history, listing with a
 * cursor, saved concepts, quotas (per minute and daily cap), ownership,
 * validation, the OpenAI-compatible generator against tests/api/fake_openai.c
 * (request wire format, key, retries on 429, content-policy refusal, bad
 * key, URL-only answers, rejected sizes) and match-artisans on a crafted
 * catalogue where the right artisan is known.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "fake_openai.h"

TestSuite(vision, .fini = api_cleanup_all, .timeout = 240);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static long long num(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static struct api_response *req(struct api_server *s, const struct api_account *a, const char *method,
                                const char *path, const char *body, long want)
{
    struct api_response *r = api_as(s, a, method, path, body);
    cr_assert_eq(r->status, want, "%s %s: %ld (want %ld): %s", method, path, r->status, want, r->body);
    return r;
}

/* POST /vision/generate; the session id into out (64 bytes). */
static void generate(struct api_server *s, const struct api_account *a, const char *body, char *out)
{
    struct api_response *r = req(s, a, "POST", "/api/v1/vision/generate", body, 202);
    snprintf(out, 64, "%s", str(r->json, "id"));
    cr_assert(strncmp(out, "vis_", 4) == 0);
    api_response_free(r);
}

/* Poll the session until no image is pending (fails after 60 s); the session JSON (caller decrefs). */
static json_t *wait_done(struct api_server *s, const struct api_account *a, const char *sid)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/vision/sessions/%s", sid);
    for (int i = 0; i < 600; i++) {
        struct api_response *r = req(s, a, "GET", path, NULL, 200);
        json_t *counts = json_object_get(r->json, "counts");
        if (num(counts, "pending") == 0) {
            json_t *j = json_incref(r->json);
            api_response_free(r);
            return j;
        }
        api_response_free(r);
        api_sleep_ms(100);
    }
    cr_assert_fail("session %s still pending", sid);
    return NULL;
}

static json_t *image_at(json_t *session, size_t i)
{
    return json_array_get(json_object_get(session, "images"), i);
}

Test(vision, generate_renders_private_pngs_with_the_offline_renderer)
{
    struct api_server *s = api_start(&(struct api_opts){.args = scaled_args});
    struct api_account buyer, other;
    api_account(s, "buyer", "vbuy", &buyer);
    api_account(s, "buyer", "voth", &other);
    char sid[64];
    generate(s, &buyer, "{\"prompt\":\"a tall blue ceramic vase\",\"count\":2,\"size\":\"256x256\",\"seed\":7}", sid);
    json_t *sess = wait_done(s, &buyer, sid);
    cr_assert_eq(json_array_size(json_object_get(sess, "images")), 2);
    cr_assert_eq(num(json_object_get(sess, "counts"), "ready"), 2);
    cr_assert_str_eq(str(sess, "brief"), "a tall blue ceramic vase");
    json_t *img = image_at(sess, 0);
    cr_assert_str_eq(str(img, "status"), "ready");
    cr_assert_str_eq(str(json_object_get(img, "generator"), "name"), "local");
    cr_assert_str_eq(str(json_object_get(img, "generator"), "model"), "concept-board-1");
    cr_assert_eq(num(json_object_get(img, "size"), "width"), 256);
    cr_assert_eq(num(img, "seed"), 7);
    cr_assert_eq(num(image_at(sess, 1), "seed"), 8);
    cr_assert(json_is_null(json_object_get(img, "error")));
    /* The PNG is a media object its owner can fetch, and nobody else. */
    char path[160];
    snprintf(path, sizeof path, "%s", str(img, "url"));
    struct api_response *r = req(s, &buyer, "GET", path, NULL, 200);
    cr_assert_str_eq(api_header(r, "Content-Type"), "image/png");
    cr_assert(r->body_len > 100 && memcmp(r->body, "\x89PNG", 4) == 0);
    api_response_free(r);
    api_response_free(req(s, &other, "GET", path, NULL, 404));
    api_response_free(req(s, NULL, "GET", path, NULL, 404));
    /* Deterministic: the same prompt and seed give the same bytes. */
    char sid2[64];
    generate(s, &buyer, "{\"prompt\":\"a tall blue ceramic vase\",\"size\":\"256x256\",\"seed\":7}", sid2);
    json_t *sess2 = wait_done(s, &buyer, sid2);
    const char *p[] = {str(img, "media_id"), str(image_at(sess2, 0), "media_id")};
    char h1[80], h2[80];
    cr_assert_eq(api_sql_text(s, "SELECT sha256 FROM media_objects WHERE id = $1", p, 1, h1, sizeof h1), 1);
    cr_assert_eq(api_sql_text(s, "SELECT sha256 FROM media_objects WHERE id = $1", p + 1, 1, h2, sizeof h2), 1);
    cr_assert_str_eq(h1, h2);
    char kind[32];
    cr_assert_eq(api_sql_text(s, "SELECT kind FROM media_objects WHERE id = $1", p, 1, kind, sizeof kind), 1);
    cr_assert_str_eq(kind, "vision_image");
    /* Another user's session is not found. */
    snprintf(path, sizeof path, "/api/v1/vision/sessions/%s", sid);
    api_assert_problem(r = api_as(s, &other, "GET", path, NULL), 404, "not_found");
    api_response_free(r);
    api_assert_problem(r = api_as(s, NULL, "GET", path, NULL), 401, "unauthenticated");
    api_response_free(r);
    json_decref(sess);
    json_decref(sess2);
    api_stop(s);
}

Test(vision, validation_and_auth)
{
    struct api_server *s = api_start(&(struct api_opts){.args = scaled_args});
    struct api_account buyer;
    api_account(s, "buyer", "vval", &buyer);
    struct api_response *r;
    api_assert_problem(r = api_as(s, NULL, "POST", "/api/v1/vision/generate", "{\"prompt\":\"a vase\"}"), 401,
                       "unauthenticated");
    api_response_free(r);
    const char *bad[] = {
        "{}",
        "{\"prompt\":\"a vase\",\"count\":5}",
        "{\"prompt\":\"a vase\",\"count\":0}",
        "{\"prompt\":\"a vase\",\"size\":\"999x1\"}",
        "{\"prompt\":\"a vase\",\"quality\":\"ultra\"}",
        "{\"prompt\":\"a vase\",\"colour\":\"red\"}",
        "{\"prompt\":\"a vase\",\"category_id\":\"cat_00000000000000000000000000\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/vision/generate", bad[i]), 422, "validation_failed");
        api_response_free(r);
    }
    api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/vision/refine",
                                  "{\"session_id\":\"vis_00000000000000000000000000\",\"prompt\":\"bluer\"}"),
                       404, "not_found");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &buyer, "GET", "/api/v1/vision/sessions/not-an-id", NULL), 400,
                       "invalid_parameter");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &buyer, "GET", "/api/v1/vision/sessions?cursor=garbage", NULL), 400,
                       "invalid_cursor");
    api_response_free(r);
    api_stop(s);
}

Test(vision, refine_keeps_the_history)
{
    struct api_server *s = api_start(&(struct api_opts){.args = scaled_args});
    struct api_account buyer, other;
    api_account(s, "buyer", "vref", &buyer);
    api_account(s, "buyer", "vre2", &other);
    char sid[64], body[512];
    generate(s, &buyer, "{\"prompt\":\"a walnut bowl\",\"size\":\"256x256\",\"seed\":100,\"style\":\"rustic\"}", sid);
    json_t *sess = wait_done(s, &buyer, sid);
    const char *first = str(image_at(sess, 0), "id");
    char first_id[64];
    snprintf(first_id, sizeof first_id, "%s", first);
    snprintf(body, sizeof body, "{\"session_id\":\"%s\",\"image_id\":\"%s\",\"prompt\":\"with a turquoise resin inlay\"}",
             sid, first_id);
    api_response_free(req(s, &buyer, "POST", "/api/v1/vision/refine", body, 202));
    snprintf(body, sizeof body, "{\"session_id\":\"%s\",\"prompt\":\"make it taller\",\"count\":2}", sid);
    api_response_free(req(s, &buyer, "POST", "/api/v1/vision/refine", body, 202));
    json_decref(sess);
    sess = wait_done(s, &buyer, sid);
    cr_assert_eq(num(sess, "rounds"), 3);
    cr_assert_eq(num(sess, "image_count"), 4);
    json_t *hist = json_object_get(sess, "history");
    cr_assert_eq(json_array_size(hist), 3);
    json_t *h2 = json_array_get(hist, 1), *h3 = json_array_get(hist, 2);
    cr_assert_eq(num(h2, "round"), 2);
    cr_assert_str_eq(str(h2, "instruction"), "with a turquoise resin inlay");
    cr_assert_str_eq(str(h2, "parent_image_id"), first_id);
    cr_assert_eq(json_array_size(json_object_get(h3, "image_ids")), 2);
    cr_assert(json_is_null(json_object_get(h3, "parent_image_id")));
    json_t *refined = image_at(sess, 1);
    cr_assert_str_eq(str(refined, "parent_image_id"), first_id);
    cr_assert(strstr(str(refined, "prompt"), "walnut bowl") != NULL, "%s", str(refined, "prompt"));
    cr_assert(strstr(str(refined, "prompt"), "Style: rustic") != NULL);
    cr_assert(strstr(str(refined, "prompt"), "turquoise resin inlay") != NULL);
    cr_assert_eq(num(refined, "seed"), 102, "parent seed + round");
    cr_assert_eq(num(json_object_get(refined, "size"), "width"), 256, "size inherited");
    cr_assert_str_eq(str(refined, "status"), "ready");
    /* Ownership and image checks. */
    struct api_response *r;
    api_assert_problem(r = api_as(s, &other, "POST", "/api/v1/vision/refine", body), 404, "not_found");
    api_response_free(r);
    char osid[64];
    generate(s, &other, "{\"prompt\":\"an oak chair\",\"size\":\"256x256\"}", osid);
    json_t *os = wait_done(s, &other, osid);
    snprintf(body, sizeof body, "{\"session_id\":\"%s\",\"image_id\":\"%s\",\"prompt\":\"greener\"}", sid,
             str(image_at(os, 0), "id"));
    api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/vision/refine", body), 404, "not_found");
    api_response_free(r);
    /* A failed (or pending) image cannot be built on. */
    const char *p[] = {first_id};
    cr_assert_eq(api_sql_exec(s, "UPDATE vision_images SET status = 'failed' WHERE id = $1", p, 1), 0);
    snprintf(body, sizeof body, "{\"session_id\":\"%s\",\"image_id\":\"%s\",\"prompt\":\"again\"}", sid, first_id);
    api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/vision/refine", body), 409, "vision_image_not_ready");
    api_response_free(r);
    json_decref(os);
    json_decref(sess);
    api_stop(s);
}

Test(vision, list_sessions_with_cursor)
{
    struct api_server *s = api_start(&(struct api_opts){.args = scaled_args});
    struct api_account buyer, other;
    api_account(s, "buyer", "vlst", &buyer);
    api_account(s, "buyer", "vls2", &other);
    char ids[3][64];
    for (int i = 0; i < 3; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"prompt\":\"lamp number %d\",\"size\":\"256x256\"}", i);
        generate(s, &buyer, body, ids[i]);
    }
    struct api_response *r = req(s, &buyer, "GET", "/api/v1/vision/sessions?limit=2", NULL, 200);
    json_t *data = json_object_get(r->json, "data");
    cr_assert_eq(json_array_size(data), 2);
    cr_assert_str_eq(str(json_array_get(data, 0), "id"), ids[2]);
    cr_assert_str_eq(str(json_array_get(data, 1), "id"), ids[1]);
    char path[256];
    snprintf(path, sizeof path, "/api/v1/vision/sessions?limit=2&cursor=%s", str(r->json, "next_cursor"));
    api_response_free(r);
    r = req(s, &buyer, "GET", path, NULL, 200);
    data = json_object_get(r->json, "data");
    cr_assert_eq(json_array_size(data), 1);
    cr_assert_str_eq(str(json_array_get(data, 0), "id"), ids[0]);
    cr_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    api_response_free(r);
    r = req(s, &other, "GET", "/api/v1/vision/sessions", NULL, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);
    api_stop(s);
}

Test(vision, quotas_per_minute_and_daily_cap)
{
    const char *env[] = {"ARTISTRY_VISION_PER_MINUTE=2", "ARTISTRY_VISION_DAILY_CAP=5", NULL};
    struct api_server *s = api_start(&(struct api_opts){.args = scaled_args, .env = env});
    struct api_account buyer, other;
    api_account(s, "buyer", "vquo", &buyer);
    api_account(s, "buyer", "vqu2", &other);
    char sid[64];
    generate(s, &buyer, "{\"prompt\":\"a vase\",\"size\":\"256x256\",\"count\":2}", sid);
    generate(s, &buyer, "{\"prompt\":\"a bowl\",\"size\":\"256x256\"}", sid);
    struct api_response *r;
    api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/vision/generate", "{\"prompt\":\"a mug\"}"), 429,
                       "vision_rate_limited");
    long ra = atol(api_header(r, "Retry-After"));
    cr_assert(ra >= 1 && ra <= 61, "Retry-After %ld", ra);
    api_response_free(r);
    /* Other users have their own quota. */
    generate(s, &other, "{\"prompt\":\"a mug\",\"size\":\"256x256\"}", sid);
    /* Move the buyer's calls out of the minute (not the day): 3 images count towards the cap of 5. */
    const char *p[] = {buyer.id};
    cr_assert_eq(api_sql_exec(s, "UPDATE vision_images SET created_at = created_at - 120000 WHERE user_id = $1", p, 1),
                 0);
    api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/vision/generate",
                                  "{\"prompt\":\"a lamp\",\"count\":3,\"size\":\"256x256\"}"),
                       429, "vision_daily_cap_reached");
    cr_assert_not_null(api_header(r, "Retry-After"));
    api_response_free(r);
    generate(s, &buyer, "{\"prompt\":\"a lamp\",\"count\":2,\"size\":\"256x256\"}", sid);
    /* Refinement counts too. */
    char body[160];
    snprintf(body, sizeof body, "{\"session_id\":\"%s\",\"prompt\":\"brighter\"}", sid);
    api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/vision/refine", body), 429, "vision_daily_cap_reached");
    api_response_free(r);
    /* A day later the cap is free again. */
    cr_assert_eq(
        api_sql_exec(s, "UPDATE vision_images SET created_at = created_at - 86400000 WHERE user_id = $1", p, 1), 0);
    api_response_free(req(s, &buyer, "POST", "/api/v1/vision/refine", body, 202));
    api_stop(s);
}

Test(vision, save_concept)
{
    struct api_server *s = api_start(&(struct api_opts){.args = scaled_args});
    struct api_account buyer, other;
    api_account(s, "buyer", "vsav", &buyer);
    api_account(s, "buyer", "vsa2", &other);
    char sid[64], path[160], body[256];
    generate(s, &buyer, "{\"prompt\":\"a hand-carved oak table, minimalist\",\"size\":\"256x256\"}", sid);
    json_t *sess = wait_done(s, &buyer, sid);
    const char *img = str(image_at(sess, 0), "id");
    snprintf(path, sizeof path, "/api/v1/vision/sessions/%s/save", sid);
    snprintf(body, sizeof body, "{\"image_id\":\"%s\",\"title\":\"Dining table\",\"notes\":\"seats six\"}", img);
    struct api_response *r = req(s, &buyer, "POST", path, body, 201);
    char cid[64];
    snprintf(cid, sizeof cid, "%s", str(r->json, "id"));
    cr_assert(strncmp(cid, "cpt_", 4) == 0);
    json_t *data = json_object_get(r->json, "data");
    json_t *attrs = json_object_get(data, "attributes");
    cr_assert_str_eq(str(attrs, "object"), "table");
    cr_assert_str_eq(str(attrs, "style"), "minimalist");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(attrs, "materials"), 0)), "oak");
    cr_assert_str_eq(str(json_object_get(data, "generator"), "name"), "local");
    cr_assert_str_eq(str(data, "media_id"), str(image_at(sess, 0), "media_id"));
    api_response_free(r);
    char cpath[128];
    snprintf(cpath, sizeof cpath, "/api/v1/vision/concepts/%s", cid);
    r = req(s, &buyer, "GET", cpath, NULL, 200);
    cr_assert_str_eq(str(r->json, "title"), "Dining table");
    cr_assert_str_eq(str(r->json, "notes"), "seats six");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &other, "GET", cpath, NULL), 404, "not_found");
    api_response_free(r);
    /* Someone else cannot save from my session; a pending image cannot be saved. */
    api_assert_problem(r = api_as(s, &other, "POST", path, body), 404, "not_found");
    api_response_free(r);
    const char *p[] = {img};
    cr_assert_eq(api_sql_exec(s, "UPDATE vision_images SET status = 'pending' WHERE id = $1", p, 1), 0);
    api_assert_problem(r = api_as(s, &buyer, "POST", path, body), 409, "vision_image_not_ready");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &buyer, "POST", path, "{\"image_id\":\"vim_00000000000000000000000000\","
                                                            "\"title\":\"x\"}"),
                       404, "not_found");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &buyer, "POST", path, "{\"title\":\"x\"}"), 422, "validation_failed");
    api_response_free(r);
    json_decref(sess);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * The OpenAI-compatible generator against the fake
 */
static struct api_server *start_openai(struct fake_openai *f, const char *key, const char **env_store)
{
    static char url[128], keyv[128];
    snprintf(url, sizeof url, "ARTISTRY_OPENAI_BASE_URL=%s", fake_openai_url(f));
    snprintf(keyv, sizeof keyv, "ARTISTRY_OPENAI_API_KEY=%s", key);
    env_store[0] = "ARTISTRY_VISION_GENERATOR=openai";
    env_store[1] = url;
    env_store[2] = keyv;
    env_store[3] = "ARTISTRY_OPENAI_MODEL=dall-e-3";
    env_store[4] = "ARTISTRY_OPENAI_TIMEOUT_MS=5000";
    env_store[5] = NULL;
    return api_start(&(struct api_opts){.args = scaled_args, .env = env_store});
}

/* One image for prompt; the finished session (caller decrefs). */
static json_t *one_image(struct api_server *s, const struct api_account *a, const char *prompt, const char *extra)
{
    char body[512], sid[64];
    snprintf(body, sizeof body, "{\"prompt\":\"%s\"%s}", prompt, extra ? extra : "");
    generate(s, a, body, sid);
    return wait_done(s, a, sid);
}

Test(vision, openai_generator_against_the_fake)
{
    struct fake_openai *f = fake_openai_start("sk-test-123");
    const char *env[6];
    struct api_server *s = start_openai(f, "sk-test-123", env);
    struct api_account buyer;
    api_account(s, "buyer", "voai", &buyer);
    json_t *sess = one_image(s, &buyer, "a copper lamp", ",\"style\":\"vivid\",\"quality\":\"hd\"");
    json_t *img = image_at(sess, 0);
    cr_assert_str_eq(str(img, "status"), "ready", "%s", json_dumps(img, 0));
    cr_assert_str_eq(str(json_object_get(img, "generator"), "name"), "openai");
    cr_assert_str_eq(str(json_object_get(img, "generator"), "model"), "dall-e-3");
    cr_assert_str_eq(str(img, "revised_prompt"), "REVISED: a copper lamp");
    cr_assert_eq(num(json_object_get(img, "size"), "width"), 1024);
    json_t *b = fake_openai_last_body(f);
    cr_assert_str_eq(str(b, "model"), "dall-e-3");
    cr_assert_str_eq(str(b, "prompt"), "a copper lamp");
    cr_assert_eq(num(b, "n"), 1);
    cr_assert_str_eq(str(b, "size"), "1024x1024");
    cr_assert_str_eq(str(b, "response_format"), "b64_json");
    cr_assert_str_eq(str(b, "style"), "vivid");
    cr_assert_str_eq(str(b, "quality"), "hd");
    json_decref(b);
    char auth[128];
    fake_openai_last_auth(f, auth, sizeof auth);
    cr_assert_str_eq(auth, "Bearer sk-test-123");
    char path[160];
    snprintf(path, sizeof path, "%s", str(img, "url"));
    struct api_response *r = req(s, &buyer, "GET", path, NULL, 200);
    cr_assert_str_eq(api_header(r, "Content-Type"), "image/png");
    api_response_free(r);
    json_decref(sess);

    /* 429 twice (Retry-After: 0): the client retries and the image is made. */
    int before = fake_openai_requests(f);
    fake_openai_fail_next(f, 429, 2);
    sess = one_image(s, &buyer, "a linen pillow", NULL);
    cr_assert_str_eq(str(image_at(sess, 0), "status"), "ready");
    cr_assert_eq(fake_openai_requests(f) - before, 3);
    json_decref(sess);

    /* A content-policy refusal fails the image with a problem object, at once. */
    before = fake_openai_requests(f);
    sess = one_image(s, &buyer, "a forbidden thing", NULL);
    img = image_at(sess, 0);
    cr_assert_str_eq(str(img, "status"), "failed");
    json_t *e = json_object_get(img, "error");
    cr_assert_str_eq(str(e, "code"), "vision_content_refused");
    cr_assert_eq(num(e, "status"), 422);
    cr_assert_str_eq(str(e, "provider_code"), "content_policy_violation");
    cr_assert_str_eq(str(e, "type"), "https://artistry.cart/problems/vision-content-refused");
    cr_assert(strstr(str(e, "detail"), "safety system") != NULL);
    cr_assert(json_is_null(json_object_get(img, "media_id")));
    cr_assert_eq(fake_openai_requests(f) - before, 1, "a refusal is not retried");
    json_decref(sess);

    /* A size DALL-E 3 does not take is the provider's 400. */
    sess = one_image(s, &buyer, "a small mug", ",\"size\":\"512x512\"");
    cr_assert_str_eq(str(json_object_get(image_at(sess, 0), "error"), "code"), "vision_provider_rejected");
    json_decref(sess);

    /* A server that ignores response_format and sends a URL: refused, we never fetch it. */
    fake_openai_url_only(f, true);
    sess = one_image(s, &buyer, "a red rug", NULL);
    cr_assert_str_eq(str(json_object_get(image_at(sess, 0), "error"), "code"), "vision_provider_error");
    fake_openai_url_only(f, false);
    json_decref(sess);
    api_stop(s);
    fake_openai_stop(f);
}

Test(vision, openai_bad_key_fails_the_image)
{
    struct fake_openai *f = fake_openai_start("sk-right");
    const char *env[6];
    struct api_server *s = start_openai(f, "sk-wrong", env);
    struct api_account buyer;
    api_account(s, "buyer", "vkey", &buyer);
    json_t *sess = one_image(s, &buyer, "a glass vase", NULL);
    json_t *img = image_at(sess, 0);
    cr_assert_str_eq(str(img, "status"), "failed");
    cr_assert_str_eq(str(json_object_get(img, "error"), "code"), "vision_provider_auth");
    cr_assert_eq(num(json_object_get(img, "error"), "status"), 502);
    char *log = api_log(s);
    cr_assert(strstr(log, "sk-wrong") == NULL, "the key must never reach the log");
    free(log);
    json_decref(sess);
    api_stop(s);
    fake_openai_stop(f);
}

/*-----------------------------------------------------------------------------
 * Match artisans
 */
static void product(struct api_server *s, const struct api_account *seller, const char *title, const char *desc,
                    const char *cat, const char *tags, const char *mats)
{
    char body[2048];
    snprintf(body, sizeof body,
             "{\"title\":\"%s\",\"description\":\"%s\",\"price\":{\"amount\":4500},\"category_id\":\"%s\","
             "\"tags\":%s,\"materials\":%s,\"stock\":3,\"status\":\"active\"}",
             title, desc, cat, tags, mats);
    api_response_free(req(s, seller, "POST", "/api/v1/products", body, 201));
}

static void shop_signals(struct api_server *s, const struct api_account *seller, int accepts, int rating_sum,
                         int rating_count)
{
    char a[8], rs[16], rc[16];
    snprintf(a, sizeof a, "%d", accepts);
    snprintf(rs, sizeof rs, "%d", rating_sum);
    snprintf(rc, sizeof rc, "%d", rating_count);
    const char *p[] = {seller->shop_id, a, rs, rc};
    cr_assert_eq(api_sql_exec(s,
                              "UPDATE shops SET accepts_custom_orders = CAST($2 AS INTEGER), rating_sum = CAST($3 AS "
                              "BIGINT), rating_count = CAST($4 AS BIGINT) WHERE id = $1",
                              p, 4),
                 0);
}

static const char *rank_of(json_t *res, size_t i)
{
    return str(json_array_get(json_object_get(res, "data"), i), "seller_id");
}

Test(vision, match_artisans_ranks_the_right_artisan_first)
{
    struct api_server *s = api_start(&(struct api_opts){.args = scaled_args});
    struct api_account admin, potter, potter2, wood, jeweler, buyer, other;
    api_account(s, "admin", "vadm", &admin);
    api_account(s, "seller", "potter", &potter);
    api_account(s, "seller", "potter2", &potter2);
    api_account(s, "seller", "wood", &wood);
    api_account(s, "seller", "jewel", &jeweler);
    api_account(s, "buyer", "vmat", &buyer);
    api_account(s, "buyer", "vma2", &other);
    char ceramics[64], furniture[64], jewelry[64];
    api_category(s, &admin, "ceramics", NULL, ceramics, sizeof ceramics);
    api_category(s, &admin, "furniture", NULL, furniture, sizeof furniture);
    api_category(s, &admin, "jewelry", NULL, jewelry, sizeof jewelry);
    /* The potter who should win: glazed ceramic vases, commissions, good ratings. */
    product(s, &potter, "Blue crackle glaze vase", "Tall wheel-thrown ceramic vase with a blue crackle glaze",
            ceramics, "[\"vase\",\"blue\"]", "[\"ceramic\",\"stoneware\"]");
    product(s, &potter, "Stoneware bowl", "Glazed stoneware bowl", ceramics, "[\"bowl\"]", "[\"stoneware\"]");
    shop_signals(s, &potter, 1, 48 * 10 / 10 * 10, 10); /* 4.8 average over 10 reviews */
    /* A second potter with a similar vase, but no commissions and a poor rating. */
    product(s, &potter2, "Ceramic vase", "Small white ceramic vase", ceramics, "[\"vase\"]", "[\"ceramic\"]");
    shop_signals(s, &potter2, 0, 25, 10);
    /* Unrelated artisans. */
    product(s, &wood, "Oak dining table", "Hand-carved oak table", furniture, "[\"table\"]", "[\"oak\"]");
    product(s, &wood, "Blue painted stool", "A small stool painted blue", furniture, "[\"stool\"]", "[\"pine\"]");
    shop_signals(s, &wood, 1, 50, 10);
    product(s, &jeweler, "Silver ring", "Hammered silver ring", jewelry, "[\"ring\"]", "[\"silver\"]");
    shop_signals(s, &jeweler, 1, 50, 10);

    const char *q = "{\"text\":\"a tall blue ceramic vase with a crackle glaze\"}";
    struct api_response *r = req(s, &buyer, "POST", "/api/v1/vision/match-artisans", q, 200);
    json_t *data = json_object_get(r->json, "data");
    cr_assert_geq(json_array_size(data), 2, "%s", r->body);
    cr_assert_str_eq(rank_of(r->json, 0), potter.id, "%s", r->body);
    cr_assert_str_eq(rank_of(r->json, 1), potter2.id, "%s", r->body);
    for (size_t i = 0; i < json_array_size(data); i++)
        cr_assert_str_neq(rank_of(r->json, i), jeweler.id, "the jeweler matches no word");
    json_t *top = json_array_get(data, 0);
    double s0 = json_number_value(json_object_get(top, "score"));
    double s1 = json_number_value(json_object_get(json_array_get(data, 1), "score"));
    cr_assert_gt(s0, s1);
    cr_assert_str_eq(str(top, "shop_id"), potter.shop_id);
    cr_assert(json_is_true(json_object_get(top, "accepts_custom_orders")));
    cr_assert_gt(json_array_size(json_object_get(top, "reasons")), 2);
    cr_assert_eq(json_number_value(json_object_get(json_object_get(top, "components"), "materials")), 1.0);
    /* invite_seller_ids: the ranked sellers that take commissions (not potter2). */
    json_t *inv = json_object_get(r->json, "invite_seller_ids");
    cr_assert_str_eq(json_string_value(json_array_get(inv, 0)), potter.id);
    for (size_t i = 0; i < json_array_size(inv); i++)
        cr_assert_str_neq(json_string_value(json_array_get(inv, i)), potter2.id);
    api_response_free(r);

    /* The same through a session and a saved concept of the buyer; the category counts. */
    char sid[64], body[256], path[128];
    generate(s, &buyer, "{\"prompt\":\"a tall blue ceramic vase\",\"size\":\"256x256\"}", sid);
    snprintf(body, sizeof body, "{\"session_id\":\"%s\",\"category_id\":\"%s\",\"limit\":1}", sid, ceramics);
    r = req(s, &buyer, "POST", "/api/v1/vision/match-artisans", body, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    cr_assert_str_eq(rank_of(r->json, 0), potter.id);
    cr_assert_eq(json_number_value(json_object_get(
                     json_object_get(json_array_get(json_object_get(r->json, "data"), 0), "components"), "category")),
                 1.0);
    api_response_free(r);
    json_t *sess = wait_done(s, &buyer, sid);
    snprintf(path, sizeof path, "/api/v1/vision/sessions/%s/save", sid);
    snprintf(body, sizeof body, "{\"image_id\":\"%s\",\"title\":\"Vase\"}", str(image_at(sess, 0), "id"));
    r = req(s, &buyer, "POST", path, body, 201);
    snprintf(body, sizeof body, "{\"concept_id\":\"%s\"}", str(r->json, "id"));
    api_response_free(r);
    r = req(s, &buyer, "POST", "/api/v1/vision/match-artisans", body, 200);
    cr_assert_str_eq(rank_of(r->json, 0), potter.id);
    api_response_free(r);
    /* Someone else's concept or session is not found; exactly one source is required. */
    api_assert_problem(r = api_as(s, &other, "POST", "/api/v1/vision/match-artisans", body), 404, "not_found");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/vision/match-artisans", "{}"), 422, "validation_failed");
    api_response_free(r);
    snprintf(body, sizeof body, "{\"session_id\":\"%s\",\"text\":\"vase\"}", sid);
    api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/vision/match-artisans", body), 422, "validation_failed");
    api_response_free(r);
    api_assert_problem(r = api_as(s, NULL, "POST", "/api/v1/vision/match-artisans", q), 401, "unauthenticated");
    api_response_free(r);
    /* Words nobody sells: an empty ranking, not an error. */
    r = req(s, &buyer, "POST", "/api/v1/vision/match-artisans", "{\"text\":\"zeppelin hangar\"}", 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);
    json_decref(sess);
    api_stop(s);
}
