/*
 * ledger.h — the double-entry ledger: the chart of accounts and every money
 * movement of the marketplace (money flow of Stripe Connect's "separate
 * charges and transfers").
 *
 * Accounts (ledger_accounts.code, one currency each, created on first use):
 *
 *   platform:cash:CUR          asset      money at the processor: the platform balance. May go
 *                                         negative: a refund after the seller was paid out comes
 *                                         out of the platform's balance, and the processor debits
 *                                         the operator's bank account for a negative balance (the
 *                                         seller's negative available balance is what is owed back)
 *   platform:escrow:CUR        liability  captured and held for an order or a milestone
 *   platform:fees:CUR          revenue    commission earned
 *   platform:payouts:CUR       liability  payouts on their way to sellers' banks
 *   buyer:<id>:funds:CUR       liability  a buyer's captured payment not yet held for anything
 *   seller:<id>:pending:CUR    liability  released to the seller; the transfer to the seller's
 *                                         connected account is under way
 *   seller:<id>:available:CUR  liability  on the seller's connected balance, payable out. The one
 *                                         account that may go negative: a refund after the
 *                                         transfer reverses it, and a shortfall is carried into
 *                                         the next payout.
 *
 * Movements (each one balanced transaction, posted in the same database
 * transaction as the state change it records):
 *
 *   capture          Dr cash            Cr buyer funds         a payment succeeded
 *   escrow hold      Dr buyer funds     Cr escrow              per order / milestone of that payment
 *   unallocated      Dr buyer funds     Cr cash                refund of a payment nothing holds
 *                                                             (checkout expired before the payment landed)
 *   refund held      Dr escrow          Cr cash                refund before release (also a dispute's buyer share)
 *   release          Dr escrow          Cr seller pending (net), Cr fees (commission)
 *   transfer         Dr seller pending  Cr seller available    the processor's transfer succeeded
 *   reversal         Dr seller available (net share), Dr fees (fee share)   Cr cash
 *                                                             refund after release
 *   payout start     Dr seller available  Cr payouts           payout requested
 *   payout paid      Dr payouts         Cr cash                the bank transfer settled
 *   payout failed    Dr payouts         Cr seller available    the funds come back
 *
 * Balances are kept per account in ledger_accounts.balance (natural sign:
 * debit-positive for assets, credit-positive for the rest), updated with the
 * entries, and always equal to the sum of the account's entries (tests check
 * both). A CHECK keeps every balance but platform cash and seller available
 * from going negative, so an overdraw of escrow, fees, buyer funds, seller
 * pending or payouts fails the whole transaction (DB_E_CHECK).
 *
 * Every posting carries an idempotency key ("capture:pay_…"): posting the
 * same business event twice writes nothing the second time.
 */
#ifndef ARTISTRY_PLATFORM_LEDGER_H
#define ARTISTRY_PLATFORM_LEDGER_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_error;

enum ledger_account {
    LEDGER_CASH,
    LEDGER_ESCROW,
    LEDGER_FEES,
    LEDGER_PAYOUTS,
    LEDGER_BUYER_FUNDS,       /* owner: the buyer */
    LEDGER_SELLER_PENDING,    /* owner: the seller */
    LEDGER_SELLER_AVAILABLE,  /* owner: the seller */
};

/** What a posting records: its business event. */
struct ledger_ref {
    const char *kind;        /* ledger_transactions.kind; NULL: the recipe's own kind */
    const char *ref_type;    /* 'order', 'milestone', 'checkout', 'refund', 'payout', 'transfer', ... */
    const char *ref_id;
    const char *idem_key;    /* required: unique per business event */
    const char *actor_id;    /* user who caused it, NULL: the system */
    const char *description; /* NULL: empty */
    const char *currency;    /* required, 3 letters */
};

/** One side of one account in a posting: exactly one of debit and credit is > 0. */
struct ledger_line {
    enum ledger_account account;
    const char *owner_id; /* buyer or seller id for per-user accounts, else NULL */
    int64_t debit;
    int64_t credit;
};

enum {
    LEDGER_OK = 0,
    LEDGER_DUPLICATE = 1, /* this idem_key was posted before: nothing written */
    LEDGER_ERR = -1,      /* database error in *err (DB_E_CHECK: a balance would go negative) */
    LEDGER_INVALID = -2,  /* unbalanced, non-positive or malformed lines: a bug in the caller */
};

/**
 * Post one balanced transaction on tx (a transaction must be open): the
 * ledger_transactions row, its entries, and the account balances. Returns
 * LEDGER_OK, LEDGER_DUPLICATE, LEDGER_ERR or LEDGER_INVALID.
 */
int ledger_post(struct db *tx, const struct ledger_ref *ref, const struct ledger_line *lines, int n,
                struct db_error *err);

/** Balance of an account in natural sign (0 when it has no entries). 0 or -1. */
int ledger_balance(struct db *db, enum ledger_account account, const char *owner_id, const char *currency,
                   int64_t *out, struct db_error *err);

/** Write the account code ("seller:usr_…:available:USD") into buf. Returns buf, or NULL if it does not fit. */
char *ledger_account_code(enum ledger_account account, const char *owner_id, const char *currency, char *buf,
                          size_t cap);

/*-----------------------------------------------------------------------------
 * The movements above, one function each. Same return values as ledger_post.
 */
int ledger_capture(struct db *tx, const struct ledger_ref *ref, const char *buyer_id, int64_t amount,
                   struct db_error *err);
int ledger_escrow_hold(struct db *tx, const struct ledger_ref *ref, const char *buyer_id, int64_t amount,
                       struct db_error *err);
int ledger_refund_unallocated(struct db *tx, const struct ledger_ref *ref, const char *buyer_id, int64_t amount,
                              struct db_error *err);
int ledger_refund_held(struct db *tx, const struct ledger_ref *ref, int64_t amount, struct db_error *err);
/** gross leaves escrow; gross - fee goes to the seller's pending balance, fee to platform fees. */
int ledger_release(struct db *tx, const struct ledger_ref *ref, const char *seller_id, int64_t gross, int64_t fee,
                   struct db_error *err);
int ledger_transfer(struct db *tx, const struct ledger_ref *ref, const char *seller_id, int64_t net,
                    struct db_error *err);
/** A refund of seller_part + fee_part after release: taken back from the seller and from fees. */
int ledger_reversal(struct db *tx, const struct ledger_ref *ref, const char *seller_id, int64_t seller_part,
                    int64_t fee_part, struct db_error *err);
int ledger_payout_start(struct db *tx, const struct ledger_ref *ref, const char *seller_id, int64_t amount,
                        struct db_error *err);
int ledger_payout_paid(struct db *tx, const struct ledger_ref *ref, int64_t amount, struct db_error *err);
int ledger_payout_failed(struct db *tx, const struct ledger_ref *ref, const char *seller_id, int64_t amount,
                         struct db_error *err);

/**
 * Commission on gross at bps basis points, rounded down (the seller keeps
 * the fraction). The one fee formula: orders, milestones and reversals use it.
 */
int64_t ledger_fee(int64_t gross, int bps);

#endif
