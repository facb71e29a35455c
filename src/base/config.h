/*
 * config.h — configuration: flags > ARTISTRY_* environment > config file > defaults.
 *
 * Every setting is one row of the table in config.c (key, flag, environment
 * variable, type, default, help) and one field of struct config. The config
 * file holds `key = value` lines; '#' starts a comment. Unknown keys, flags
 * or malformed values are errors that name the offending source.
 */
#ifndef ARTISTRY_BASE_CONFIG_H
#define ARTISTRY_BASE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config {
    char *listen_host;     /* listen = "127.0.0.1:8080" */
    int listen_port;
    char *database;        /* SQLite path or postgres:// URL */
    char *services;        /* comma-separated module names, "all" */
    int threads;           /* HTTP pool threads */
    int job_workers;       /* job worker threads inside serve */
    char *data_dir;
    char *log_level;
    int64_t max_body;      /* bytes, JSON bodies */
    int64_t max_upload;    /* bytes, uploads */
    int max_connections;
    int connection_memory; /* libmicrohttpd's per-connection memory pool, bytes */
    int idle_timeout;      /* seconds */
    char *cors_origins;    /* comma-separated origins, "*" or empty */
    bool migrate_on_start;
    bool access_log;
    int64_t job_lease_ms;
    int64_t job_poll_ms;
    bool job_diagnostics;  /* register the ops.* diagnostic job kinds */
    int slow_workers;      /* threads for slow work taken off request threads */
    int slow_queue;        /* waiting slow tasks before 503 */
    /* identity */
    char *jwt_keys;         /* "kid:secret[,kid:secret...]"; empty: a key kept in data_dir */
    char *jwt_active_kid;   /* kid that signs new tokens; empty: the first */
    int access_token_ttl;   /* seconds */
    int refresh_token_ttl;  /* seconds */
    bool cookie_secure;     /* refresh cookie gets Secure */
    char *public_url;       /* how clients reach us: links in mail, OAuth redirect URIs */
    /* mail */
    char *mail_from;
    char *smtp_url;         /* smtp://host:port or smtps://; empty: write .eml files to the outbox */
    char *smtp_user;
    char *smtp_password;
    char *mail_outbox;      /* empty: data_dir/outbox */
    char *sendgrid_api_key; /* set: mail goes through SendGrid v3 (before smtp_url) */
    char *sendgrid_api_base; /* https://api.sendgrid.com (tests: a local fake) */
    /* SMS and push channels (src/platform/sms.c, push.c); outbox: <mail outbox>/sms, /push */
    char *sms_provider;     /* "outbox" (embedded default) or "twilio" */
    char *twilio_api_base, *twilio_account_sid, *twilio_auth_token, *twilio_from, *twilio_messaging_service_sid;
    char *push_provider;    /* "outbox" (embedded default) or "fcm" */
    char *fcm_api_base, *fcm_project_id, *fcm_credentials_file, *fcm_token_uri;
    /* OAuth / OpenID Connect providers: google, apple, facebook */
    char *oauth_google_client_id, *oauth_google_client_secret, *oauth_google_auth_url, *oauth_google_token_url,
        *oauth_google_jwks_url, *oauth_google_issuer;
    char *oauth_apple_client_id, *oauth_apple_client_secret, *oauth_apple_auth_url, *oauth_apple_token_url,
        *oauth_apple_jwks_url, *oauth_apple_issuer;
    char *oauth_facebook_client_id, *oauth_facebook_client_secret, *oauth_facebook_auth_url,
        *oauth_facebook_token_url, *oauth_facebook_jwks_url, *oauth_facebook_issuer;
    /* rate limits */
    bool rate_limits;       /* enforce the per-route policies */
    int rate_limit_scale;   /* quotas are multiplied by this */
    int rate_limit_buckets; /* bound on in-memory buckets */
    char *trusted_proxies;  /* CIDRs whose X-Forwarded-For names the client ("" none) */
    /* scale-out: cache, pub/sub and shared rate limits */
    char *redis_url;        /* redis://[:password@]host:port[/db]; empty: in-process */
    int redis_timeout_ms;   /* connect and command timeout */
    int cache_max_mb;       /* in-process cache memory bound */
    /* media */
    char *media_dir;              /* local media store; empty: data_dir/media */
    int64_t media_max_upload_bytes; /* one uploaded file, bytes */
    int64_t media_max_pixels;     /* width x height (x frames) of an uploaded image */
    char *s3_endpoint;            /* S3-compatible store (http[s]://host[:port]); empty: local directory */
    char *s3_bucket;
    char *s3_region;
    char *s3_access_key;
    char *s3_secret_key;
    /* commerce: payments, orders, escrow, payouts, shipping */
    char *payments_provider;      /* "local" (embedded test processor) or "stripe" */
    char *stripe_api_base;        /* https://api.stripe.com (tests: a local fake) */
    char *stripe_secret_key;
    char *stripe_webhook_secret;  /* whsec_... */
    int stripe_webhook_tolerance; /* seconds a signed webhook stays acceptable */
    int commission_bps;           /* platform commission when the shop has none, basis points */
    int checkout_hold_minutes;    /* unpaid reservations expire after this */
    int order_release_days;       /* delivered orders release escrow after this unless disputed */
    int milestone_approval_days;  /* delivered milestones auto-approve after this */
    int64_t payout_min_amount;    /* smallest payout, minor units */
    char *shippo_api_base;        /* https://api.goshippo.com */
    char *shippo_token;           /* empty: seller rate tables only */
    char *shippo_webhook_token;   /* ?token= of POST /shipping/webhooks/shippo; empty: refused */
    /* AI vision */
    char *vision_generator;       /* "local" (offline concept renderer) or "openai" */
    char *openai_base_url;        /* any OpenAI-compatible images API */
    char *openai_api_key;
    char *openai_model;
    int openai_timeout_ms;
    int vision_per_minute;        /* generations per user per minute */
    int vision_daily_cap;         /* images per user per day */
    int64_t recs_update_ms;       /* recommendations: the co-occurrence model and trending are updated this often */
    int64_t retention_interval_ms; /* housekeeping deletes run this often */
    /* real-time (src/realtime): Engine.IO heartbeat and Socket.IO connect timeout, ms */
    int rt_ping_interval_ms, rt_ping_timeout_ms, rt_connect_timeout_ms, rt_upgrade_timeout_ms;
    int rt_max_pending_sessions; /* handshakes are refused while this many sessions have no CONNECT */
    /* outbound webhooks (src/services/webhooks) */
    bool webhooks_allow_http;     /* accept http:// endpoint URLs (local dev, tests) */
    bool webhooks_allow_private;  /* allow loopback/private/link-local targets (local dev, tests) */
    char *webhooks_retry_schedule; /* waits between attempts, comma-separated, in retry units */
    int webhooks_retry_unit_ms;   /* one unit of the schedule, ms (1000; tests smaller) */
    int webhooks_timeout_ms;      /* one delivery attempt */
    int webhooks_disable_after;   /* consecutive failed attempts before an endpoint is disabled */
    char *config_file;
    char *_alloc[160];      /* strings owned by this struct, by option row */
};

/** Fill cfg with defaults. */
void config_defaults(struct config *cfg);

/**
 * Apply, in increasing precedence: the config file (from --config, or
 * ARTISTRY_CONFIG), the environment, then the flags in argv[0..argc-1]
 * (long options, "--key value" or "--key=value"). Positional arguments are
 * refused. On error writes a message naming the source into errbuf and
 * returns -1.
 */
int config_load(struct config *cfg, int argc, char **argv, char *errbuf, size_t errlen);

/** Release strings owned by cfg. */
void config_free(struct config *cfg);

/** Print the options table (for --help). */
void config_print_help(void);

#endif
