/*
 * config.c — table-driven configuration.
 *
 * Each row maps one key to a field of struct config by offset. The same row
 * serves the config file (`key`), the environment (`env`) and the flag
 * (`--key-with-dashes`). Loading happens in three passes of increasing
 * precedence so the last writer wins.
 *
 * Caveats: lists (services, cors_origins) stay comma-separated strings; the
 * consumers split them.
 */
#include "base/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"

enum ctype { C_STR, C_INT, C_I64, C_BOOL, C_LISTEN };

struct option_row {
    const char *key;
    const char *env;
    enum ctype type;
    size_t offset;
    const char *dflt;
    int64_t min, max;
    const char *help;
};

#define OFF(f) offsetof(struct config, f)

static const struct option_row options[] = {
    {"listen", "ARTISTRY_LISTEN", C_LISTEN, OFF(listen_host), "127.0.0.1:8080", 0, 0, "host:port to listen on"},
    {"database", "ARTISTRY_DATABASE_URL", C_STR, OFF(database), "./data/artistry.db", 0, 0,
     "SQLite file path or postgres:// URL"},
    {"services", "ARTISTRY_SERVICES", C_STR, OFF(services), "all", 0, 0, "service modules to mount (a,b or all)"},
    {"threads", "ARTISTRY_THREADS", C_INT, OFF(threads), "0", 0, 256, "HTTP worker threads (0: one per core)"},
    {"job_workers", "ARTISTRY_JOB_WORKERS", C_INT, OFF(job_workers), "1", 0, 64, "job worker threads inside serve"},
    {"data_dir", "ARTISTRY_DATA_DIR", C_STR, OFF(data_dir), "./data", 0, 0, "directory for local files"},
    {"log_level", "ARTISTRY_LOG_LEVEL", C_STR, OFF(log_level), "info", 0, 0, "debug, info, warn or error"},
    {"max_body", "ARTISTRY_MAX_BODY", C_I64, OFF(max_body), "1048576", 1024, INT64_C(1) << 30, "JSON body limit, bytes"},
    {"max_upload", "ARTISTRY_MAX_UPLOAD", C_I64, OFF(max_upload), "20971520", 1024, INT64_C(1) << 32,
     "upload body limit, bytes"},
    {"max_connections", "ARTISTRY_MAX_CONNECTIONS", C_INT, OFF(max_connections), "4096", 1, 1000000,
     "concurrent connection limit"},
    {"connection_memory", "ARTISTRY_CONNECTION_MEMORY", C_INT, OFF(connection_memory), "16384", 8192, 1048576,
     "bytes per connection for its request line, headers and read buffer (larger headers get 431); an idle "
     "WebSocket keeps it, so it sets most of the memory per socket"},
    {"idle_timeout", "ARTISTRY_IDLE_TIMEOUT", C_INT, OFF(idle_timeout), "60", 1, 86400, "idle connection timeout, s"},
    {"cors_origins", "ARTISTRY_CORS_ORIGINS", C_STR, OFF(cors_origins), "", 0, 0,
     "allowed CORS origins (comma-separated, or *)"},
    {"migrate_on_start", "ARTISTRY_MIGRATE_ON_START", C_BOOL, OFF(migrate_on_start), "true", 0, 0,
     "apply pending migrations when serve starts"},
    {"access_log", "ARTISTRY_ACCESS_LOG", C_BOOL, OFF(access_log), "true", 0, 0, "one JSON line per request"},
    {"job_lease_ms", "ARTISTRY_JOB_LEASE_MS", C_I64, OFF(job_lease_ms), "300000", 100, INT64_C(86400000),
     "how long a claimed job is leased before another worker may retry it"},
    {"job_poll_ms", "ARTISTRY_JOB_POLL_MS", C_I64, OFF(job_poll_ms), "500", 10, 60000, "idle job poll interval"},
    {"job_diagnostics", "ARTISTRY_JOB_DIAGNOSTICS", C_BOOL, OFF(job_diagnostics), "false", 0, 0,
     "register the ops.sleep/ops.fail diagnostic job kinds"},
    {"slow_workers", "ARTISTRY_SLOW_WORKERS", C_INT, OFF(slow_workers), "4", 1, 256,
     "threads for slow work (password hashing, outside calls) taken off request threads"},
    {"slow_queue", "ARTISTRY_SLOW_QUEUE", C_INT, OFF(slow_queue), "64", 1, 100000,
     "slow tasks that may wait before requests get 503"},
    /* identity */
    {"jwt_keys", "ARTISTRY_JWT_KEYS", C_STR, OFF(jwt_keys), "", 0, 0,
     "JWT HS256 keys as kid:secret[,kid:secret]; empty: a generated key kept in data_dir"},
    {"jwt_active_kid", "ARTISTRY_JWT_ACTIVE_KID", C_STR, OFF(jwt_active_kid), "", 0, 0,
     "kid of the key that signs new tokens (default: the first)"},
    {"access_token_ttl", "ARTISTRY_ACCESS_TOKEN_TTL", C_INT, OFF(access_token_ttl), "900", 10, 86400,
     "access token lifetime, s"},
    {"refresh_token_ttl", "ARTISTRY_REFRESH_TOKEN_TTL", C_INT, OFF(refresh_token_ttl), "604800", 60, 31536000,
     "refresh token lifetime, s"},
    {"cookie_secure", "ARTISTRY_COOKIE_SECURE", C_BOOL, OFF(cookie_secure), "true", 0, 0,
     "mark the refresh cookie Secure"},
    {"public_url", "ARTISTRY_PUBLIC_URL", C_STR, OFF(public_url), "http://127.0.0.1:8080", 0, 0,
     "base URL clients use (links in mail, OAuth redirect URIs)"},
    {"mail_from", "ARTISTRY_MAIL_FROM", C_STR, OFF(mail_from), "Artistry Cart <no-reply@artistry.local>", 0, 0,
     "From address of outgoing mail"},
    {"smtp_url", "ARTISTRY_SMTP_URL", C_STR, OFF(smtp_url), "", 0, 0,
     "SMTP server (smtp://host:port); empty: .eml files in the outbox"},
    {"smtp_user", "ARTISTRY_SMTP_USER", C_STR, OFF(smtp_user), "", 0, 0, "SMTP user name"},
    {"smtp_password", "ARTISTRY_SMTP_PASSWORD", C_STR, OFF(smtp_password), "", 0, 0, "SMTP password"},
    {"mail_outbox", "ARTISTRY_MAIL_OUTBOX", C_STR, OFF(mail_outbox), "", 0, 0,
     "directory for .eml files (default: data_dir/outbox)"},
    {"sendgrid_api_key", "ARTISTRY_SENDGRID_API_KEY", C_STR, OFF(sendgrid_api_key), "", 0, 0,
     "SendGrid API key; set: mail goes through SendGrid v3 (takes precedence over smtp_url)"},
    {"sendgrid_api_base", "ARTISTRY_SENDGRID_API_BASE", C_STR, OFF(sendgrid_api_base), "https://api.sendgrid.com", 0,
     0, "SendGrid API base URL"},
    {"sms_provider", "ARTISTRY_SMS_PROVIDER", C_STR, OFF(sms_provider), "outbox", 0, 0,
     "SMS channel: outbox (JSON files in <mail outbox>/sms) or twilio"},
    {"twilio_api_base", "ARTISTRY_TWILIO_API_BASE", C_STR, OFF(twilio_api_base), "https://api.twilio.com", 0, 0,
     "Twilio API base URL"},
    {"twilio_account_sid", "ARTISTRY_TWILIO_ACCOUNT_SID", C_STR, OFF(twilio_account_sid), "", 0, 0,
     "Twilio account SID (AC...)"},
    {"twilio_auth_token", "ARTISTRY_TWILIO_AUTH_TOKEN", C_STR, OFF(twilio_auth_token), "", 0, 0, "Twilio auth token"},
    {"twilio_from", "ARTISTRY_TWILIO_FROM", C_STR, OFF(twilio_from), "", 0, 0, "Twilio sender number (E.164)"},
    {"twilio_messaging_service_sid", "ARTISTRY_TWILIO_MESSAGING_SERVICE_SID", C_STR,
     OFF(twilio_messaging_service_sid), "", 0, 0, "Twilio Messaging Service SID (MG...), used when twilio_from is empty"},
    {"push_provider", "ARTISTRY_PUSH_PROVIDER", C_STR, OFF(push_provider), "outbox", 0, 0,
     "push channel: outbox (JSON files in <mail outbox>/push) or fcm"},
    {"fcm_api_base", "ARTISTRY_FCM_API_BASE", C_STR, OFF(fcm_api_base), "https://fcm.googleapis.com", 0, 0,
     "FCM HTTP v1 API base URL"},
    {"fcm_project_id", "ARTISTRY_FCM_PROJECT_ID", C_STR, OFF(fcm_project_id), "", 0, 0, "Firebase project id"},
    {"fcm_credentials_file", "ARTISTRY_FCM_CREDENTIALS_FILE", C_STR, OFF(fcm_credentials_file), "", 0, 0,
     "Google service-account JSON file (client_email, private_key, token_uri)"},
    {"fcm_token_uri", "ARTISTRY_FCM_TOKEN_URI", C_STR, OFF(fcm_token_uri), "", 0, 0,
     "OAuth2 token endpoint overriding the credentials file's token_uri"},
    {"oauth_google_client_id", "ARTISTRY_OAUTH_GOOGLE_CLIENT_ID", C_STR, OFF(oauth_google_client_id), "", 0, 0, "Google OAuth client id"},
    {"oauth_google_client_secret", "ARTISTRY_OAUTH_GOOGLE_CLIENT_SECRET", C_STR, OFF(oauth_google_client_secret), "", 0, 0, "Google OAuth client secret"},
    {"oauth_google_auth_url", "ARTISTRY_OAUTH_GOOGLE_AUTH_URL", C_STR, OFF(oauth_google_auth_url), "", 0, 0, "Google OAuth authorization endpoint"},
    {"oauth_google_token_url", "ARTISTRY_OAUTH_GOOGLE_TOKEN_URL", C_STR, OFF(oauth_google_token_url), "", 0, 0, "Google OAuth token endpoint"},
    {"oauth_google_jwks_url", "ARTISTRY_OAUTH_GOOGLE_JWKS_URL", C_STR, OFF(oauth_google_jwks_url), "", 0, 0, "Google OAuth JWKS URL"},
    {"oauth_google_issuer", "ARTISTRY_OAUTH_GOOGLE_ISSUER", C_STR, OFF(oauth_google_issuer), "", 0, 0, "Google OAuth expected ID token issuer"},
    {"oauth_apple_client_id", "ARTISTRY_OAUTH_APPLE_CLIENT_ID", C_STR, OFF(oauth_apple_client_id), "", 0, 0, "Apple OAuth client id"},
    {"oauth_apple_client_secret", "ARTISTRY_OAUTH_APPLE_CLIENT_SECRET", C_STR, OFF(oauth_apple_client_secret), "", 0, 0, "Apple OAuth client secret"},
    {"oauth_apple_auth_url", "ARTISTRY_OAUTH_APPLE_AUTH_URL", C_STR, OFF(oauth_apple_auth_url), "", 0, 0, "Apple OAuth authorization endpoint"},
    {"oauth_apple_token_url", "ARTISTRY_OAUTH_APPLE_TOKEN_URL", C_STR, OFF(oauth_apple_token_url), "", 0, 0, "Apple OAuth token endpoint"},
    {"oauth_apple_jwks_url", "ARTISTRY_OAUTH_APPLE_JWKS_URL", C_STR, OFF(oauth_apple_jwks_url), "", 0, 0, "Apple OAuth JWKS URL"},
    {"oauth_apple_issuer", "ARTISTRY_OAUTH_APPLE_ISSUER", C_STR, OFF(oauth_apple_issuer), "", 0, 0, "Apple OAuth expected ID token issuer"},
    {"oauth_facebook_client_id", "ARTISTRY_OAUTH_FACEBOOK_CLIENT_ID", C_STR, OFF(oauth_facebook_client_id), "", 0, 0, "Facebook OAuth client id"},
    {"oauth_facebook_client_secret", "ARTISTRY_OAUTH_FACEBOOK_CLIENT_SECRET", C_STR, OFF(oauth_facebook_client_secret), "", 0, 0, "Facebook OAuth client secret"},
    {"oauth_facebook_auth_url", "ARTISTRY_OAUTH_FACEBOOK_AUTH_URL", C_STR, OFF(oauth_facebook_auth_url), "", 0, 0, "Facebook OAuth authorization endpoint"},
    {"oauth_facebook_token_url", "ARTISTRY_OAUTH_FACEBOOK_TOKEN_URL", C_STR, OFF(oauth_facebook_token_url), "", 0, 0, "Facebook OAuth token endpoint"},
    {"oauth_facebook_jwks_url", "ARTISTRY_OAUTH_FACEBOOK_JWKS_URL", C_STR, OFF(oauth_facebook_jwks_url), "", 0, 0, "Facebook OAuth JWKS URL"},
    {"oauth_facebook_issuer", "ARTISTRY_OAUTH_FACEBOOK_ISSUER", C_STR, OFF(oauth_facebook_issuer), "", 0, 0, "Facebook OAuth expected ID token issuer"},
    {"rate_limits", "ARTISTRY_RATE_LIMITS", C_BOOL, OFF(rate_limits), "true", 0, 0, "enforce per-route rate limits"},
    {"rate_limit_scale", "ARTISTRY_RATE_LIMIT_SCALE", C_INT, OFF(rate_limit_scale), "1", 1, 10000,
     "multiply every rate-limit quota (tests, large deployments)"},
    {"trusted_proxies", "ARTISTRY_TRUSTED_PROXIES", C_STR, OFF(trusted_proxies), "", 0, 0,
     "comma-separated addresses or CIDRs of reverse proxies (e.g. 127.0.0.1/32,10.0.0.0/8); from these peers the "
     "client is the rightmost X-Forwarded-For address that is not itself a trusted proxy; empty: the peer"},
    {"rate_limit_buckets", "ARTISTRY_RATE_LIMIT_BUCKETS", C_INT, OFF(rate_limit_buckets), "100000", 64, 100000000,
     "most rate-limit buckets kept in memory (bounds memory under a flood of addresses)"},
    /* scale-out */
    {"redis_url", "ARTISTRY_REDIS_URL", C_STR, OFF(redis_url), "", 0, 0,
     "Redis for cache, pub/sub and shared rate limits (redis://[:password@]host:port[/db]); empty: in-process"},
    {"redis_timeout_ms", "ARTISTRY_REDIS_TIMEOUT_MS", C_INT, OFF(redis_timeout_ms), "300", 10, 60000,
     "Redis connect and command timeout, ms"},
    {"cache_max_mb", "ARTISTRY_CACHE_MAX_MB", C_INT, OFF(cache_max_mb), "64", 1, 65536,
     "memory bound of the in-process cache, MiB"},
    /* media */
    {"media_dir", "ARTISTRY_MEDIA_DIR", C_STR, OFF(media_dir), "", 0, 0,
     "local media store directory (default: data_dir/media)"},
    {"media_max_upload_bytes", "ARTISTRY_MEDIA_MAX_UPLOAD_BYTES", C_I64, OFF(media_max_upload_bytes), "10485760", 1024,
     INT64_C(1) << 32, "largest uploaded media file, bytes (the request body cap is max_upload)"},
    {"media_max_pixels", "ARTISTRY_MEDIA_MAX_PIXELS", C_I64, OFF(media_max_pixels), "40000000", 1,
     INT64_C(1) << 34, "largest uploaded image, width x height (x frames), checked before decoding"},
    {"s3_endpoint", "ARTISTRY_S3_ENDPOINT", C_STR, OFF(s3_endpoint), "", 0, 0,
     "S3-compatible media store base URL (path-style); empty: local directory"},
    {"s3_bucket", "ARTISTRY_S3_BUCKET", C_STR, OFF(s3_bucket), "", 0, 0, "S3 bucket for media"},
    {"s3_region", "ARTISTRY_S3_REGION", C_STR, OFF(s3_region), "us-east-1", 0, 0, "S3 region (SigV4 scope)"},
    {"s3_access_key", "ARTISTRY_S3_ACCESS_KEY", C_STR, OFF(s3_access_key), "", 0, 0, "S3 access key id"},
    {"s3_secret_key", "ARTISTRY_S3_SECRET_KEY", C_STR, OFF(s3_secret_key), "", 0, 0, "S3 secret access key"},
    /* commerce */
    {"payments_provider", "ARTISTRY_PAYMENTS_PROVIDER", C_STR, OFF(payments_provider), "local", 0, 0,
     "payment processor: local (embedded test processor) or stripe"},
    {"stripe_api_base", "ARTISTRY_STRIPE_API_BASE", C_STR, OFF(stripe_api_base), "https://api.stripe.com", 0, 0,
     "Stripe API base URL"},
    {"stripe_secret_key", "ARTISTRY_STRIPE_SECRET_KEY", C_STR, OFF(stripe_secret_key), "", 0, 0, "Stripe secret key"},
    {"stripe_webhook_secret", "ARTISTRY_STRIPE_WEBHOOK_SECRET", C_STR, OFF(stripe_webhook_secret), "", 0, 0,
     "Stripe webhook signing secret (whsec_...)"},
    {"stripe_webhook_tolerance", "ARTISTRY_STRIPE_WEBHOOK_TOLERANCE", C_INT, OFF(stripe_webhook_tolerance), "300", 1,
     86400, "seconds a signed Stripe webhook stays acceptable"},
    {"commission_bps", "ARTISTRY_COMMISSION_BPS", C_INT, OFF(commission_bps), "1000", 0, 10000,
     "platform commission in basis points when the shop has no own rate"},
    {"checkout_hold_minutes", "ARTISTRY_CHECKOUT_HOLD_MINUTES", C_INT, OFF(checkout_hold_minutes), "30", 1, 10080,
     "minutes an unpaid checkout keeps its stock reserved"},
    {"order_release_days", "ARTISTRY_ORDER_RELEASE_DAYS", C_INT, OFF(order_release_days), "3", 0, 365,
     "days after delivery before an undisputed order's escrow is released"},
    {"milestone_approval_days", "ARTISTRY_MILESTONE_APPROVAL_DAYS", C_INT, OFF(milestone_approval_days), "7", 0, 365,
     "days a buyer has to approve a delivered milestone before it auto-approves"},
    {"payout_min_amount", "ARTISTRY_PAYOUT_MIN_AMOUNT", C_I64, OFF(payout_min_amount), "1000", 1, INT64_C(1) << 40,
     "smallest payout a seller may request, minor units"},
    {"shippo_api_base", "ARTISTRY_SHIPPO_API_BASE", C_STR, OFF(shippo_api_base), "https://api.goshippo.com", 0, 0,
     "Shippo API base URL"},
    {"shippo_token", "ARTISTRY_SHIPPO_TOKEN", C_STR, OFF(shippo_token), "", 0, 0,
     "Shippo API token; empty: seller rate tables only"},
    {"shippo_webhook_token", "ARTISTRY_SHIPPO_WEBHOOK_TOKEN", C_STR, OFF(shippo_webhook_token), "", 0, 0,
     "secret token Shippo tracking webhooks carry in ?token=; empty: the webhook is refused"},
    /* AI vision */
    {"vision_generator", "ARTISTRY_VISION_GENERATOR", C_STR, OFF(vision_generator), "local", 0, 0,
     "concept image generator: local (offline renderer) or openai (any OpenAI-compatible images API)"},
    {"openai_base_url", "ARTISTRY_OPENAI_BASE_URL", C_STR, OFF(openai_base_url), "https://api.openai.com", 0, 0,
     "OpenAI-compatible images API base URL"},
    {"openai_api_key", "ARTISTRY_OPENAI_API_KEY", C_STR, OFF(openai_api_key), "", 0, 0, "images API key"},
    {"openai_model", "ARTISTRY_OPENAI_MODEL", C_STR, OFF(openai_model), "dall-e-3", 0, 0, "images model"},
    {"openai_timeout_ms", "ARTISTRY_OPENAI_TIMEOUT_MS", C_INT, OFF(openai_timeout_ms), "60000", 100, 600000,
     "images API request timeout, ms"},
    {"vision_per_minute", "ARTISTRY_VISION_PER_MINUTE", C_INT, OFF(vision_per_minute), "6", 1, 100000,
     "concept generations a user may start per minute"},
    {"vision_daily_cap", "ARTISTRY_VISION_DAILY_CAP", C_INT, OFF(vision_daily_cap), "100", 1, 1000000,
     "concept images a user may generate per day"},
    {"recs_update_ms", "ARTISTRY_RECS_UPDATE_MS", C_I64, OFF(recs_update_ms), "10000", 100, INT64_C(86400000),
     "how often the recommendation model takes in new purchases, wishlists and views, ms"},
    {"retention_interval_ms", "ARTISTRY_RETENTION_INTERVAL_MS", C_I64, OFF(retention_interval_ms), "300000", 100,
     INT64_C(86400000), "how often expired tokens, old jobs and processed webhook events are deleted, ms"},
    /* real-time */
    {"rt_ping_interval_ms", "ARTISTRY_RT_PING_INTERVAL_MS", C_INT, OFF(rt_ping_interval_ms), "25000", 50, 3600000,
     "Socket.IO: the server pings every connection this often, ms"},
    {"rt_ping_timeout_ms", "ARTISTRY_RT_PING_TIMEOUT_MS", C_INT, OFF(rt_ping_timeout_ms), "20000", 50, 3600000,
     "Socket.IO: a connection with no pong this long after a ping is dropped, ms"},
    {"rt_connect_timeout_ms", "ARTISTRY_RT_CONNECT_TIMEOUT_MS", C_INT, OFF(rt_connect_timeout_ms), "45000", 50,
     3600000, "Socket.IO: a connection with no authenticated CONNECT this long is dropped, ms"},
    {"rt_upgrade_timeout_ms", "ARTISTRY_RT_UPGRADE_TIMEOUT_MS", C_INT, OFF(rt_upgrade_timeout_ms), "10000", 50,
     3600000, "Socket.IO: an upgrade from polling to WebSocket must finish within this, ms"},
    {"rt_max_pending_sessions", "ARTISTRY_RT_MAX_PENDING_SESSIONS", C_INT, OFF(rt_max_pending_sessions), "10000", 1,
     10000000, "Socket.IO: new connections are refused (503) while this many have no authenticated CONNECT yet"},
    /* outbound webhooks */
    {"webhooks_allow_http", "ARTISTRY_WEBHOOKS_ALLOW_HTTP", C_BOOL, OFF(webhooks_allow_http), "false", 0, 0,
     "accept http:// webhook endpoint URLs (local development, tests); otherwise https only"},
    {"webhooks_allow_private", "ARTISTRY_WEBHOOKS_ALLOW_PRIVATE", C_BOOL, OFF(webhooks_allow_private), "false", 0, 0,
     "allow webhook deliveries to loopback, private and link-local addresses (local development, tests)"},
    {"webhooks_retry_schedule", "ARTISTRY_WEBHOOKS_RETRY_SCHEDULE", C_STR, OFF(webhooks_retry_schedule),
     "60,300,1800,7200,21600,43200,86400", 0, 0,
     "waits before each webhook retry, comma-separated retry units; attempts = entries + 1"},
    {"webhooks_retry_unit_ms", "ARTISTRY_WEBHOOKS_RETRY_UNIT_MS", C_INT, OFF(webhooks_retry_unit_ms), "1000", 1,
     3600000, "length of one unit of webhooks_retry_schedule, ms (tests shrink it)"},
    {"webhooks_timeout_ms", "ARTISTRY_WEBHOOKS_TIMEOUT_MS", C_INT, OFF(webhooks_timeout_ms), "10000", 100, 120000,
     "timeout of one webhook delivery attempt, ms"},
    {"webhooks_disable_after", "ARTISTRY_WEBHOOKS_DISABLE_AFTER", C_INT, OFF(webhooks_disable_after), "20", 1,
     100000, "consecutive failed delivery attempts before a webhook endpoint is disabled"},
    {"config", "ARTISTRY_CONFIG", C_STR, OFF(config_file), "", 0, 0, "configuration file"},
};

#define NOPTIONS (sizeof options / sizeof options[0])
_Static_assert(NOPTIONS <= sizeof((struct config *)0)->_alloc / sizeof(char *), "config: grow _alloc");

static char **str_slot(struct config *cfg, const struct option_row *o)
{
    return (char **)((char *)cfg + o->offset);
}

static void set_str(struct config *cfg, const struct option_row *o, const char *v)
{
    size_t idx = (size_t)(o - options);
    free(cfg->_alloc[idx]);
    cfg->_alloc[idx] = xstrdup(v);
    *str_slot(cfg, o) = cfg->_alloc[idx];
}

static int errf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int errf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_i64(const char *v, int64_t *out)
{
    if (*v == '\0')
        return -1;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = n;
    return 0;
}

static int set_value(struct config *cfg, const struct option_row *o, const char *v, const char *src, char *eb,
                     size_t el)
{
    int64_t n;
    switch (o->type) {
    case C_STR:
        set_str(cfg, o, v);
        return 0;
    case C_INT:
    case C_I64:
        if (parse_i64(v, &n) != 0)
            return errf(eb, el, "%s: %s must be an integer, got '%s'", src, o->key, v);
        if (n < o->min || n > o->max)
            return errf(eb, el, "%s: %s must be between %lld and %lld, got %lld", src, o->key, (long long)o->min,
                        (long long)o->max, (long long)n);
        if (o->type == C_INT)
            *(int *)((char *)cfg + o->offset) = (int)n;
        else
            *(int64_t *)((char *)cfg + o->offset) = n;
        return 0;
    case C_BOOL: {
        bool b;
        if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "on"))
            b = true;
        else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off"))
            b = false;
        else
            return errf(eb, el, "%s: %s must be true or false, got '%s'", src, o->key, v);
        *(bool *)((char *)cfg + o->offset) = b;
        return 0;
    }
    case C_LISTEN: {
        const char *colon = strrchr(v, ':');
        if (colon == NULL || colon == v)
            return errf(eb, el, "%s: listen must be host:port, got '%s'", src, v);
        if (parse_i64(colon + 1, &n) != 0 || n < 0 || n > 65535)
            return errf(eb, el, "%s: listen port must be 0-65535, got '%s'", src, colon + 1);
        char host[256];
        size_t hl = (size_t)(colon - v);
        if (hl >= sizeof host)
            return errf(eb, el, "%s: listen host too long", src);
        memcpy(host, v, hl);
        host[hl] = '\0';
        if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
            memmove(host, host + 1, hl - 2);
            host[hl - 2] = '\0';
        }
        set_str(cfg, o, host);
        cfg->listen_port = (int)n;
        return 0;
    }
    }
    return -1;
}

static const struct option_row *find_key(const char *key, size_t len)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strlen(options[i].key) == len && strncmp(options[i].key, key, len) == 0)
            return &options[i];
    return NULL;
}

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char eb[256];
    for (size_t i = 0; i < NOPTIONS; i++)
        if (set_value(cfg, &options[i], options[i].dflt, "default", eb, sizeof eb) != 0) {
            fprintf(stderr, "bad built-in default: %s\n", eb);
            abort();
        }
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < sizeof cfg->_alloc / sizeof cfg->_alloc[0]; i++) {
        free(cfg->_alloc[i]);
        cfg->_alloc[i] = NULL;
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int load_file(struct config *cfg, const char *path, char *eb, size_t el)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return errf(eb, el, "config file %s: %s", path, strerror(errno));
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *s = trim(line);
        if (*s == '\0')
            continue;
        char *eq = strchr(s, '=');
        char src[512];
        snprintf(src, sizeof src, "%s:%d", path, lineno);
        if (eq == NULL) {
            rc = errf(eb, el, "%s: expected key = value", src);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = '\0';
            val++;
        }
        const struct option_row *o = find_key(key, strlen(key));
        if (o == NULL || strcmp(o->key, "config") == 0) {
            rc = errf(eb, el, "%s: unknown setting '%s'", src, key);
            break;
        }
        if ((rc = set_value(cfg, o, val, src, eb, el)) != 0)
            break;
    }
    fclose(f);
    return rc;
}

int config_load(struct config *cfg, int argc, char **argv, char *eb, size_t el)
{
    /* Pass 0: find the config file (flag beats environment). */
    const char *file = getenv("ARTISTRY_CONFIG");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file != NULL && *file != '\0') {
        if (load_file(cfg, file, eb, el) != 0)
            return -1;
        set_str(cfg, find_key("config", 6), file);
    }
    /* Pass 1: environment. */
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (strcmp(options[i].key, "config") == 0)
            continue;
        const char *v = getenv(options[i].env);
        if (v != NULL && set_value(cfg, &options[i], v, options[i].env, eb, el) != 0)
            return -1;
    }
    /* Pass 2: flags. */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0)
            return errf(eb, el, "unexpected argument '%s'", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        char key[64];
        if (nl == 0 || nl >= sizeof key)
            return errf(eb, el, "unknown option '%s'", a);
        for (size_t k = 0; k < nl; k++)
            key[k] = name[k] == '-' ? '_' : name[k];
        key[nl] = '\0';
        const struct option_row *o = find_key(key, nl);
        if (o == NULL)
            return errf(eb, el, "unknown option '--%.*s'", (int)nl, name);
        const char *val;
        if (eq != NULL) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            return errf(eb, el, "option '--%s' needs a value", o->key);
        }
        if (strcmp(o->key, "config") == 0)
            continue;
        char src[80];
        snprintf(src, sizeof src, "--%.*s", (int)nl, name);
        if (set_value(cfg, o, val, src, eb, el) != 0)
            return -1;
    }
    return 0;
}

void config_print_help(void)
{
    printf("options (flag / environment / config-file key, default):\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        char flag[64];
        size_t k;
        for (k = 0; options[i].key[k] && k < sizeof flag - 1; k++)
            flag[k] = options[i].key[k] == '_' ? '-' : options[i].key[k];
        flag[k] = '\0';
        printf("  --%-18s %-28s %s (default: %s)\n", flag, options[i].env, options[i].help,
               *options[i].dflt ? options[i].dflt : "none");
    }
}
