/*
 * escrow_int.h — shared inside src/services/escrow only.
 *
 * Areas: escrow_money.c (hold, release, refund: the arithmetic and the
 * postings; the owners' hooks), escrow_handlers.c (GET /escrow/:id,
 * POST /escrow/create, POST /escrow/:id/release), escrow_disputes.c
 * (opening, listing and resolving disputes), escrow_sql.c (every statement),
 * escrow_routes.c (the table and the module).
 */
#ifndef ARTISTRY_SERVICES_ESCROW_INT_H
#define ARTISTRY_SERVICES_ESCROW_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/ids.h"
#include "http/http.h"
#include "services/escrow/escrow.h"

struct db;
struct db_error;

enum escrow_query {
    ESCROW_Q_INSERT,
    ESCROW_Q_LOCK,
    ESCROW_Q_GET,
    ESCROW_Q_FIND_ORDER,
    ESCROW_Q_FIND_MILESTONE,
    ESCROW_Q_SET_RELEASED,
    ESCROW_Q_SET_REFUNDED,
    ESCROW_Q_SET_STATUS,
    ESCROW_Q_HISTORY_INSERT,
    ESCROW_Q_HISTORY_LIST,
    ESCROW_Q_ORDER_STATUS,
    ESCROW_Q_DISPUTE_INSERT,
    ESCROW_Q_DISPUTE_LOCK,
    ESCROW_Q_DISPUTE_OPEN_OF_ESCROW,
    ESCROW_Q_DISPUTE_RESOLVE,
    ESCROW_Q_DISPUTE_GET,
    ESCROW_Q_DISPUTE_LIST,
    ESCROW_Q__COUNT,
};

/** SQL text of an escrow statement (static storage). */
const char *escrow__sql(enum escrow_query q);

/** One escrows row (fixed buffers: the money functions run without an arena). */
struct escrow_row {
    char id[ID_MAX_LEN];
    char order_id[ID_MAX_LEN];     /* "" when a milestone's */
    char milestone_id[ID_MAX_LEN]; /* "" when an order's */
    char payment_intent_id[ID_MAX_LEN];
    char payment_id[ID_MAX_LEN];
    char buyer_id[ID_MAX_LEN];
    char seller_id[ID_MAX_LEN];
    char transfer_group[ID_MAX_LEN];
    char transfer_id[ID_MAX_LEN];
    char currency[4];
    char status[16];
    int64_t amount, released, refunded, fee, fee_reversed, reversed;
    int bps;
    int64_t auto_release_at, released_at, created_at, updated_at; /* 0: NULL */
};

/** Money still held: amount - released - refunded. */
static inline int64_t escrow__held(const struct escrow_row *r)
{
    return r->amount - r->released - r->refunded;
}

/** Load escrow id (lock: FOR UPDATE). 1 found, 0 none, -1 error. */
int escrow__load(struct db *db, const char *id, bool lock, struct escrow_row *r, struct db_error *err);

/**
 * Release what is held (money flow 4). from_dispute allows a disputed
 * escrow and books the postings as kind "dispute_resolution". 0, 1 (nothing
 * releasable), -1.
 */
int escrow__release(struct db *tx, struct escrow_row *r, const char *actor_id, bool from_dispute,
                    struct db_error *err);

/** Refund amount (money flow 5); see escrow_refund. r is updated. 0, 1, -1. */
int escrow__refund(struct db *tx, struct escrow_row *r, int64_t amount, const char *reason, const char *dispute_id,
                   const char *actor_id, char *refund_id_out, struct db_error *err);

/**
 * A disputed escrow was refunded in full outside a resolution (the seller
 * conceded): resolve its open dispute as refund_buyer and tell the parties.
 * 0 or -1 (escrow_disputes.c).
 */
int escrow__close_dispute_refunded(struct db *tx, const struct escrow_row *r, const char *actor_id,
                                   struct db_error *err);

/** Append a history row. ref_id may be NULL. 0 or -1. */
int escrow__history(struct db *tx, const struct escrow_row *r, const char *action, int64_t amount, int64_t fee,
                    const char *actor_id, const char *ref_id, struct db_error *err);

/** Call the owner's hook (order or milestone) for what happened. 0 or -1. */
int escrow__notify(struct db *tx, const struct escrow_row *r, const char *what, int64_t amount, const char *actor_id,
                   struct db_error *err);

/*-----------------------------------------------------------------------------
 * Transaction failures (not database errors) reported by the handlers.
 */
struct escrow_fail {
    const char *code;
    const char *msg;
    const char *detail; /* e.g. "allowed from held: released, refunded, disputed" */
    const char *field;
};

/** After a failed db_tx: the callback's reason, else the database error. Returns -1. */
int escrow__tx_error(struct request *req, const struct escrow_fail *fail, const struct db_error *dberr,
                     struct app_error *err);

/** "allowed from <status>: a, b" for the escrow state machine (escrow_money.c). */
const char *escrow__allowed(struct arena *a, const char *status);

bool escrow__is_admin(const struct request *req);

/*-----------------------------------------------------------------------------
 * Handlers
 */
int escrow_handle_get(struct request *req, struct app_error *err);
int escrow_handle_create(struct request *req, struct app_error *err);
int escrow_handle_release(struct request *req, struct app_error *err);
int escrow_handle_dispute(struct request *req, struct app_error *err);
int escrow_handle_list_disputes(struct request *req, struct app_error *err);
int escrow_handle_resolve_dispute(struct request *req, struct app_error *err);

/** Reply with escrow id and its history (status: 200, 201). */
int escrow__reply(struct request *req, int status, const char *id, struct app_error *err);

#endif
