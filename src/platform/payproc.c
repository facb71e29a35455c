/*
 * payproc.c — selects the configured payment processor and finds a seller's
 * connected account (see payproc.h).
 *
 * Connected accounts: the local processor opens one on first use
 * (seller_payout_accounts provider 'local', acct_local_<seller id>, active,
 * payouts enabled). With Stripe only an existing active row counts:
 * onboarding sellers to Stripe Connect (account links) is not built, so an
 * operator inserts the row with the seller's acct_… id.
 */
#include "platform/payproc.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/payproc_int.h"

const struct payproc_ops *payproc_get(const struct app *app)
{
    const char *p = app != NULL && app->cfg != NULL ? app->cfg->payments_provider : NULL;
    if (p != NULL && strcmp(p, "stripe") == 0)
        return &payproc__stripe_ops;
    return &payproc__local_ops;
}

void payproc__set(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

int payproc__refused(struct payproc_result *out, const char *code, const char *message)
{
    out->ok = 0;
    out->retryable = 0;
    PAYPROC_SET(out->error_code, code);
    PAYPROC_SET(out->error_message, message);
    return -1;
}

static const char SQL_ACCOUNT_GET[] =
    "SELECT provider, provider_account_id, status FROM seller_payout_accounts WHERE seller_id = $1";
static const char SQL_ACCOUNT_LOCAL[] =
    "INSERT INTO seller_payout_accounts (seller_id, provider, provider_account_id, status, payouts_enabled, "
    "currency, created_at, updated_at) VALUES ($1, 'local', $2, 'active', 1, 'USD', $3, $3) "
    "ON CONFLICT (seller_id) DO NOTHING";

/* 1 found (buf filled when usable), 0 none, -1 error. *usable: active at this provider. */
static int account_row(struct db *db, const char *seller_id, const char *provider, char *buf, size_t cap,
                       int *usable, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, SQL_ACCOUNT_GET, err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(seller_id));
    int rc = db_step(st, err);
    *usable = 0;
    if (rc == 1) {
        *usable = strcmp(db_column_text(st, 0), provider) == 0 && strcmp(db_column_text(st, 2), "active") == 0;
        if (*usable)
            snprintf(buf, cap, "%s", db_column_text(st, 1));
    }
    db_reset(st);
    return rc;
}

int payproc_seller_account(struct app *app, struct db *db, const char *seller_id, char *buf, size_t cap,
                           struct db_error *err)
{
    const struct payproc_ops *ops = payproc_get(app);
    int usable;
    int rc = account_row(db, seller_id, ops->name, buf, cap, &usable, err);
    if (rc < 0)
        return -1;
    if (rc == 0 && strcmp(ops->name, "local") == 0) {
        char acct[96];
        snprintf(acct, sizeof acct, "acct_local_%s", seller_id);
        struct db_param p[] = {DB_TEXT(seller_id), DB_TEXT(acct), DB_I64(time_now_ms())};
        if (db_exec(db, SQL_ACCOUNT_LOCAL, p, 3, err) < 0)
            return -1;
        rc = account_row(db, seller_id, ops->name, buf, cap, &usable, err);
        if (rc < 0)
            return -1;
    }
    return usable ? 0 : 1;
}
