/*
 * commissions_int.h — shared inside src/services/commissions only.
 *
 * Areas: commissions_requests.c (create, list, read, cancel a custom
 * order), commissions_proposals.c (a seller's proposal with milestones,
 * the buyer's acceptance), commissions_milestones.c (funding intent, the
 * payment and escrow hooks, delivery, the auto-approve sweep),
 * commissions_sql.c (every statement), commissions_routes.c (table, module).
 */
#ifndef ARTISTRY_SERVICES_COMMISSIONS_INT_H
#define ARTISTRY_SERVICES_COMMISSIONS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "services/commissions/commissions.h"

struct app;
struct db;
struct db_error;
struct jsonw;

enum commissions_query {
    CQ_INSERT,
    CQ_CONCEPT_OWNED,
    CQ_CATEGORY_ACTIVE,
    CQ_SELLER_SHOP,
    CQ_INVITE_INSERT,
    CQ_GET_VISIBLE,
    CQ_LOCK,
    CQ_LIST,
    CQ_CAN_PROPOSE,
    CQ_SET_STATUS,
    CQ_ACCEPT,
    CQ_INVITES,
    CQ_INVITE_PROPOSED,
    CQ_PROPOSAL_PENDING_OF,
    CQ_PROPOSAL_INSERT,
    CQ_PROPOSAL_UPDATE,
    CQ_PROPOSAL_LOCK,
    CQ_PROPOSAL_ACCEPT,
    CQ_PROPOSAL_DECLINE_OTHERS,
    CQ_PROPOSALS_OF,
    CQ_SHOP_BPS,
    CQ_MS_DELETE_OF,
    CQ_MS_INSERT,
    CQ_MS_OF_PROPOSAL,
    CQ_MS_LOCK,
    CQ_MS_SET_INTENT,
    CQ_MS_FUND,
    CQ_MS_DELIVER,
    CQ_MS_SET_STATUS,
    CQ_MS_COUNTS,
    CQ_MS_DUE,
    CQ_MS_PENDING_INTENTS,
    CQ_MS_ANY_FUNDED,
    CQ_ESCROW_AUTO_RELEASE,
    CQ__COUNT,
};

/** SQL text of a statement (static storage). */
const char *commissions__sql(enum commissions_query q);

/** Why a transaction callback gave up (not a database error). */
struct commissions_fail {
    const char *code;
    const char *msg;
    const char *detail;
    const char *field;
};

/** After a failed db_tx: the callback's reason, else the database error. Returns -1. */
int commissions__tx_error(struct request *req, const struct commissions_fail *fail, const struct db_error *dberr,
                          struct app_error *err);

/** "allowed from <from>: a, b" for machine "custom_order", "proposal" or "milestone". */
const char *commissions__allowed(struct arena *a, const char *machine, const char *from);

/** Reply with custom order id as the caller may see it. */
int commissions__reply(struct request *req, int status, const char *id, struct app_error *err);

/**
 * Move the custom order of proposal along with its milestones: disputed →
 * in_progress when none is disputed, then completed (some released) or
 * cancelled (all refunded) when every milestone is final. 0 or -1.
 */
int commissions__sync_order(struct db *tx, const char *custom_order_id, struct db_error *err);

bool commissions__is_admin(const struct request *req);

/** Start / stop the auto-approve sweep (commissions_milestones.c). */
int commissions__sweep_start(struct app *app);
void commissions__sweep_stop(void);

/** Register the payment and escrow hooks. */
void commissions__register_hooks(void);

/*-----------------------------------------------------------------------------
 * Handlers
 */
int commissions_handle_create(struct request *req, struct app_error *err);
int commissions_handle_list(struct request *req, struct app_error *err);
int commissions_handle_get(struct request *req, struct app_error *err);
int commissions_handle_cancel(struct request *req, struct app_error *err);
int commissions_handle_proposal(struct request *req, struct app_error *err);
int commissions_handle_accept(struct request *req, struct app_error *err);
int commissions_handle_deliver(struct request *req, struct app_error *err);

#endif
