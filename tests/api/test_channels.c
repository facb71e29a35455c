/*
 * test_channels.c — the delivery adapters against local fakes speaking the
 * providers' wire formats: SMS (outbox, Twilio), push (outbox, FCM HTTP v1
 * with the service-account OAuth flow), email through SendGrid v3 (adapter
 * calls, and once through the real server: a password-reset mail delivered
 * by the job worker).
 *
 * The adapter cases call sms_send / push_send / mailer_send_result in the
 * test process (the binary links libartistry.a) with a struct config whose
 * base URLs point at the fakes. Criterion runs each case in its own
 * process, so the FCM access-token cache starts empty in every case.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_client.h"
#include "api/fake_fcm.h"
#include "api/fake_http.h"
#include "api/fake_sendgrid.h"
#include "api/fake_twilio.h"
#include "base/config.h"
#include "platform/mailer.h"
#include "platform/push.h"
#include "platform/sms.h"

TestSuite(channels, .fini = api_cleanup_all, .timeout = 120);

#define SID "AC0123456789abcdef0123456789abcdef"
#define AUTH_TOKEN "twilio-test-auth-token"
#define FROM_NUMBER "+15005550006"
#define SG_KEY "SG.test-key.fake"
#define PROJECT "artistry-test"

/*-----------------------------------------------------------------------------
 * Helpers
 */

static char tmpdir[256];
static char base_url[128]; /* the fake's URL, as a mutable string for struct config */

static char *url_of(const char *u)
{
    snprintf(base_url, sizeof base_url, "%s", u);
    return base_url;
}

/* Defaults, with data_dir in a fresh temp dir. The config borrows string literals (not freed). */
static void config_for_test(struct config *cfg)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/artistry-channels-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    config_defaults(cfg);
    cfg->data_dir = tmpdir;
}

static void config_done(struct config *cfg)
{
    config_free(cfg);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* Entries of dir (not "." / ".."), and whether any is a leftover temp file. */
static int count_files(const char *dir, bool *tmp_left)
{
    DIR *d = opendir(dir);
    int n = 0;
    *tmp_left = false;
    if (d == NULL)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        *tmp_left = *tmp_left || strstr(de->d_name, ".tmp") != NULL;
        n++;
    }
    closedir(d);
    return n;
}

/* The last request's body as JSON (caller decrefs). */
static json_t *last_json(struct fake_http *h, const char *prefix, struct fake_http_record *rec)
{
    cr_assert_eq(fake_http_last(h, "POST", prefix, rec), 0, "no request to %s", prefix);
    json_t *j = json_loads(rec->body, 0, NULL);
    cr_assert_not_null(j, "body is not JSON: %s", rec->body);
    return j;
}

static const char *jpath_str(json_t *j, const char *a, const char *b)
{
    json_t *v = json_object_get(j, a);
    return json_string_value(b != NULL ? json_object_get(v, b) : v);
}

/*-----------------------------------------------------------------------------
 * SMS
 */

static void twilio_config(struct config *cfg, struct fake_twilio *f)
{
    config_for_test(cfg);
    cfg->sms_provider = "twilio";
    cfg->twilio_api_base = url_of(fake_twilio_url(f));
    cfg->twilio_account_sid = SID;
    cfg->twilio_auth_token = AUTH_TOKEN;
    cfg->twilio_from = FROM_NUMBER;
}

Test(channels, sms_outbox_is_the_default)
{
    struct config cfg;
    struct channel_result r;
    config_for_test(&cfg);
    cr_assert_str_eq(cfg.sms_provider, "outbox");
    cr_assert_eq(sms_send(&cfg, "+14155550100", "Your order shipped", &r), 0, "%s", r.error);
    char path[600], dir[300];
    snprintf(dir, sizeof dir, "%s/outbox/sms", tmpdir);
    snprintf(path, sizeof path, "%s/%s", dir, r.ref);
    char *text = slurp(path);
    cr_assert_not_null(text, "no outbox file %s", path);
    json_t *j = json_loads(text, 0, NULL);
    cr_assert_str_eq(jpath_str(j, "channel", NULL), "sms");
    cr_assert_str_eq(jpath_str(j, "to", NULL), "+14155550100");
    cr_assert_str_eq(jpath_str(j, "body", NULL), "Your order shipped");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    bool tmp_left;
    cr_assert_eq(count_files(dir, &tmp_left), 1);
    cr_assert(!tmp_left);
    json_decref(j);
    free(text);
    config_done(&cfg);
}

Test(channels, sms_refuses_numbers_that_are_not_e164)
{
    struct fake_twilio *f = fake_twilio_start(SID, AUTH_TOKEN);
    struct config cfg;
    struct channel_result r;
    twilio_config(&cfg, f);
    static const char *const bad[] = {"4155550100", "+0415555010", "+1415", "+1415555010012345", "+1 415 555 0100",
                                      "+1415abc0100", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(sms_send(&cfg, bad[i], "hello", &r), -1, "%s accepted", bad[i]);
        cr_assert(r.permanent, "%s: not permanent", bad[i]);
        cr_assert(strstr(r.error, "E.164") != NULL, "%s", r.error);
    }
    cr_assert_eq(sms_send(&cfg, NULL, "hello", &r), -1);
    cr_assert_eq(sms_send(&cfg, "+14155550100", "", &r), -1);
    cr_assert(r.permanent);
    cr_assert_eq(fake_http_count(fake_twilio_http(f), NULL, NULL), 0, "invalid numbers reached Twilio");
    config_done(&cfg);
    fake_twilio_stop(f);
}

Test(channels, twilio_sends_the_form_and_keeps_the_sid)
{
    struct fake_twilio *f = fake_twilio_start(SID, AUTH_TOKEN);
    struct config cfg;
    struct channel_result r;
    struct fake_http_record rec;
    char v[256];
    twilio_config(&cfg, f);
    cr_assert_eq(sms_send(&cfg, "+14155550100", "Order #12 shipped & on its way: 100% done", &r), 0, "%s", r.error);
    cr_assert_eq(strncmp(r.ref, "SM", 2), 0, "ref %s", r.ref);
    cr_assert_eq(strlen(r.ref), 34);
    cr_assert_eq(fake_http_last(fake_twilio_http(f), "POST", "/2010-04-01/Accounts/" SID "/Messages.json", &rec), 0);
    cr_assert_eq(fake_http_form_value(rec.body, "To", v, sizeof v), 0);
    cr_assert_str_eq(v, "+14155550100");
    cr_assert_eq(fake_http_form_value(rec.body, "From", v, sizeof v), 0);
    cr_assert_str_eq(v, FROM_NUMBER);
    cr_assert_eq(fake_http_form_value(rec.body, "Body", v, sizeof v), 0);
    cr_assert_str_eq(v, "Order #12 shipped & on its way: 100% done");
    cr_assert(strncmp(rec.authorization, "Basic ", 6) == 0);
    fake_http_record_free(&rec);

    /* Through a Messaging Service when there is no From number. */
    cfg.twilio_from = "";
    cfg.twilio_messaging_service_sid = "MG0123456789abcdef0123456789abcdef";
    cr_assert_eq(sms_send(&cfg, "+447700900123", "hi", &r), 0, "%s", r.error);
    cr_assert_eq(fake_http_last(fake_twilio_http(f), "POST", "/2010", &rec), 0);
    cr_assert_eq(fake_http_form_value(rec.body, "From", v, sizeof v), -1);
    cr_assert_eq(fake_http_form_value(rec.body, "MessagingServiceSid", v, sizeof v), 0);
    cr_assert_str_eq(v, "MG0123456789abcdef0123456789abcdef");
    fake_http_record_free(&rec);
    cr_assert_eq(fake_twilio_accepted(f), 2);
    config_done(&cfg);
    fake_twilio_stop(f);
}

Test(channels, twilio_errors_are_permanent_or_transient)
{
    struct fake_twilio *f = fake_twilio_start(SID, AUTH_TOKEN);
    struct config cfg;
    struct channel_result r;
    twilio_config(&cfg, f);

    fake_twilio_bad_number(f, "+15005550009", 21610, "Attempt to send to unsubscribed recipient");
    cr_assert_eq(sms_send(&cfg, "+15005550009", "hi", &r), -1);
    cr_assert(r.permanent);
    cr_assert_str_eq(r.error, "twilio 21610: Attempt to send to unsubscribed recipient");

    fake_twilio_fail_next(f, 500);
    cr_assert_eq(sms_send(&cfg, "+14155550100", "hi", &r), -1);
    cr_assert(!r.permanent, "500 must be retried: %s", r.error);
    cr_assert(strstr(r.error, "20500") != NULL, "%s", r.error);
    fake_twilio_fail_next(f, 429);
    cr_assert_eq(sms_send(&cfg, "+14155550100", "hi", &r), -1);
    cr_assert(!r.permanent, "429 must be retried: %s", r.error);
    cr_assert_eq(sms_send(&cfg, "+14155550100", "hi", &r), 0, "after the failures: %s", r.error);

    cfg.twilio_auth_token = "wrong-token";
    cr_assert_eq(sms_send(&cfg, "+14155550100", "hi", &r), -1);
    cr_assert(r.permanent);
    cr_assert(strstr(r.error, "20003") != NULL, "%s", r.error);

    cfg.twilio_api_base = "http://127.0.0.1:1"; /* nothing listens: a network failure */
    cr_assert_eq(sms_send(&cfg, "+14155550100", "hi", &r), -1);
    cr_assert(!r.permanent, "network failures must be retried: %s", r.error);

    cfg.twilio_from = "";
    cr_assert_eq(sms_send(&cfg, "+14155550100", "hi", &r), -1);
    cr_assert(r.permanent, "a missing sender is configuration: %s", r.error);
    cfg.sms_provider = "carrier-pigeon";
    cr_assert_eq(sms_send(&cfg, "+14155550100", "hi", &r), -1);
    cr_assert(r.permanent);
    config_done(&cfg);
    fake_twilio_stop(f);
}

/*-----------------------------------------------------------------------------
 * Push
 */

Test(channels, push_outbox_is_the_default)
{
    struct config cfg;
    struct channel_result r;
    config_for_test(&cfg);
    cfg.mail_outbox = tmpdir; /* the outbox setting is shared with the mailer */
    json_t *data = json_pack("{s:s, s:i}", "order_id", "ord_1", "count", 3);
    cr_assert_eq(push_send(&cfg, "device-token-1", "Shipped", "Your order is on its way", data, &r), 0, "%s",
                 r.error);
    char path[600];
    snprintf(path, sizeof path, "%s/push/%s", tmpdir, r.ref);
    char *text = slurp(path);
    cr_assert_not_null(text, "no outbox file %s", path);
    json_t *j = json_loads(text, 0, NULL);
    cr_assert_str_eq(jpath_str(j, "token", NULL), "device-token-1");
    cr_assert_str_eq(jpath_str(j, "title", NULL), "Shipped");
    cr_assert_str_eq(jpath_str(j, "data", "order_id"), "ord_1");
    cr_assert_eq(push_send(&cfg, "", "t", "b", NULL, &r), -1);
    cr_assert(r.permanent && r.unregistered);
    json_decref(j);
    json_decref(data);
    free(text);
    config_done(&cfg);
}

static void fcm_config(struct config *cfg, struct fake_fcm *f, bool other_key)
{
    static char creds[400];
    config_for_test(cfg);
    snprintf(creds, sizeof creds, "%s/service-account.json", tmpdir);
    fake_fcm_write_credentials(f, creds, other_key);
    cfg->push_provider = "fcm";
    cfg->fcm_api_base = url_of(fake_fcm_url(f));
    cfg->fcm_project_id = PROJECT;
    cfg->fcm_credentials_file = creds;
}

Test(channels, fcm_sends_with_a_cached_oauth_token)
{
    struct fake_fcm *f = fake_fcm_start(PROJECT);
    struct config cfg;
    struct channel_result r;
    struct fake_http_record rec;
    fcm_config(&cfg, f, false);
    json_t *data = json_pack("{s:s, s:i, s:b, s:n}", "conversation_id", "cnv_1", "unread", 4, "urgent", 1, "gone");
    cr_assert_eq(push_send(&cfg, "tok-device-a", "New message", "Ana: is it still available?", data, &r), 0, "%s",
                 r.error);
    cr_assert_str_eq(r.ref, "projects/" PROJECT "/messages/0:1%fake");
    json_t *j = last_json(fake_fcm_http(f), "/v1/projects/" PROJECT "/messages:send", &rec);
    json_t *m = json_object_get(j, "message");
    cr_assert_str_eq(jpath_str(m, "token", NULL), "tok-device-a");
    cr_assert_str_eq(jpath_str(m, "notification", "title"), "New message");
    cr_assert_str_eq(jpath_str(m, "notification", "body"), "Ana: is it still available?");
    cr_assert_str_eq(jpath_str(m, "data", "unread"), "4");
    cr_assert_str_eq(jpath_str(m, "data", "urgent"), "true");
    cr_assert_null(json_object_get(json_object_get(m, "data"), "gone"));
    cr_assert_str_eq(rec.authorization, "Bearer ya29.fake-0-1");
    json_decref(j);
    fake_http_record_free(&rec);

    cr_assert_eq(push_send(&cfg, "tok-device-b", "t", "b", NULL, &r), 0, "%s", r.error);
    cr_assert_eq(fake_fcm_tokens_issued(f), 1, "the access token is fetched once and cached");
    cr_assert_eq(fake_fcm_accepted(f), 2);
    /* The assertion was form-encoded with the jwt-bearer grant. */
    cr_assert_eq(fake_http_last(fake_fcm_http(f), "POST", "/token", &rec), 0);
    cr_assert_str_eq(rec.content_type, "application/x-www-form-urlencoded");
    fake_http_record_free(&rec);
    json_decref(data);
    config_done(&cfg);
    fake_fcm_stop(f);
}

Test(channels, fcm_refreshes_the_token_once_on_401)
{
    struct fake_fcm *f = fake_fcm_start(PROJECT);
    struct config cfg;
    struct channel_result r;
    fcm_config(&cfg, f, false);
    cr_assert_eq(push_send(&cfg, "tok-a", "t", "b", NULL, &r), 0, "%s", r.error);
    fake_fcm_revoke_access_tokens(f);
    cr_assert_eq(push_send(&cfg, "tok-a", "t", "b", NULL, &r), 0, "after a revoked token: %s", r.error);
    cr_assert_eq(fake_fcm_tokens_issued(f), 2);
    cr_assert_eq(fake_http_count(fake_fcm_http(f), "POST", "/v1/"), 3, "one 401, then the retry");
    cr_assert_eq(fake_fcm_accepted(f), 2);
    config_done(&cfg);
    fake_fcm_stop(f);
}

Test(channels, fcm_marks_dead_tokens_unregistered)
{
    struct fake_fcm *f = fake_fcm_start(PROJECT);
    struct config cfg;
    struct channel_result r;
    fcm_config(&cfg, f, false);
    fake_fcm_kill_token(f, "tok-uninstalled");
    cr_assert_eq(push_send(&cfg, "tok-uninstalled", "t", "b", NULL, &r), -1);
    cr_assert(r.unregistered && r.permanent, "%s", r.error);
    cr_assert(strstr(r.error, "UNREGISTERED") != NULL, "%s", r.error);
    cr_assert_eq(push_send(&cfg, "malformed-token", "t", "b", NULL, &r), -1);
    cr_assert(r.unregistered && r.permanent, "%s", r.error);
    cr_assert_eq(push_send(&cfg, "tok-alive", "t", "b", NULL, &r), 0, "%s", r.error);
    cr_assert(!r.unregistered);
    config_done(&cfg);
    fake_fcm_stop(f);
}

Test(channels, fcm_errors_are_permanent_or_transient)
{
    struct fake_fcm *f = fake_fcm_start(PROJECT);
    struct config cfg;
    struct channel_result r;
    fcm_config(&cfg, f, false);
    static const unsigned transient[] = {429, 500, 503};
    for (size_t i = 0; i < 3; i++) {
        fake_fcm_fail_next(f, transient[i]);
        cr_assert_eq(push_send(&cfg, "tok-a", "t", "b", NULL, &r), -1);
        cr_assert(!r.permanent && !r.unregistered, "%u: %s", transient[i], r.error);
    }
    cr_assert_eq(push_send(&cfg, "tok-a", "t", "b", NULL, &r), 0, "%s", r.error);
    cfg.fcm_project_id = "Not A Project!";
    cr_assert_eq(push_send(&cfg, "tok-a", "t", "b", NULL, &r), -1);
    cr_assert(r.permanent);
    config_done(&cfg);
    fake_fcm_stop(f);
}

Test(channels, fcm_refused_assertion_is_permanent)
{
    struct fake_fcm *f = fake_fcm_start(PROJECT);
    struct config cfg;
    struct channel_result r;
    fcm_config(&cfg, f, true); /* the file's key is not the account's */
    cr_assert_eq(push_send(&cfg, "tok-a", "t", "b", NULL, &r), -1);
    cr_assert(r.permanent, "%s", r.error);
    cr_assert(strstr(r.error, "invalid_grant") != NULL, "%s", r.error);
    cr_assert_eq(fake_http_count(fake_fcm_http(f), "POST", "/v1/"), 0, "no send without a token");

    cfg.fcm_credentials_file = "/nonexistent/credentials.json";
    cr_assert_eq(push_send(&cfg, "tok-a", "t", "b", NULL, &r), -1);
    cr_assert(r.permanent, "%s", r.error);
    cfg.fcm_credentials_file = "";
    cr_assert_eq(push_send(&cfg, "tok-a", "t", "b", NULL, &r), -1);
    cr_assert(r.permanent, "%s", r.error);
    config_done(&cfg);
    fake_fcm_stop(f);
}

/*-----------------------------------------------------------------------------
 * Email through SendGrid
 */

static void sendgrid_config(struct config *cfg, struct fake_sendgrid *f)
{
    config_for_test(cfg);
    cfg->sendgrid_api_key = SG_KEY;
    cfg->sendgrid_api_base = url_of(fake_sendgrid_url(f));
}

Test(channels, sendgrid_sends_json_and_keeps_the_message_id)
{
    struct fake_sendgrid *f = fake_sendgrid_start(SG_KEY);
    struct config cfg;
    struct channel_result r;
    struct fake_http_record rec;
    sendgrid_config(&cfg, f);
    cfg.smtp_url = "smtp://127.0.0.1:1"; /* SendGrid wins over SMTP */
    struct mail m = {.to = "ana@example.com", .subject = "Café order shipped", .text = "Plain body",
                     .html = "<p>HTML body</p>", .message_id = "job_123"};
    cr_assert_eq(mailer_send_result(&cfg, &m, &r), 0, "%s", r.error);
    char id[64];
    fake_sendgrid_message_id(1, id, sizeof id);
    cr_assert_str_eq(r.ref, id);
    json_t *j = last_json(fake_sendgrid_http(f), "/v3/mail/send", &rec);
    cr_assert_str_eq(rec.authorization, "Bearer " SG_KEY);
    json_t *p0 = json_array_get(json_object_get(j, "personalizations"), 0);
    cr_assert_str_eq(jpath_str(json_array_get(json_object_get(p0, "to"), 0), "email", NULL), "ana@example.com");
    cr_assert_str_eq(jpath_str(j, "from", "email"), "no-reply@artistry.local");
    cr_assert_str_eq(jpath_str(j, "from", "name"), "Artistry Cart");
    cr_assert_str_eq(jpath_str(j, "subject", NULL), "Café order shipped");
    json_t *content = json_object_get(j, "content");
    cr_assert_eq(json_array_size(content), 2);
    cr_assert_str_eq(jpath_str(json_array_get(content, 0), "type", NULL), "text/plain");
    cr_assert_str_eq(jpath_str(json_array_get(content, 0), "value", NULL), "Plain body");
    cr_assert_str_eq(jpath_str(json_array_get(content, 1), "type", NULL), "text/html");
    cr_assert_str_eq(jpath_str(j, "custom_args", "message_id"), "job_123");
    json_decref(j);
    fake_http_record_free(&rec);

    /* Text only: one content block; mailer_send keeps its old contract. */
    struct mail t = {.to = "bo@example.com", .subject = "Hi", .text = "Only text"};
    char err[256] = "";
    cr_assert_eq(mailer_send(&cfg, &t, err, sizeof err), 0, "%s", err);
    j = last_json(fake_sendgrid_http(f), "/v3/mail/send", &rec);
    cr_assert_eq(json_array_size(json_object_get(j, "content")), 1);
    json_decref(j);
    fake_http_record_free(&rec);
    cr_assert_eq(fake_sendgrid_accepted(f), 2);
    config_done(&cfg);
    fake_sendgrid_stop(f);
}

Test(channels, sendgrid_errors_are_permanent_or_transient)
{
    struct fake_sendgrid *f = fake_sendgrid_start(SG_KEY);
    struct config cfg;
    struct channel_result r;
    sendgrid_config(&cfg, f);
    struct mail m = {.to = "ana@example.com", .subject = "s", .text = "t"};

    fake_sendgrid_fail_next(f, 429);
    cr_assert_eq(mailer_send_result(&cfg, &m, &r), -1);
    cr_assert(!r.permanent, "%s", r.error);
    fake_sendgrid_fail_next(f, 503);
    cr_assert_eq(mailer_send_result(&cfg, &m, &r), -1);
    cr_assert(!r.permanent, "%s", r.error);
    fake_sendgrid_fail_next(f, 400);
    cr_assert_eq(mailer_send_result(&cfg, &m, &r), -1);
    cr_assert(r.permanent, "%s", r.error);

    cfg.sendgrid_api_key = "SG.revoked";
    cr_assert_eq(mailer_send_result(&cfg, &m, &r), -1);
    cr_assert(r.permanent);
    cr_assert_str_eq(r.error, "sendgrid: HTTP 401: The provided authorization grant is invalid, expired, or revoked");

    struct mail bad = {.to = "not an address", .subject = "s", .text = "t"};
    cr_assert_eq(mailer_send_result(&cfg, &bad, &r), -1);
    cr_assert(r.permanent);
    cr_assert_eq(fake_http_count(fake_sendgrid_http(f), NULL, NULL), 4, "an invalid mail never leaves");
    config_done(&cfg);
    fake_sendgrid_stop(f);
}

/* The fake itself answers SendGrid's validation errors for bodies our adapter never sends. */
Test(channels, fake_sendgrid_validates_like_sendgrid)
{
    struct fake_sendgrid *f = fake_sendgrid_start(SG_KEY);
    static const char *const cases[][2] = {
        {"{\"from\":{\"email\":\"a@b.c\"},\"subject\":\"s\",\"content\":[{\"type\":\"text/plain\",\"value\":\"v\"}]}",
         "personalizations"},
        {"{\"personalizations\":[{\"to\":[{\"email\":\"x@y.z\"}]}],\"subject\":\"s\",\"content\":[{\"type\":"
         "\"text/plain\",\"value\":\"v\"}]}",
         "from.email"},
        {"{\"personalizations\":[{\"to\":[{\"email\":\"x@y.z\"}]}],\"from\":{\"email\":\"a@b.c\"},\"subject\":\"s\"}",
         "content"},
    };
    CURL *c = curl_easy_init();
    char url[200];
    snprintf(url, sizeof url, "%s/v3/mail/send", fake_sendgrid_url(f));
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer " SG_KEY);
    h = curl_slist_append(h, "Content-Type: application/json");
    for (size_t i = 0; i < 3; i++) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, cases[i][0]);
        FILE *sink = fopen("/dev/null", "w");
        curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
        cr_assert_eq(curl_easy_perform(c), CURLE_OK);
        fclose(sink);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        cr_assert_eq(code, 400, "case %zu", i);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    cr_assert_eq(fake_sendgrid_accepted(f), 0);
    fake_sendgrid_stop(f);
}

/* Through the server: a password-reset mail goes out through SendGrid from the job worker. */
Test(channels, server_delivers_mail_through_sendgrid)
{
    struct fake_sendgrid *f = fake_sendgrid_start(SG_KEY);
    char base[128];
    snprintf(base, sizeof base, "%s", fake_sendgrid_url(f));
    const char *const args[] = {"--rate-limit-scale", "100", "--job-poll-ms", "50", "--sendgrid-api-key", SG_KEY,
                                "--sendgrid-api-base", base, NULL};
    struct api_opts o = {.args = args};
    struct api_server *s = api_start(&o);
    struct api_account a;
    api_account(s, "buyer", "sgmail", &a);
    int before = fake_sendgrid_accepted(f);
    char body[300];
    snprintf(body, sizeof body, "{\"email\":\"%s\"}", a.email);
    struct api_response *r = api_post_json(s, "/api/v1/auth/forgot-password", body, NULL);
    cr_assert_eq(r->status, 202, "%ld %s", r->status, r->body);
    api_response_free(r);
    long long deadline = api_now_ms() + 15000;
    while (fake_sendgrid_accepted(f) == before && api_now_ms() < deadline)
        usleep(20000);
    cr_assert_gt(fake_sendgrid_accepted(f), before, "no mail reached SendGrid");
    struct fake_http_record rec;
    json_t *j = last_json(fake_sendgrid_http(f), "/v3/mail/send", &rec);
    json_t *p0 = json_array_get(json_object_get(j, "personalizations"), 0);
    cr_assert_str_eq(jpath_str(json_array_get(json_object_get(p0, "to"), 0), "email", NULL), a.email);
    const char *text = jpath_str(json_array_get(json_object_get(j, "content"), 0), "value", NULL);
    cr_assert(text != NULL && strstr(text, "reset") != NULL, "%s", text ? text : "(none)");
    json_decref(j);
    fake_http_record_free(&rec);
    /* Nothing went to the .eml outbox. */
    char dir[400];
    bool tmp_left;
    snprintf(dir, sizeof dir, "%s/outbox", s->data_dir);
    cr_assert_eq(count_files(dir, &tmp_left), 0);
    api_stop(s);
    fake_sendgrid_stop(f);
}
