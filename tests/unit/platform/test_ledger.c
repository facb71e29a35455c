/*
 * test_ledger.c — the double-entry ledger (platform/ledger.h) under random
 * flows, on a real SQLite file and, when ARTISTRY_TEST_DATABASE_URL is set,
 * on a fresh PostgreSQL database.
 *
 * Thousands of random sequences of the movements (capture, escrow hold,
 * unallocated refund, refund held, release, transfer, reversal, payout
 * start / paid / failed, re-posted idempotency keys), each movement in its
 * own transaction. About one movement in five asks for more than the
 * account it drains holds. A model kept in memory predicts every outcome:
 * a posting that keeps every balance but seller available and platform cash
 * >= 0 must return
 * LEDGER_OK; one that would overdraw must fail with DB_E_CHECK and, once
 * rolled back, leave nothing behind; a re-posted key must return
 * LEDGER_DUPLICATE and write nothing. After every step the database is
 * checked: every transaction balanced, SUM(debits) = SUM(credits) per
 * currency, each account's balance column = the sum of its entries, no
 * negative balance but seller available and platform cash, the model's balances and
 * transaction count equal the database's.
 *
 * The seed is printed; LEDGER_TEST_SEED=<n> replays a run and
 * LEDGER_TEST_SEQUENCES=<n> changes how many sequences run (each sequence
 * starts from an empty ledger).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "db/migrate.h"
#include "platform/ledger.h"
#include "unit/testdb.h"

#define NBUYERS 3
#define NSELLERS 3
#define STEPS 20
#define MAX_ACCTS 64
#define MAX_KEYS 64

/*-----------------------------------------------------------------------------
 * Fixture (same shape as test_jobs.c)
 */
struct env {
    struct testdb t;
    struct db *db; /* t.db */
    char buyers[NBUYERS][ID_MAX_LEN], sellers[NSELLERS][ID_MAX_LEN];
};

static void add_user(struct env *e, char *id, const char *role)
{
    struct db_error err;
    id_generate("usr", id, ID_MAX_LEN);
    char email[80];
    snprintf(email, sizeof email, "%s@example.test", id);
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(email), DB_TEXT(role), DB_I64(time_now_ms())};
    cr_assert_eq(db_exec(e->db,
                         "INSERT INTO users (id, email, email_normalized, role, display_name, created_at, updated_at) "
                         "VALUES ($1, $2, $2, $3, $1, $4, $4)",
                         p, 4, &err),
                 1, "insert user: %s", err.msg);
}

static void env_open(struct env *e, bool pg)
{
    memset(e, 0, sizeof *e);
    testdb_open(&e->t, pg, "ledger");
    e->db = e->t.db;
    for (int i = 0; i < NBUYERS; i++)
        add_user(e, e->buyers[i], "buyer");
    for (int i = 0; i < NSELLERS; i++)
        add_user(e, e->sellers[i], "seller");
}

static void env_close(struct env *e)
{
    testdb_close(&e->t);
}

/*-----------------------------------------------------------------------------
 * The model: expected balance per account code, in natural sign
 */
struct model {
    char code[MAX_ACCTS][160];
    int64_t bal[MAX_ACCTS];
    int n;
    int64_t txns; /* postings that landed */
    /* Keys that landed, with what re-posting them would ask (for duplicates). */
    char keys[MAX_KEYS][64];
    int nkeys;
};

static int64_t *slot(struct model *m, enum ledger_account a, const char *owner, const char *cur)
{
    char code[160];
    cr_assert_not_null(ledger_account_code(a, owner, cur, code, sizeof code));
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->code[i], code) == 0)
            return &m->bal[i];
    cr_assert(m->n < MAX_ACCTS);
    snprintf(m->code[m->n], sizeof m->code[0], "%s", code);
    m->bal[m->n] = 0;
    return &m->bal[m->n++];
}

/* A movement as lines with natural-sign deltas, applied to a copy of the model to predict the outcome. */
struct move {
    const char *name;
    struct ledger_line lines[3];
    int n;
};

static int asset(enum ledger_account a)
{
    return a == LEDGER_CASH;
}

/* 1 when applying mv keeps every balance that must stay >= 0 non-negative; applies it when apply is set. */
static int predict(struct model *m, const struct move *mv, const char *cur, int apply)
{
    int64_t next[3];
    int64_t *where[3];
    for (int i = 0; i < mv->n; i++) {
        const struct ledger_line *l = &mv->lines[i];
        where[i] = slot(m, l->account, l->owner_id, cur);
        int64_t amount = l->debit > 0 ? l->debit : l->credit;
        int64_t delta = (l->debit > 0) == asset(l->account) ? amount : -amount;
        next[i] = *where[i] + delta;
        for (int j = 0; j < i; j++)
            if (where[j] == where[i])
                next[i] = next[j] + delta;
    }
    int ok = 1;
    for (int i = 0; i < mv->n; i++)
        if (next[i] < 0 && mv->lines[i].account != LEDGER_SELLER_AVAILABLE && mv->lines[i].account != LEDGER_CASH)
            ok = 0;
    if (ok && apply)
        for (int i = 0; i < mv->n; i++)
            *where[i] = next[i];
    return ok;
}

/*-----------------------------------------------------------------------------
 * Random movements
 */
static unsigned long long rng_state;
static long outcomes[3]; /* landed, refused overdraws, duplicates */

static uint64_t rnd(void)
{
    /* xorshift64*: reproducible from the printed seed. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static int64_t rnd_amount(int64_t have)
{
    /* One in five asks for more than there is; otherwise up to what there is (at least 1). */
    if (rnd() % 5 == 0 || have <= 0)
        return have + 1 + (int64_t)(rnd() % 5000);
    return 1 + (int64_t)(rnd() % (uint64_t)have);
}

static int64_t bal_of(struct model *m, enum ledger_account a, const char *owner, const char *cur)
{
    return *slot(m, a, owner, cur);
}

/* Build one random movement; the ledger function to call is chosen by kind. */
enum kind { K_CAPTURE, K_HOLD, K_UNALLOC, K_REFUND_HELD, K_RELEASE, K_TRANSFER, K_REVERSAL, K_PAYOUT_START,
            K_PAYOUT_PAID, K_PAYOUT_FAILED, K__COUNT };

struct step {
    enum kind kind;
    const char *buyer, *seller, *cur;
    int64_t a, b; /* amounts: a main; b the fee (release) or the fee part (reversal) */
    struct move mv;
};

/*
 * A movement that drains an empty account is mostly (3 in 4) replaced by
 * the one that feeds it (hold feeds escrow, release feeds pending…), so
 * sequences go deep into the flow instead of bouncing off empty accounts.
 */
static enum kind feeder(struct model *m, const struct step *s, enum kind k)
{
    for (int hops = 0; hops < 4; hops++) {
        int64_t have;
        enum kind feed;
        switch (k) {
        case K_HOLD:
        case K_UNALLOC:
            have = bal_of(m, LEDGER_BUYER_FUNDS, s->buyer, s->cur), feed = K_CAPTURE;
            break;
        case K_REFUND_HELD:
        case K_RELEASE:
            have = bal_of(m, LEDGER_ESCROW, NULL, s->cur), feed = K_HOLD;
            break;
        case K_TRANSFER:
            have = bal_of(m, LEDGER_SELLER_PENDING, s->seller, s->cur), feed = K_RELEASE;
            break;
        case K_PAYOUT_PAID:
        case K_PAYOUT_FAILED:
            have = bal_of(m, LEDGER_PAYOUTS, NULL, s->cur), feed = K_PAYOUT_START;
            break;
        default:
            return k;
        }
        if (have > 0 || rnd() % 4 == 0)
            return k;
        k = feed;
    }
    return k;
}

static void build(struct env *e, struct model *m, struct step *s)
{
    s->buyer = e->buyers[rnd() % NBUYERS];
    s->seller = e->sellers[rnd() % NSELLERS];
    s->cur = rnd() % 4 == 0 ? "EUR" : "USD";
    s->kind = feeder(m, s, (enum kind)(rnd() % K__COUNT));
    s->b = 0;
    struct move *mv = &s->mv;
    mv->n = 2;
    switch (s->kind) {
    case K_CAPTURE:
        s->a = 1 + (int64_t)(rnd() % 100000);
        *mv = (struct move){"capture", {{LEDGER_CASH, NULL, s->a, 0}, {LEDGER_BUYER_FUNDS, s->buyer, 0, s->a}}, 2};
        break;
    case K_HOLD:
    case K_UNALLOC:
        s->a = rnd_amount(bal_of(m, LEDGER_BUYER_FUNDS, s->buyer, s->cur));
        *mv = (struct move){"hold", {{LEDGER_BUYER_FUNDS, s->buyer, s->a, 0},
                                     {s->kind == K_HOLD ? LEDGER_ESCROW : LEDGER_CASH, NULL, 0, s->a}}, 2};
        break;
    case K_REFUND_HELD:
        s->a = rnd_amount(bal_of(m, LEDGER_ESCROW, NULL, s->cur));
        *mv = (struct move){"refund_held", {{LEDGER_ESCROW, NULL, s->a, 0}, {LEDGER_CASH, NULL, 0, s->a}}, 2};
        break;
    case K_RELEASE: {
        s->a = rnd_amount(bal_of(m, LEDGER_ESCROW, NULL, s->cur));
        s->b = ledger_fee(s->a, (int)(rnd() % 3000));
        *mv = (struct move){"release", {{LEDGER_ESCROW, NULL, s->a, 0}}, 1};
        if (s->a - s->b > 0)
            mv->lines[mv->n++] = (struct ledger_line){LEDGER_SELLER_PENDING, s->seller, 0, s->a - s->b};
        if (s->b > 0)
            mv->lines[mv->n++] = (struct ledger_line){LEDGER_FEES, NULL, 0, s->b};
        break;
    }
    case K_TRANSFER:
        s->a = rnd_amount(bal_of(m, LEDGER_SELLER_PENDING, s->seller, s->cur));
        *mv = (struct move){"transfer", {{LEDGER_SELLER_PENDING, s->seller, s->a, 0},
                                         {LEDGER_SELLER_AVAILABLE, s->seller, 0, s->a}}, 2};
        break;
    case K_REVERSAL: {
        int64_t fees = bal_of(m, LEDGER_FEES, NULL, s->cur);
        s->a = 1 + (int64_t)(rnd() % 20000);
        s->b = rnd() % 2 ? rnd_amount(fees) : 0;
        *mv = (struct move){"reversal", {{LEDGER_SELLER_AVAILABLE, s->seller, s->a, 0}}, 1};
        if (s->b > 0)
            mv->lines[mv->n++] = (struct ledger_line){LEDGER_FEES, NULL, s->b, 0};
        mv->lines[mv->n++] = (struct ledger_line){LEDGER_CASH, NULL, 0, s->a + s->b};
        break;
    }
    case K_PAYOUT_START:
        s->a = 1 + (int64_t)(rnd() % 20000);
        *mv = (struct move){"payout_start", {{LEDGER_SELLER_AVAILABLE, s->seller, s->a, 0},
                                             {LEDGER_PAYOUTS, NULL, 0, s->a}}, 2};
        break;
    case K_PAYOUT_PAID:
    case K_PAYOUT_FAILED:
        s->a = rnd_amount(bal_of(m, LEDGER_PAYOUTS, NULL, s->cur));
        *mv = (struct move){"payout_end", {{LEDGER_PAYOUTS, NULL, s->a, 0},
                                           {s->kind == K_PAYOUT_PAID ? LEDGER_CASH : LEDGER_SELLER_AVAILABLE,
                                            s->kind == K_PAYOUT_PAID ? NULL : s->seller, 0, s->a}}, 2};
        break;
    default:
        cr_assert_fail("kind");
    }
}

static int call(struct db *tx, const struct step *s, const struct ledger_ref *ref, struct db_error *err)
{
    switch (s->kind) {
    case K_CAPTURE: return ledger_capture(tx, ref, s->buyer, s->a, err);
    case K_HOLD: return ledger_escrow_hold(tx, ref, s->buyer, s->a, err);
    case K_UNALLOC: return ledger_refund_unallocated(tx, ref, s->buyer, s->a, err);
    case K_REFUND_HELD: return ledger_refund_held(tx, ref, s->a, err);
    case K_RELEASE: return ledger_release(tx, ref, s->seller, s->a, s->b, err);
    case K_TRANSFER: return ledger_transfer(tx, ref, s->seller, s->a, err);
    case K_REVERSAL: return ledger_reversal(tx, ref, s->seller, s->a, s->b, err);
    case K_PAYOUT_START: return ledger_payout_start(tx, ref, s->seller, s->a, err);
    case K_PAYOUT_PAID: return ledger_payout_paid(tx, ref, s->a, err);
    case K_PAYOUT_FAILED: return ledger_payout_failed(tx, ref, s->seller, s->a, err);
    default: return LEDGER_INVALID;
    }
}

/*-----------------------------------------------------------------------------
 * Invariants, read back from the database
 */
static int64_t scalar(struct db *db, const char *sql)
{
    struct db_error err;
    struct db_stmt *st = db_prepare(db, sql, &err);
    cr_assert_not_null(st, "%s: %s", sql, err.msg);
    cr_assert_eq(db_step(st, &err), 1, "%s: %s", sql, err.msg);
    int64_t v = db_column_i64(st, 0);
    db_reset(st);
    return v;
}

static const char sql_unbalanced[] =
    "SELECT COUNT(*) FROM (SELECT transaction_id FROM ledger_entries GROUP BY transaction_id "
    "HAVING SUM(CASE WHEN direction = 'debit' THEN amount ELSE -amount END) <> 0) t";
static const char sql_debits_credits[] =
    "SELECT COUNT(*) FROM (SELECT currency FROM ledger_entries GROUP BY currency "
    "HAVING SUM(CASE WHEN direction = 'debit' THEN amount ELSE 0 END) <> "
    "SUM(CASE WHEN direction = 'credit' THEN amount ELSE 0 END)) t";
static const char sql_balance_vs_entries[] =
    "SELECT COUNT(*) FROM ledger_accounts a WHERE a.balance <> COALESCE((SELECT SUM(CASE WHEN "
    "(e.direction = 'debit') = (a.type = 'asset') THEN e.amount ELSE -e.amount END) FROM ledger_entries e "
    "WHERE e.account_id = a.id), 0)";
static const char sql_negative[] =
    "SELECT COUNT(*) FROM ledger_accounts WHERE balance < 0 AND NOT (may_go_negative = 1 AND (code LIKE "
    "'seller:%:available:%' OR code LIKE 'platform:cash:%'))";
static const char sql_txn_count[] = "SELECT COUNT(*) FROM ledger_transactions";
static const char sql_orphans[] =
    "SELECT COUNT(*) FROM ledger_transactions t WHERE NOT EXISTS "
    "(SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id)";

static void check(struct env *e, struct model *m, const char *where)
{
    cr_assert_eq(scalar(e->db, sql_unbalanced), 0, "%s: an unbalanced transaction", where);
    cr_assert_eq(scalar(e->db, sql_debits_credits), 0, "%s: SUM(debits) <> SUM(credits)", where);
    cr_assert_eq(scalar(e->db, sql_balance_vs_entries), 0, "%s: a balance differs from its entries", where);
    cr_assert_eq(scalar(e->db, sql_negative), 0, "%s: a negative balance that may not be", where);
    cr_assert_eq(scalar(e->db, sql_orphans), 0, "%s: a transaction without entries", where);
    cr_assert_eq(scalar(e->db, sql_txn_count), m->txns, "%s: %lld transactions, model %lld", where,
                 (long long)scalar(e->db, sql_txn_count), (long long)m->txns);
    for (int i = 0; i < m->n; i++) {
        struct db_error err;
        struct db_stmt *st = db_prepare(e->db, "SELECT balance FROM ledger_accounts WHERE code = $1", &err);
        cr_assert_not_null(st);
        db_bind(st, 1, DB_TEXT(m->code[i]));
        int rc = db_step(st, &err);
        int64_t got = rc == 1 ? db_column_i64(st, 0) : 0;
        db_reset(st);
        cr_assert_eq(got, m->bal[i], "%s: %s is %lld, model %lld", where, m->code[i], (long long)got,
                     (long long)m->bal[i]);
    }
}

/*-----------------------------------------------------------------------------
 * One step: post in a transaction, compare with the prediction
 */
static void run_step(struct env *e, struct model *m, int seq, int n)
{
    struct step s;
    build(e, m, &s);
    char where[96], key[64];
    bool dup = m->nkeys > 0 && rnd() % 8 == 0;
    if (dup)
        snprintf(key, sizeof key, "%s", m->keys[rnd() % (uint64_t)m->nkeys]);
    else
        snprintf(key, sizeof key, "t%d:%d:%s", seq, n, s.mv.name);
    snprintf(where, sizeof where, "sequence %d step %d (%s%s)", seq, n, s.mv.name, dup ? ", re-posted key" : "");
    struct ledger_ref ref = {.ref_type = "test", .ref_id = key, .idem_key = key, .currency = s.cur};
    struct db_error err = {0};
    cr_assert_eq(db_begin(e->db, &err), 0, "begin: %s", err.msg);
    int rc = call(e->db, &s, &ref, &err);
    if (dup) {
        cr_assert_eq(rc, LEDGER_DUPLICATE, "%s: got %d", where, rc);
        outcomes[2]++;
        db_rollback(e->db);
    } else if (predict(m, &s.mv, s.cur, 0)) {
        cr_assert_eq(rc, LEDGER_OK, "%s: refused (%d: %s)", where, rc, err.msg);
        cr_assert_eq(db_commit(e->db, &err), 0, "%s: commit: %s", where, err.msg);
        predict(m, &s.mv, s.cur, 1);
        m->txns++;
        outcomes[0]++;
        if (m->nkeys < MAX_KEYS)
            snprintf(m->keys[m->nkeys++], sizeof m->keys[0], "%s", key);
    } else {
        cr_assert_eq(rc, LEDGER_ERR, "%s: an overdraw was accepted (%d)", where, rc);
        cr_assert_eq(err.kind, DB_E_CHECK, "%s: overdraw failed with %s: %s", where, db_errkind_name(err.kind),
                     err.msg);
        db_rollback(e->db);
        outcomes[1]++;
    }
    check(e, m, where);
}

static void reset_ledger(struct env *e)
{
    struct db_error err;
    cr_assert_eq(db_exec_script(e->db,
                                "DELETE FROM ledger_entries; DELETE FROM ledger_transactions; "
                                "DELETE FROM ledger_accounts;",
                                &err),
                 0, "reset: %s", err.msg);
}

static int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v != NULL && *v ? atoi(v) : dflt;
}

static void random_flows(bool pg)
{
    struct env e;
    env_open(&e, pg);
    const char *seed_env = getenv("LEDGER_TEST_SEED");
    unsigned long long seed;
    if (seed_env != NULL && *seed_env)
        seed = strtoull(seed_env, NULL, 10);
    else
        random_bytes(&seed, sizeof seed);
    rng_state = seed ? seed : 1;
    int sequences = env_int("LEDGER_TEST_SEQUENCES", pg ? 300 : 2000);
    fprintf(stderr, "ledger random flows (%s): %d sequences x %d steps, LEDGER_TEST_SEED=%llu\n",
            pg ? "PostgreSQL" : "SQLite", sequences, STEPS, seed);
    static struct model m;
    for (int seq = 0; seq < sequences; seq++) {
        reset_ledger(&e);
        memset(&m, 0, sizeof m);
        for (int n = 0; n < STEPS; n++)
            run_step(&e, &m, seq, n);
    }
    fprintf(stderr, "ledger random flows: %ld posted, %ld overdraws refused, %ld duplicates ignored\n", outcomes[0],
            outcomes[1], outcomes[2]);
    cr_assert(outcomes[0] > 0 && outcomes[1] > 0 && outcomes[2] > 0, "every outcome must occur");
    env_close(&e);
}

/*-----------------------------------------------------------------------------
 * Cases
 */
TestSuite(ledger, .timeout = 900);

Test(ledger, random_flows_sqlite)
{
    random_flows(false);
}

Test(ledger, random_flows_pg)
{
    random_flows(true);
}

/* Fixed cases the random flow cannot name: the fee formula and malformed postings. */
Test(ledger, fee_rounds_down_and_invalid_postings_write_nothing)
{
    cr_assert_eq(ledger_fee(1999, 1000), 199);
    cr_assert_eq(ledger_fee(1, 9999), 0);
    cr_assert_eq(ledger_fee(100, 10000), 100);
    cr_assert_eq(ledger_fee(0, 1000), 0);
    cr_assert_eq(ledger_fee(INT64_MAX, 1), INT64_MAX / 10000);
    struct env e;
    env_open(&e, false);
    struct db_error err = {0};
    struct ledger_ref ref = {.idem_key = "bad:1", .currency = "USD", .kind = "adjustment"};
    struct ledger_line unbalanced[] = {{LEDGER_CASH, NULL, 10, 0}, {LEDGER_FEES, NULL, 0, 9}};
    struct ledger_line both[] = {{LEDGER_CASH, NULL, 10, 10}, {LEDGER_FEES, NULL, 0, 10}};
    struct ledger_line no_owner[] = {{LEDGER_CASH, NULL, 10, 0}, {LEDGER_BUYER_FUNDS, NULL, 0, 10}};
    cr_assert_eq(db_begin(e.db, &err), 0);
    cr_assert_eq(ledger_post(e.db, &ref, unbalanced, 2, &err), LEDGER_INVALID);
    cr_assert_eq(ledger_post(e.db, &ref, both, 2, &err), LEDGER_INVALID);
    cr_assert_eq(ledger_post(e.db, &ref, no_owner, 2, &err), LEDGER_INVALID);
    cr_assert_eq(ledger_release(e.db, &ref, e.sellers[0], 10, 11, &err), LEDGER_INVALID);
    cr_assert_eq(ledger_reversal(e.db, &ref, e.sellers[0], -1, 0, &err), LEDGER_INVALID);
    struct ledger_ref nocur = {.idem_key = "bad:2", .currency = "US", .kind = "adjustment"};
    cr_assert_eq(ledger_capture(e.db, &nocur, e.buyers[0], 5, &err), LEDGER_INVALID);
    cr_assert_eq(db_commit(e.db, &err), 0);
    cr_assert_eq(scalar(e.db, sql_txn_count), 0);
    cr_assert_eq(scalar(e.db, "SELECT COUNT(*) FROM ledger_entries"), 0);
    env_close(&e);
}
