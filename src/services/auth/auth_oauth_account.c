/*
 * auth_oauth_account.c — OAuth sign-in: from a verified identity to a local
 * account, in one transaction.
 *
 * Order: an identity already linked (provider, sub) signs in its user; else
 * a provider-verified email links onto an existing account whose own email
 * is verified; else a new buyer is created (email verified, no password).
 *
 * Caveats: suspended and closed accounts are reported as outcomes, not
 * errors, so the caller answers them with the right problem.
 */
#include <string.h>

#include "base/arena.h"
#include "base/ids.h"
#include "db/db.h"
#include "services/auth/auth_oauth_int.h"

static enum link_outcome status_outcome(const char *status)
{
    if (status != NULL && strcmp(status, "suspended") == 0)
        return LINK_SUSPENDED;
    if (status == NULL || strcmp(status, "active") != 0)
        return LINK_CLOSED;
    return LINK_OK;
}

static int touch(struct db *db, struct link_ctx *x, struct db_error *dberr)
{
    struct db_param ident[] = {DB_TEXT(x->provider), DB_TEXT(x->id->sub), DB_I64(x->now), DB_TEXT(x->id->email)};
    struct db_param user[] = {DB_TEXT(x->user_id), DB_I64(x->now)};
    if (db_exec(db, auth__oauth_sql(OAUTH_Q_IDENTITY_TOUCH), ident, 4, dberr) < 0 ||
        db_exec(db, auth__oauth_sql(OAUTH_Q_USER_TOUCH), user, 2, dberr) < 0)
        return -1;
    return 0;
}

static int insert_identity(struct db *db, struct link_ctx *x, struct db_error *dberr)
{
    struct db_param p[] = {DB_TEXT(id_new(x->arena, "oid")),
                           DB_TEXT(x->user_id),
                           DB_TEXT(x->provider),
                           DB_TEXT(x->id->sub),
                           DB_TEXT(x->id->email),
                           DB_I64(x->now)};
    return db_exec(db, auth__oauth_sql(OAUTH_Q_IDENTITY_INSERT), p, 6, dberr) < 0 ? -1 : 0;
}

int auth__oauth_link_tx(struct db *db, void *vctx, struct db_error *dberr)
{
    struct link_ctx *x = vctx;
    int r;
    x->outcome = LINK_OK;
    x->user_id = NULL;

    /* 1. A known identity. */
    struct db_stmt *st = db_prepare(db, auth__oauth_sql(OAUTH_Q_IDENTITY_FIND), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(x->provider));
    db_bind(st, 2, DB_TEXT(x->id->sub));
    if ((r = db_step(st, dberr)) < 0)
        return -1;
    if (r == 1) {
        x->user_id = arena_strdup(x->arena, db_column_text(st, 0));
        x->outcome = status_outcome(db_column_text(st, 1));
        db_reset(st);
        return x->outcome == LINK_OK ? touch(db, x, dberr) : 0;
    }
    db_reset(st);

    /* 2. Nothing is created or linked on an address the provider has not verified. */
    if (!x->id->email_verified) {
        x->outcome = LINK_NO_VERIFIED_EMAIL;
        return 0;
    }

    /* 3. An account with this (verified) email. */
    if ((st = db_prepare(db, auth__oauth_sql(OAUTH_Q_USER_BY_EMAIL), dberr)) == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(x->id->email_normalized));
    if ((r = db_step(st, dberr)) < 0)
        return -1;
    if (r == 1) {
        x->user_id = arena_strdup(x->arena, db_column_text(st, 0));
        x->outcome = status_outcome(db_column_text(st, 1));
        bool local_verified = !db_column_is_null(st, 2);
        db_reset(st);
        if (x->outcome != LINK_OK)
            return 0;
        if (!local_verified) {
            x->outcome = LINK_LOCAL_UNVERIFIED;
            return 0;
        }
        return insert_identity(db, x, dberr) != 0 ? -1 : touch(db, x, dberr);
    }
    db_reset(st);

    /* 4. A new buyer. */
    x->user_id = id_new(x->arena, "usr");
    struct db_param u[] = {DB_TEXT(x->user_id), DB_TEXT(x->id->email), DB_TEXT(x->id->email_normalized), DB_I64(x->now),
                           DB_TEXT(x->id->name)};
    if (db_exec(db, auth__oauth_sql(OAUTH_Q_USER_INSERT), u, 5, dberr) < 0)
        return -1;
    return insert_identity(db, x, dberr);
}

