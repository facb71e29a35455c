/*
 * ledger.c — the double-entry ledger (see ledger.h for the chart of
 * accounts and the movements).
 */
#include "platform/ledger.h"

#include <stdio.h>
#include <string.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"

struct account_kind {
    const char *fmt;  /* code format: owner (when per-user) then currency */
    const char *type; /* ledger_accounts.type */
    int per_user;
    int may_go_negative;
};

static const struct account_kind kinds[] = {
    [LEDGER_CASH] = {"platform:cash:%s", "asset", 0, 1},
    [LEDGER_ESCROW] = {"platform:escrow:%s", "liability", 0, 0},
    [LEDGER_FEES] = {"platform:fees:%s", "revenue", 0, 0},
    [LEDGER_PAYOUTS] = {"platform:payouts:%s", "liability", 0, 0},
    [LEDGER_BUYER_FUNDS] = {"buyer:%s:funds:%s", "liability", 1, 0},
    [LEDGER_SELLER_PENDING] = {"seller:%s:pending:%s", "liability", 1, 0},
    [LEDGER_SELLER_AVAILABLE] = {"seller:%s:available:%s", "liability", 1, 1},
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

static int debit_positive(enum ledger_account a)
{
    return strcmp(kinds[a].type, "asset") == 0;
}

char *ledger_account_code(enum ledger_account account, const char *owner_id, const char *currency, char *buf,
                          size_t cap)
{
    if ((size_t)account >= NKINDS || currency == NULL || strlen(currency) != 3)
        return NULL;
    int n;
    if (kinds[account].per_user) {
        if (owner_id == NULL || owner_id[0] == '\0')
            return NULL;
        n = snprintf(buf, cap, kinds[account].fmt, owner_id, currency);
    } else {
        n = snprintf(buf, cap, kinds[account].fmt, currency);
    }
    return n > 0 && (size_t)n < cap ? buf : NULL;
}

static const char sql_account_get[] = "SELECT id FROM ledger_accounts WHERE code = $1";
static const char sql_account_add[] =
    "INSERT INTO ledger_accounts (id, code, type, currency, owner_id, may_go_negative, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING";
static const char sql_txn_add[] =
    "INSERT INTO ledger_transactions (id, kind, description, reference_type, reference_id, idempotency_key, "
    "created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING";
static const char sql_entry_add[] =
    "INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, currency, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";
static const char sql_balance_add[] = "UPDATE ledger_accounts SET balance = balance + $2 WHERE id = $1";

/* The id of the account, created on first use. 0 or -1. */
static int account_id(struct db *tx, enum ledger_account a, const char *owner, const char *currency, char *id,
                      struct db_error *err)
{
    char code[160];
    if (ledger_account_code(a, owner, currency, code, sizeof code) == NULL) {
        err->kind = DB_E_OTHER;
        snprintf(err->msg, sizeof err->msg, "ledger: bad account");
        return -1;
    }
    for (int pass = 0; pass < 2; pass++) {
        struct db_stmt *st = db_prepare(tx, sql_account_get, err);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(code));
        int rc = db_step(st, err);
        if (rc == 1)
            snprintf(id, ID_MAX_LEN, "%s", db_column_text(st, 0));
        db_reset(st);
        if (rc < 0)
            return -1;
        if (rc == 1)
            return 0;
        if (pass == 1)
            break;
        char nid[ID_MAX_LEN];
        id_generate("lac", nid, sizeof nid);
        struct db_param p[] = {DB_TEXT(nid),
                               DB_TEXT(code),
                               DB_TEXT(kinds[a].type),
                               DB_TEXT(currency),
                               DB_TEXT(kinds[a].per_user ? owner : NULL),
                               DB_I64(kinds[a].may_go_negative),
                               DB_I64(time_now_ms())};
        if (db_exec(tx, sql_account_add, p, 7, err) < 0)
            return -1;
    }
    err->kind = DB_E_OTHER;
    snprintf(err->msg, sizeof err->msg, "ledger: account %s vanished", code);
    return -1;
}

static int valid(const struct ledger_ref *ref, const struct ledger_line *lines, int n)
{
    if (ref == NULL || ref->idem_key == NULL || ref->idem_key[0] == '\0' || ref->kind == NULL ||
        ref->currency == NULL || strlen(ref->currency) != 3 || n < 2)
        return 0;
    int64_t debits = 0, credits = 0;
    for (int i = 0; i < n; i++) {
        const struct ledger_line *l = &lines[i];
        if ((size_t)l->account >= NKINDS || l->debit < 0 || l->credit < 0 || (l->debit > 0) == (l->credit > 0))
            return 0;
        if (kinds[l->account].per_user && (l->owner_id == NULL || l->owner_id[0] == '\0'))
            return 0;
        if (l->debit > INT64_MAX - debits || l->credit > INT64_MAX - credits)
            return 0;
        debits += l->debit;
        credits += l->credit;
    }
    return debits == credits;
}

int ledger_post(struct db *tx, const struct ledger_ref *ref, const struct ledger_line *lines, int n,
                struct db_error *err)
{
    if (!valid(ref, lines, n)) {
        log_error("ledger: invalid posting (a bug in the caller)", "idem_key=%s",
                  ref && ref->idem_key ? ref->idem_key : "");
        err->kind = DB_E_OTHER;
        snprintf(err->msg, sizeof err->msg, "ledger: invalid posting");
        return LEDGER_INVALID;
    }
    int64_t now = time_now_ms();
    char txid[ID_MAX_LEN];
    id_generate("ltx", txid, sizeof txid);
    struct db_param tp[] = {DB_TEXT(txid),
                            DB_TEXT(ref->kind),
                            DB_TEXT(ref->description ? ref->description : ""),
                            DB_TEXT(ref->ref_type),
                            DB_TEXT(ref->ref_id),
                            DB_TEXT(ref->idem_key),
                            DB_TEXT(ref->actor_id),
                            DB_I64(now)};
    int64_t added = db_exec(tx, sql_txn_add, tp, 8, err);
    if (added < 0)
        return LEDGER_ERR;
    if (added == 0)
        return LEDGER_DUPLICATE;
    for (int i = 0; i < n; i++) {
        const struct ledger_line *l = &lines[i];
        char acct[ID_MAX_LEN], eid[ID_MAX_LEN];
        if (account_id(tx, l->account, l->owner_id, ref->currency, acct, err) < 0)
            return LEDGER_ERR;
        int debit = l->debit > 0;
        int64_t amount = debit ? l->debit : l->credit;
        id_generate("len", eid, sizeof eid);
        struct db_param ep[] = {DB_TEXT(eid),  DB_TEXT(txid),          DB_TEXT(acct),  DB_TEXT(debit ? "debit" : "credit"),
                                DB_I64(amount), DB_TEXT(ref->currency), DB_I64(now)};
        if (db_exec(tx, sql_entry_add, ep, 7, err) < 0)
            return LEDGER_ERR;
        int64_t delta = debit == debit_positive(l->account) ? amount : -amount;
        struct db_param bp[] = {DB_TEXT(acct), DB_I64(delta)};
        if (db_exec(tx, sql_balance_add, bp, 2, err) < 0)
            return LEDGER_ERR;
    }
    return LEDGER_OK;
}

int ledger_balance(struct db *db, enum ledger_account account, const char *owner_id, const char *currency,
                   int64_t *out, struct db_error *err)
{
    static const char sql[] = "SELECT balance FROM ledger_accounts WHERE code = $1";
    char code[160];
    *out = 0;
    if (ledger_account_code(account, owner_id, currency, code, sizeof code) == NULL) {
        err->kind = DB_E_OTHER;
        snprintf(err->msg, sizeof err->msg, "ledger: bad account");
        return -1;
    }
    struct db_stmt *st = db_prepare(db, sql, err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(code));
    int rc = db_step(st, err);
    if (rc == 1)
        *out = db_column_i64(st, 0);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

int64_t ledger_fee(int64_t gross, int bps)
{
    if (gross <= 0 || bps <= 0)
        return 0;
    if (bps >= 10000)
        return gross;
    /* gross * bps may overflow for huge amounts: split the product. */
    return (gross / 10000) * bps + ((gross % 10000) * bps) / 10000;
}

/*-----------------------------------------------------------------------------
 * Movements
 */

static int post(struct db *tx, const struct ledger_ref *ref, const char *kind, const struct ledger_line *lines, int n,
                struct db_error *err)
{
    struct ledger_ref r = *ref;
    if (r.kind == NULL)
        r.kind = kind;
    return ledger_post(tx, &r, lines, n, err);
}

int ledger_capture(struct db *tx, const struct ledger_ref *ref, const char *buyer_id, int64_t amount,
                   struct db_error *err)
{
    struct ledger_line l[] = {{LEDGER_CASH, NULL, amount, 0}, {LEDGER_BUYER_FUNDS, buyer_id, 0, amount}};
    return post(tx, ref, "payment", l, 2, err);
}

int ledger_escrow_hold(struct db *tx, const struct ledger_ref *ref, const char *buyer_id, int64_t amount,
                       struct db_error *err)
{
    struct ledger_line l[] = {{LEDGER_BUYER_FUNDS, buyer_id, amount, 0}, {LEDGER_ESCROW, NULL, 0, amount}};
    return post(tx, ref, "escrow_hold", l, 2, err);
}

int ledger_refund_unallocated(struct db *tx, const struct ledger_ref *ref, const char *buyer_id, int64_t amount,
                              struct db_error *err)
{
    struct ledger_line l[] = {{LEDGER_BUYER_FUNDS, buyer_id, amount, 0}, {LEDGER_CASH, NULL, 0, amount}};
    return post(tx, ref, "refund", l, 2, err);
}

int ledger_refund_held(struct db *tx, const struct ledger_ref *ref, int64_t amount, struct db_error *err)
{
    struct ledger_line l[] = {{LEDGER_ESCROW, NULL, amount, 0}, {LEDGER_CASH, NULL, 0, amount}};
    return post(tx, ref, "refund", l, 2, err);
}

int ledger_release(struct db *tx, const struct ledger_ref *ref, const char *seller_id, int64_t gross, int64_t fee,
                   struct db_error *err)
{
    if (fee < 0 || fee > gross)
        return post(tx, ref, "escrow_release", NULL, 0, err); /* reported as invalid */
    struct ledger_line l[3] = {{LEDGER_ESCROW, NULL, gross, 0}};
    int n = 1;
    if (gross - fee > 0)
        l[n++] = (struct ledger_line){LEDGER_SELLER_PENDING, seller_id, 0, gross - fee};
    if (fee > 0)
        l[n++] = (struct ledger_line){LEDGER_FEES, NULL, 0, fee};
    return post(tx, ref, "escrow_release", l, n, err);
}

int ledger_transfer(struct db *tx, const struct ledger_ref *ref, const char *seller_id, int64_t net,
                    struct db_error *err)
{
    struct ledger_line l[] = {{LEDGER_SELLER_PENDING, seller_id, net, 0},
                              {LEDGER_SELLER_AVAILABLE, seller_id, 0, net}};
    return post(tx, ref, "transfer", l, 2, err);
}

int ledger_reversal(struct db *tx, const struct ledger_ref *ref, const char *seller_id, int64_t seller_part,
                    int64_t fee_part, struct db_error *err)
{
    if (seller_part < 0 || fee_part < 0)
        return post(tx, ref, "transfer_reversal", NULL, 0, err);
    struct ledger_line l[3];
    int n = 0;
    if (seller_part > 0)
        l[n++] = (struct ledger_line){LEDGER_SELLER_AVAILABLE, seller_id, seller_part, 0};
    if (fee_part > 0)
        l[n++] = (struct ledger_line){LEDGER_FEES, NULL, fee_part, 0};
    l[n++] = (struct ledger_line){LEDGER_CASH, NULL, 0, seller_part + fee_part};
    return post(tx, ref, "transfer_reversal", l, n, err);
}

int ledger_payout_start(struct db *tx, const struct ledger_ref *ref, const char *seller_id, int64_t amount,
                        struct db_error *err)
{
    struct ledger_line l[] = {{LEDGER_SELLER_AVAILABLE, seller_id, amount, 0}, {LEDGER_PAYOUTS, NULL, 0, amount}};
    return post(tx, ref, "payout", l, 2, err);
}

int ledger_payout_paid(struct db *tx, const struct ledger_ref *ref, int64_t amount, struct db_error *err)
{
    struct ledger_line l[] = {{LEDGER_PAYOUTS, NULL, amount, 0}, {LEDGER_CASH, NULL, 0, amount}};
    return post(tx, ref, "payout", l, 2, err);
}

int ledger_payout_failed(struct db *tx, const struct ledger_ref *ref, const char *seller_id, int64_t amount,
                         struct db_error *err)
{
    struct ledger_line l[] = {{LEDGER_PAYOUTS, NULL, amount, 0}, {LEDGER_SELLER_AVAILABLE, seller_id, 0, amount}};
    return post(tx, ref, "payout_failed", l, 2, err);
}
