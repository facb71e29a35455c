/*
 * auth_routes.c — the auth service's route table and module.
 */
#include "services/auth/auth.h"

#include "app.h"
#include "services/auth/auth_core_int.h"
#include "services/auth/auth_email_int.h"
#include "services/auth/auth_int.h"
#include "services/auth/auth_oauth_int.h"

static const struct route auth_routes[] = {
    {HTTP_POST, "/api/v1/auth/register", auth_handle_register, AUTH_PUBLIC, NULL, auth_register_body,
     ROUTE_BODY_JSON, "Create a buyer account", "auth_register"},
    {HTTP_POST, "/api/v1/auth/login", auth_handle_login, AUTH_PUBLIC, NULL, auth_login_body, ROUTE_BODY_JSON,
     "Sign in with email and password", "auth_login"},
    {HTTP_POST, "/api/v1/auth/logout", auth_handle_logout, AUTH_USER, NULL, NULL, ROUTE_BODY_JSON,
     "Revoke the current session and access token", NULL},
    {HTTP_POST, "/api/v1/auth/refresh", auth_handle_refresh, AUTH_PUBLIC, NULL, auth_refresh_body,
     ROUTE_BODY_JSON, "Rotate the refresh token and get a new access token", "auth_refresh"},
    {HTTP_POST, "/api/v1/auth/forgot-password", auth_handle_forgot_password, AUTH_PUBLIC, NULL, auth_forgot_body,
     ROUTE_BODY_JSON, "Send a password reset link (never reveals whether the email exists)", "auth_password"},
    {HTTP_POST, "/api/v1/auth/reset-password", auth_handle_reset_password, AUTH_PUBLIC, NULL, auth_reset_body,
     ROUTE_BODY_JSON, "Set a new password with a reset token", "auth_password"},
    {HTTP_POST, "/api/v1/auth/verify-email", auth_handle_verify_email, AUTH_PUBLIC, NULL, auth_verify_body,
     ROUTE_BODY_JSON, "Verify an email address with its token", "auth_password"},
    {HTTP_POST, "/api/v1/auth/verify-email/resend", auth_handle_resend_verification, AUTH_USER, NULL,
     auth_resend_body, ROUTE_BODY_JSON, "Send the verification email again", "auth_password"},
    {HTTP_GET, "/api/v1/auth/oauth/:provider", auth_handle_oauth_start, AUTH_PUBLIC, auth_oauth_start_params, NULL,
     0, "Start OAuth / OpenID Connect sign-in (redirects to the provider)", "auth_login"},
    {HTTP_GET, "/api/v1/auth/oauth/:provider/callback", auth_handle_oauth_callback, AUTH_PUBLIC,
     auth_oauth_callback_params, NULL, 0, "OAuth redirect target: exchanges the code and signs in", "auth_login"},
};

/* Every statement of the three areas, prepared once at start-up (STYLE.md §5). */
static int check_sql(struct app *app)
{
    const char *sql[AUTH_Q__COUNT + AE_Q__COUNT + OAUTH_Q__COUNT];
    size_t n = 0;
    for (int q = 0; q < AUTH_Q__COUNT; q++)
        sql[n++] = auth__sql((enum auth_query)q);
    for (int q = 0; q < AE_Q__COUNT; q++)
        sql[n++] = auth__email_sql((enum auth_email_query)q);
    for (int q = 0; q < OAUTH_Q__COUNT; q++)
        sql[n++] = auth__oauth_sql((enum oauth_query)q);
    return app_check_sql(app, "auth", sql, n);
}

static int auth_init(struct app *app)
{
    if (check_sql(app) != 0 || auth__core_init(app) != 0 || auth__email_init(app) != 0 || auth__oauth_init(app) != 0)
        return -1;
    return 0;
}

static void auth_fini(struct app *app)
{
    auth__oauth_fini(app);
    auth__core_fini(app);
}

const struct service_module auth_module = {
    .name = "auth",
    .routes = auth_routes,
    .nroutes = sizeof auth_routes / sizeof auth_routes[0],
    .init = auth_init,
    .fini = auth_fini,
};
