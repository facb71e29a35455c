/*
 * auth_int.h — shared inside src/services/auth only.
 *
 * The route table (auth_routes.c) references handlers and body specs from
 * three areas, each in its own files:
 *   auth_handlers.c, auth_sessions.c, auth_tokens.c, auth_passwords.c:
 *       register, login, logout, refresh, the bearer authenticator
 *   auth_email.c:  forgot/reset password, email verification
 *   auth_oauth.c:  OAuth 2.0 / OpenID Connect sign-in
 */
#ifndef ARTISTRY_SERVICES_AUTH_INT_H
#define ARTISTRY_SERVICES_AUTH_INT_H

#include "http/http.h"

struct app;

/* Core: auth_handlers.c */
extern const struct field_spec auth_register_body[];
extern const struct field_spec auth_login_body[];
extern const struct field_spec auth_refresh_body[];
int auth_handle_register(struct request *req, struct app_error *err);
int auth_handle_login(struct request *req, struct app_error *err);
int auth_handle_logout(struct request *req, struct app_error *err);
int auth_handle_refresh(struct request *req, struct app_error *err);
/** Module init for the core area: keys, the authenticator hook. */
int auth__core_init(struct app *app);
void auth__core_fini(struct app *app);

/* Email flows: auth_email.c */
extern const struct field_spec auth_forgot_body[];
extern const struct field_spec auth_reset_body[];
extern const struct field_spec auth_verify_body[];
extern const struct field_spec auth_resend_body[];
int auth_handle_forgot_password(struct request *req, struct app_error *err);
int auth_handle_reset_password(struct request *req, struct app_error *err);
int auth_handle_verify_email(struct request *req, struct app_error *err);
int auth_handle_resend_verification(struct request *req, struct app_error *err);
/** Module init for the email area (registers mail job kinds). */
int auth__email_init(struct app *app);
/**
 * Issue a new email-verification token for user_id (earlier ones stop
 * working) and queue the mail with its link to email, on db: inside the
 * caller's transaction when one is open, else in a transaction of its own.
 * Fast (no network): call it from registration. 0 or -1 with err set.
 */
struct db;
struct db_error;
int auth_email_enqueue_verification(struct db *db, const char *user_id, const char *email, struct arena *a,
                                    struct db_error *err);

/* OAuth: auth_oauth.c */
extern const struct param_spec auth_oauth_start_params[];
extern const struct param_spec auth_oauth_callback_params[];
int auth_handle_oauth_start(struct request *req, struct app_error *err);
int auth_handle_oauth_callback(struct request *req, struct app_error *err);
/** Module init for the OAuth area. */
int auth__oauth_init(struct app *app);
/** Release the JWKS caches. */
void auth__oauth_fini(struct app *app);

#endif
