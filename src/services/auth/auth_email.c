/*
 * auth_email.c — password reset and email verification.
 *
 *   POST /auth/forgot-password {email}       → 202, same answer whether or not the account exists
 *   POST /auth/reset-password {token, password} → 204
 *   POST /auth/verify-email {token}          → 204
 *   POST /auth/verify-email/resend {}        → 202 (mail queued) or 200 (already verified)
 *
 * Tokens: 256 random bits, base64url without padding (43 characters), sent
 * only inside the emailed link <public_url>/reset-password?token=… or
 * …/verify-email?token=…. The database keeps only the hex SHA-256 of the
 * token (auth_tokens.token_hash), so a database leak reveals no usable link;
 * a plain hash suffices (no salt, no slow hash) because the token carries
 * 256 bits of entropy. Each token has one purpose, expires (reset: 30 min,
 * verification: 24 h) and is consumed by one conditional UPDATE ... WHERE
 * used_at IS NULL AND expires_at > now RETURNING, so of two concurrent uses
 * exactly one wins. Issuing a token marks every earlier unused token of the
 * same user and purpose used: only the newest link works.
 *
 * Mail goes through the "mail.send" job (platform/mailer.h), enqueued in
 * the same transaction as the token, so a token exists if and only if its
 * mail is queued. The job payload holds the link (it has to: the raw token
 * exists nowhere else); the mailer overwrites the payload once the mail is
 * delivered or finally failed, so the link stays in the jobs table only
 * while the mail is in flight, never longer than the token lives anyway.
 *
 * Forgot-password reveals nothing: the answer is the same, and the same
 * work is done (token generated and hashed, the user looked up, earlier
 * tokens invalidated — for an unknown email an UPDATE that matches no row —
 * and a commit) whether or not the account exists. Only an existing, active
 * account gets the token row and the mail job: two INSERTs in an already
 * open transaction, microseconds against network jitter of milliseconds.
 *
 * Reset-password checks the token and the password policy on the request
 * thread (cheap, so bad tokens never reach the hashing pool), then hashes on
 * the slow-work pool (req_offload) and, in one transaction there: consumes
 * the token, sets the password (which also marks the email verified: the
 * link proved the user reads that mailbox), invalidates other reset tokens,
 * revokes every session (auth_revoke_all_sessions) and queues a "password
 * changed" notice.
 *
 * Caveats:
 *   - auth_email_enqueue_verification() needs public_url, so auth__email_init
 *     keeps the configuration pointer (written once before the server starts,
 *     read-only after), as the core area keeps its struct auth_core.
 *   - A verification token does not record the address it was sent to:
 *     whoever changes a user's email must invalidate outstanding
 *     'email_verification' tokens (email change has its own purpose).
 */
#include <sodium.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/events.h"
#include "platform/jobs.h"
#include "platform/mailer.h"
#include "services/auth/auth.h"
#include "services/auth/auth_core_int.h"
#include "services/auth/auth_email_int.h"
#include "services/auth/auth_int.h"

#define RESET_TTL_MS (30LL * 60 * 1000)
#define VERIFY_TTL_MS (24LL * 60 * 60 * 1000)
#define TOKEN_BYTES 32
#define TOKEN_B64_LEN 43 /* base64url of 32 bytes, no padding */
#define TOKEN_HASH_LEN 64
#define TX_ATTEMPTS 3
#define PASSWORD_HASH_CAP 256

static const char PURPOSE_RESET[] = "password_reset";
static const char PURPOSE_VERIFY[] = "email_verification";

/* Configuration of this process, for links in mail (see Caveats). */
static const struct config *email_cfg;

const struct field_spec auth_forgot_body[] = {
    {.name = "email", .type = VT_EMAIL, .required = true, .max = 254},
    {0},
};
const struct field_spec auth_reset_body[] = {
    {.name = "token", .type = VT_STRING, .required = true, .min = 1, .max = 128},
    {.name = "password", .type = VT_STRING, .required = true, .min = 1, .max = 1024},
    {0},
};
const struct field_spec auth_verify_body[] = {
    {.name = "token", .type = VT_STRING, .required = true, .min = 1, .max = 128},
    {0},
};
const struct field_spec auth_resend_body[] = {{0}};

/*-----------------------------------------------------------------------------
 * Tokens and mail
 */

/* Hex SHA-256 of the token text into hex (TOKEN_HASH_LEN + 1 bytes). */
static void token_hash(const char *token, char *hex)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hex, TOKEN_HASH_LEN + 1, h, sizeof h);
}

/* A new token (TOKEN_B64_LEN + 1 bytes) and its hash. */
static void token_new(char *token, char *hex)
{
    unsigned char raw[TOKEN_BYTES];
    random_bytes(raw, sizeof raw);
    sodium_bin2base64(token, TOKEN_B64_LEN + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    token_hash(token, hex);
}

/* public_url without a trailing slash, in the arena. */
static const char *base_url(struct arena *a)
{
    const char *u = email_cfg != NULL && email_cfg->public_url != NULL ? email_cfg->public_url : "";
    size_t n = strlen(u);
    while (n > 0 && u[n - 1] == '/')
        n--;
    return arena_strndup(a, u, n);
}

static int invalidate_tokens(struct db *db, const char *user_id, const char *purpose, int64_t now,
                             struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(user_id), DB_TEXT(purpose), DB_I64(now)};
    return db_exec(db, auth__email_sql(AE_Q_TOKENS_INVALIDATE), p, 3, err) < 0 ? -1 : 0;
}

static int insert_token(struct db *db, struct arena *a, const char *user_id, const char *purpose, const char *hash,
                        int64_t expires_at, int64_t now, struct db_error *err)
{
    const char *id = id_new(a, "tok");
    struct db_param p[] = {DB_TEXT(id),   DB_TEXT(user_id),    DB_TEXT(purpose),
                           DB_TEXT(hash), DB_I64(expires_at), DB_I64(now)};
    return db_exec(db, auth__email_sql(AE_Q_TOKEN_INSERT), p, 6, err) < 0 ? -1 : 0;
}

static int queue_mail(struct db *db, const char *to, const char *subject, const char *text, struct db_error *err)
{
    struct mail m = {.to = to, .subject = subject, .text = text};
    return mailer_enqueue(db, &m, err);
}

static int queue_reset_mail(struct db *db, struct arena *a, const char *to, const char *token, struct db_error *err)
{
    const char *text = arena_sprintf(
        a,
        "Hello,\n\n"
        "Someone (hopefully you) asked to reset the password of the Artistry Cart account for this address.\n"
        "Open this link within 30 minutes to choose a new password:\n\n"
        "%s/reset-password?token=%s\n\n"
        "The link works once. If you did not ask for it, ignore this email: your password stays as it is.\n\n"
        "Artistry Cart\n",
        base_url(a), token);
    return queue_mail(db, to, "Reset your Artistry Cart password", text, err);
}

static int queue_changed_mail(struct db *db, struct arena *a, const char *to, int64_t now, struct db_error *err)
{
    char when[40];
    time_format_rfc3339(now, when, sizeof when);
    const char *text = arena_sprintf(
        a,
        "Hello,\n\n"
        "The password of your Artistry Cart account was changed at %s (UTC), and every device signed in to it\n"
        "was signed out.\n\n"
        "If this was you, there is nothing more to do. If it was not, reset your password now at\n"
        "%s/forgot-password and contact our support.\n\n"
        "Artistry Cart\n",
        when, base_url(a));
    return queue_mail(db, to, "Your Artistry Cart password was changed", text, err);
}

static int queue_verify_mail(struct db *db, struct arena *a, const char *to, const char *token, struct db_error *err)
{
    const char *text = arena_sprintf(a,
                                     "Hello,\n\n"
                                     "Please confirm that this is your email address for Artistry Cart by opening\n"
                                     "this link within 24 hours:\n\n"
                                     "%s/verify-email?token=%s\n\n"
                                     "If you did not create an account, ignore this email.\n\n"
                                     "Artistry Cart\n",
                                     base_url(a), token);
    return queue_mail(db, to, "Confirm your email address", text, err);
}

/*
 * Step a statement expected to return at most one row with one text column
 * (SELECT or UPDATE ... RETURNING), copying it into *out (NULL when no row).
 * The statement is stepped to its end so SQLite finishes the write. 0 or -1.
 */
static int one_text(struct db_stmt *st, struct arena *a, const char **out, struct db_error *err)
{
    *out = NULL;
    int rc = db_step(st, err);
    if (rc == 1) {
        *out = arena_strdup(a, db_column_text(st, 0));
        rc = db_step(st, err);
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Consume a token (one conditional UPDATE); *user_id NULL when it is not usable. */
static int consume_token(struct db *db, struct arena *a, const char *hash, const char *purpose, int64_t now,
                         const char **user_id, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, auth__email_sql(AE_Q_TOKEN_CONSUME), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(hash));
    db_bind(st, 2, DB_TEXT(purpose));
    db_bind(st, 3, DB_I64(now));
    return one_text(st, a, user_id, err);
}

static int invalid_token(struct request *req, struct app_error *err)
{
    return app_error_set(err, req->arena, "invalid_or_expired_token",
                         "this link is invalid, has already been used or has expired; ask for a new one");
}

/*-----------------------------------------------------------------------------
 * Verification mail (also called by registration)
 */

struct verify_issue {
    struct arena *a;
    const char *user_id, *email;
};

static int issue_verification_tx(struct db *db, void *vctx, struct db_error *err)
{
    struct verify_issue *c = vctx;
    char token[TOKEN_B64_LEN + 1], hash[TOKEN_HASH_LEN + 1];
    int64_t now = time_now_ms();
    int ret = -1;

    token_new(token, hash);
    if (invalidate_tokens(db, c->user_id, PURPOSE_VERIFY, now, err) != 0 ||
        insert_token(db, c->a, c->user_id, PURPOSE_VERIFY, hash, now + VERIFY_TTL_MS, now, err) != 0 ||
        queue_verify_mail(db, c->a, c->email, token, err) != 0)
        goto out;
    ret = 0;
out:
    sodium_memzero(token, sizeof token);
    return ret;
}

int auth_email_enqueue_verification(struct db *db, const char *user_id, const char *email, struct arena *a,
                                    struct db_error *err)
{
    struct verify_issue c = {.a = a, .user_id = user_id, .email = email};
    if (db_in_tx(db))
        return issue_verification_tx(db, &c, err);
    return db_tx(db, TX_ATTEMPTS, issue_verification_tx, &c, err);
}

/*-----------------------------------------------------------------------------
 * POST /auth/forgot-password
 */

struct forgot {
    struct arena *a;
    const char *email_norm;
    const char *token, *hash;
    int64_t now;
};

static int forgot_tx(struct db *db, void *vctx, struct db_error *err)
{
    struct forgot *c = vctx;
    const char *user_id = NULL, *email = NULL;
    bool active = false;

    struct db_stmt *st = db_prepare(db, auth__email_sql(AE_Q_USER_BY_EMAIL), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(c->email_norm));
    int rc = db_step(st, err);
    if (rc == 1) {
        user_id = arena_strdup(c->a, db_column_text(st, 0));
        email = arena_strdup(c->a, db_column_text(st, 1));
        const char *status = db_column_text(st, 2);
        active = status != NULL && strcmp(status, "active") == 0;
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    /* The same statement runs for unknown emails (matching no row): see the file header. */
    if (invalidate_tokens(db, active ? user_id : "", PURPOSE_RESET, c->now, err) != 0)
        return -1;
    if (!active)
        return 0;
    if (insert_token(db, c->a, user_id, PURPOSE_RESET, c->hash, c->now + RESET_TTL_MS, c->now, err) != 0)
        return -1;
    return queue_reset_mail(db, c->a, email, c->token, err);
}

int auth_handle_forgot_password(struct request *req, struct app_error *err)
{
    char token[TOKEN_B64_LEN + 1], hash[TOKEN_HASH_LEN + 1];
    struct db_error dberr = {0};
    int ret = -1;

    const char *email = json_string_value(json_object_get(req->json, "email"));
    token_new(token, hash);
    struct forgot c = {
        .a = req->arena,
        .email_norm = auth_email_normalize(email, req->arena),
        .token = token,
        .hash = hash,
        .now = time_now_ms(),
    };
    if (db_tx(req->db, TX_ATTEMPTS, forgot_tx, &c, &dberr) != 0) {
        ret = req_db_error(req, &dberr, err);
        goto out;
    }
    res_json(req, 202,
             json_pack("{s:s, s:s}", "status", "accepted", "message",
                       "If an account exists for this address, a link to reset its password is on its way."));
    ret = 0;
out:
    sodium_memzero(token, sizeof token);
    return ret;
}

/*-----------------------------------------------------------------------------
 * POST /auth/reset-password
 */

struct reset {
    struct arena *a;
    const char *hash, *password_hash;
    int64_t now;
    bool invalid;
};

static int reset_tx(struct db *db, void *vctx, struct db_error *err)
{
    struct reset *c = vctx;
    const char *user_id, *email;

    c->invalid = false;
    if (consume_token(db, c->a, c->hash, PURPOSE_RESET, c->now, &user_id, err) != 0)
        return -1;
    if (user_id == NULL)
        goto invalid; /* used or expired meanwhile: a concurrent reset won */
    struct db_stmt *st = db_prepare(db, auth__email_sql(AE_Q_USER_SET_PASSWORD), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(user_id));
    db_bind(st, 2, DB_TEXT(c->password_hash));
    db_bind(st, 3, DB_I64(c->now));
    if (one_text(st, c->a, &email, err) != 0)
        return -1;
    if (email == NULL)
        goto invalid; /* suspended or deleted since the link was sent */
    if (invalidate_tokens(db, user_id, PURPOSE_RESET, c->now, err) != 0 ||
        auth_revoke_all_sessions(db, user_id, "password_change", err) != 0 || queue_changed_mail(db, c->a, email, c->now, err) != 0)
        return -1;
    json_t *ev = json_pack("{s:s}", "user_id", user_id); /* notifications: in-app security notice */
    int erc = events_emit(db, "password.changed", ev, err);
    json_decref(ev);
    return erc;
invalid:
    c->invalid = true;
    memset(err, 0, sizeof *err); /* kind NONE: db_tx rolls back without retrying */
    return -1;
}

/* On the slow-work pool: hash, then the whole change in one transaction. */
static int reset_slow(struct request *req, struct app_error *err)
{
    char phash[PASSWORD_HASH_CAP], hash[TOKEN_HASH_LEN + 1];
    struct db_error dberr = {0};
    int ret = -1;

    const char *token = json_string_value(json_object_get(req->json, "token"));
    const char *password = json_string_value(json_object_get(req->json, "password"));
    token_hash(token, hash);
    if (auth_password_hash(password, phash, sizeof phash) != 0) {
        ret = app_error_set(err, req->arena, "internal_error", "the password could not be stored");
        goto out;
    }
    struct reset c = {.a = req->arena, .hash = hash, .password_hash = phash, .now = time_now_ms()};
    if (db_tx(req->db, TX_ATTEMPTS, reset_tx, &c, &dberr) != 0) {
        ret = c.invalid ? invalid_token(req, err) : req_db_error(req, &dberr, err);
        goto out;
    }
    res_empty(req, 204);
    ret = 0;
out:
    sodium_memzero(phash, sizeof phash);
    return ret;
}

int auth_handle_reset_password(struct request *req, struct app_error *err)
{
    char hash[TOKEN_HASH_LEN + 1];
    struct db_error dberr = {0};

    const char *token = json_string_value(json_object_get(req->json, "token"));
    const char *password = json_string_value(json_object_get(req->json, "password"));
    token_hash(token, hash);
    /* Cheap checks here, so only a usable token with a good password costs a hash. */
    struct db_stmt *st = db_prepare(req->db, auth__email_sql(AE_Q_TOKEN_PEEK), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(hash));
    db_bind(st, 2, DB_TEXT(PURPOSE_RESET));
    db_bind(st, 3, DB_I64(time_now_ms()));
    int rc = db_step(st, &dberr);
    const char *email = rc == 1 ? arena_strdup(req->arena, db_column_text(st, 1)) : NULL;
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (email == NULL)
        return invalid_token(req, err);
    if (auth_password_policy(password, email, "password", err, req->arena) != 0) {
        if (err->code == NULL)
            app_error_set(err, req->arena, "validation_failed", "the new password does not meet the password policy");
        return -1;
    }
    return req_offload(req, reset_slow, err);
}

/*-----------------------------------------------------------------------------
 * POST /auth/verify-email
 */

struct verify {
    struct arena *a;
    const char *hash;
    int64_t now;
    bool invalid;
};

static int verify_tx(struct db *db, void *vctx, struct db_error *err)
{
    struct verify *c = vctx;
    const char *user_id;

    c->invalid = false;
    if (consume_token(db, c->a, c->hash, PURPOSE_VERIFY, c->now, &user_id, err) != 0)
        return -1;
    if (user_id == NULL)
        goto invalid;
    struct db_param p[] = {DB_TEXT(user_id), DB_I64(c->now)};
    int64_t n = db_exec(db, auth__email_sql(AE_Q_USER_VERIFY), p, 2, err);
    if (n < 0)
        return -1;
    if (n == 0)
        goto invalid; /* suspended or deleted */
    return invalidate_tokens(db, user_id, PURPOSE_VERIFY, c->now, err);
invalid:
    c->invalid = true;
    memset(err, 0, sizeof *err);
    return -1;
}

int auth_handle_verify_email(struct request *req, struct app_error *err)
{
    char hash[TOKEN_HASH_LEN + 1];
    struct db_error dberr = {0};

    token_hash(json_string_value(json_object_get(req->json, "token")), hash);
    struct verify c = {.a = req->arena, .hash = hash, .now = time_now_ms()};
    if (db_tx(req->db, TX_ATTEMPTS, verify_tx, &c, &dberr) != 0)
        return c.invalid ? invalid_token(req, err) : req_db_error(req, &dberr, err);
    res_empty(req, 204);
    return 0;
}

/*-----------------------------------------------------------------------------
 * POST /auth/verify-email/resend
 */

struct resend {
    struct arena *a;
    const char *user_id;
    bool found, verified;
};

static int resend_tx(struct db *db, void *vctx, struct db_error *err)
{
    struct resend *c = vctx;
    const char *email = NULL;

    c->found = c->verified = false;
    struct db_stmt *st = db_prepare(db, auth__email_sql(AE_Q_USER_BY_ID), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(c->user_id));
    int rc = db_step(st, err);
    if (rc == 1) {
        const char *status = db_column_text(st, 1);
        c->found = status != NULL && strcmp(status, "active") == 0;
        c->verified = !db_column_is_null(st, 2);
        email = arena_strdup(c->a, db_column_text(st, 0));
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (!c->found || c->verified)
        return 0;
    return issue_verification_tx(db, &(struct verify_issue){.a = c->a, .user_id = c->user_id, .email = email},
                                 err);
}

int auth_handle_resend_verification(struct request *req, struct app_error *err)
{
    struct db_error dberr = {0};
    struct resend c = {.a = req->arena, .user_id = req->user_id};
    if (db_tx(req->db, TX_ATTEMPTS, resend_tx, &c, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (!c.found)
        return app_error_set(err, req->arena, "unauthenticated", "the account is not active");
    if (c.verified) {
        res_json(req, 200, json_pack("{s:b, s:b}", "email_verified", 1, "sent", 0));
        return 0;
    }
    res_json(req, 202, json_pack("{s:b, s:b}", "email_verified", 0, "sent", 1));
    return 0;
}

/*-----------------------------------------------------------------------------
 * Init
 */

int auth__email_init(struct app *app)
{
    if (sodium_init() < 0) {
        log_error("auth email: libsodium failed to initialise", NULL);
        return -1;
    }
    email_cfg = app->cfg;
    mailer_register_jobs(app->jobs);
    return 0;
}
