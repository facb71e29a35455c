/*
 * commissions.h — custom commissions: a buyer's request, sellers'
 * proposals with milestones, acceptance, and milestone delivery and
 * approval (see README.md in this directory). Funding, release and
 * disputes of a milestone's money are the escrow service's.
 */
#ifndef ARTISTRY_SERVICES_COMMISSIONS_H
#define ARTISTRY_SERVICES_COMMISSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/ids.h"
#include "http/http.h"

extern const struct service_module commissions_module;

struct db;
struct db_error;

/** The payment intent that funds a milestone (POST /escrow/create). */
struct commissions_intent {
    char intent_id[ID_MAX_LEN];
    int64_t amount;
    char currency[4];
    bool created;                /* false: the milestone's existing intent was returned */
    char milestone_status[16];   /* on COMMISSIONS_BAD_STATE: what blocked it */
    char order_status[16];
};

enum {
    COMMISSIONS_OK = 0,
    COMMISSIONS_NOT_FOUND = 1, /* no such milestone of a custom order of this buyer */
    COMMISSIONS_BAD_STATE = 2, /* milestone not pending, or the order not accepted / in progress */
};

/**
 * Inside the caller's transaction: the payment intent (purpose "milestone")
 * for milestone_id, bought by buyer_id; made on first call and returned
 * again while the milestone waits for its money. Returns COMMISSIONS_OK,
 * COMMISSIONS_NOT_FOUND, COMMISSIONS_BAD_STATE, or -1 on a database error.
 */
int commissions_milestone_intent(struct db *tx, const char *milestone_id, const char *buyer_id,
                                 struct commissions_intent *out, struct db_error *err);

#endif
