/*
 * commissions_sql.c — every SQL statement of the custom commissions service.
 *
 * Who may see a custom order is one predicate (VISIBLE_TO, $2 the caller,
 * $3 = 1 for an admin), used by the read and by the seller's list, so the
 * ownership rule lives in the query itself: the buyer, an admin, the
 * accepted seller, an invited seller, a seller who proposed, and, while the
 * request is open and public, any seller whose active shop accepts custom
 * orders.
 *
 * Caveats: CQ_ESCROW_AUTO_RELEASE writes escrows.auto_release_at (the
 * escrow service is the same owner); CQ_MS_DUE joins escrows to skip a
 * milestone whose money is disputed.
 */
#include "services/commissions/commissions_int.h"

#define CO_COLS                                                                                                       \
    "c.id, c.buyer_id, c.seller_id, c.title, c.description, c.category_id, c.concept_id, c.budget_amount, "           \
    "c.currency, c.deadline_at, c.visibility, c.status, c.accepted_proposal_id, c.commission_bps, c.created_at, "     \
    "c.updated_at, c.completed_at, c.cancelled_at"

#define SELLER_SEES                                                                                                   \
    "(c.seller_id = $2 OR EXISTS (SELECT 1 FROM custom_order_invitations i WHERE i.custom_order_id = c.id "           \
    "AND i.seller_id = $2) OR EXISTS (SELECT 1 FROM proposals p WHERE p.custom_order_id = c.id AND p.seller_id = $2) " \
    "OR (c.visibility = 'public' AND c.status = 'open' AND EXISTS (SELECT 1 FROM shops s WHERE s.seller_id = $2 "     \
    "AND s.status = 'active' AND s.accepts_custom_orders = 1)))"

#define VISIBLE_TO "(c.buyer_id = $2 OR CAST($3 AS BIGINT) = 1 OR " SELLER_SEES ")"

#define PROPOSAL_COLS                                                                                                 \
    "id, custom_order_id, seller_id, shop_id, price_amount, currency, timeline_days, message, status, responded_at, " \
    "created_at, updated_at"

#define MS_COLS                                                                                                       \
    "m.id, m.position, m.title, m.description, m.amount, m.currency, m.status, m.due_at, m.funded_at, "               \
    "m.delivered_at, m.delivery_note, m.approval_deadline_at, m.released_at, m.payment_intent_id, "                   \
    "(SELECT e.id FROM escrows e WHERE e.milestone_id = m.id), m.delivery_media_ids"

static const char *const sql[CQ__COUNT] = {
    [CQ_INSERT] = "INSERT INTO custom_orders (id, buyer_id, title, description, category_id, concept_id, "
                  "budget_amount, currency, deadline_at, visibility, status, created_at, updated_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $11)",
    [CQ_CONCEPT_OWNED] = "SELECT 1 FROM saved_concepts WHERE id = $1 AND user_id = $2",
    [CQ_CATEGORY_ACTIVE] = "SELECT 1 FROM categories WHERE id = $1 AND is_active = 1",
    [CQ_SELLER_SHOP] = "SELECT id FROM shops WHERE seller_id = $1 AND status = 'active'",
    [CQ_INVITE_INSERT] = "INSERT INTO custom_order_invitations (id, custom_order_id, seller_id, status, created_at) "
                         "VALUES ($1, $2, $3, 'pending', $4)",
    [CQ_GET_VISIBLE] = "SELECT " CO_COLS " FROM custom_orders c WHERE c.id = $1 AND " VISIBLE_TO,
    [CQ_LOCK] = "SELECT " CO_COLS " FROM custom_orders c WHERE c.id = $1 FOR UPDATE",
    /* $1 mode (0: I am the buyer, 1: as a seller, 2: all), $2 caller, $3 status, $4/$5 cursor, $6 limit. */
    [CQ_LIST] = "SELECT " CO_COLS " FROM custom_orders c WHERE ((CAST($1 AS BIGINT) = 0 AND c.buyer_id = $2) "
                "OR $1 = 2 OR ($1 = 1 AND c.buyer_id <> $2 AND " SELLER_SEES ")) "
                "AND (CAST($3 AS TEXT) IS NULL OR c.status = $3) "
                "AND (CAST($4 AS BIGINT) IS NULL OR c.created_at < $4 OR (c.created_at = $4 AND c.id < "
                "CAST($5 AS TEXT))) ORDER BY c.created_at DESC, c.id DESC LIMIT $6",
    /* The seller's active shop when $2 may propose on open order $1 (invited, or public and accepting). */
    [CQ_CAN_PROPOSE] = "SELECT s.id FROM custom_orders c JOIN shops s ON s.seller_id = $2 AND s.status = 'active' "
                       "WHERE c.id = $1 AND c.buyer_id <> $2 AND (EXISTS (SELECT 1 FROM custom_order_invitations i "
                       "WHERE i.custom_order_id = c.id AND i.seller_id = $2) OR (c.visibility = 'public' "
                       "AND s.accepts_custom_orders = 1))",
    /* $2 from, $3 to, $4 now. */
    [CQ_SET_STATUS] = "UPDATE custom_orders SET status = CAST($3 AS TEXT), updated_at = $4, "
                      "completed_at = CASE WHEN $3 = 'completed' THEN $4 ELSE completed_at END, "
                      "cancelled_at = CASE WHEN $3 = 'cancelled' THEN $4 ELSE cancelled_at END "
                      "WHERE id = $1 AND status = $2",
    /* $2 seller, $3 proposal, $4 bps, $5 now. */
    [CQ_ACCEPT] = "UPDATE custom_orders SET status = 'accepted', seller_id = $2, accepted_proposal_id = $3, "
                  "commission_bps = $4, updated_at = $5 WHERE id = $1 AND status = 'open'",
    [CQ_INVITES] = "SELECT seller_id, status FROM custom_order_invitations WHERE custom_order_id = $1 "
                   "ORDER BY created_at, id",
    [CQ_INVITE_PROPOSED] = "UPDATE custom_order_invitations SET status = 'proposed', responded_at = $3 "
                           "WHERE custom_order_id = $1 AND seller_id = $2",

    /*-------------------------------------------------------------------------
     * Proposals
     */
    [CQ_PROPOSAL_PENDING_OF] = "SELECT id FROM proposals WHERE custom_order_id = $1 AND seller_id = $2 "
                               "AND status = 'pending'",
    [CQ_PROPOSAL_INSERT] = "INSERT INTO proposals (id, custom_order_id, seller_id, shop_id, price_amount, currency, "
                           "timeline_days, message, status, created_at, updated_at) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9)",
    [CQ_PROPOSAL_UPDATE] = "UPDATE proposals SET price_amount = $2, timeline_days = $3, message = $4, updated_at = $5 "
                           "WHERE id = $1 AND status = 'pending'",
    [CQ_PROPOSAL_LOCK] = "SELECT " PROPOSAL_COLS " FROM proposals WHERE id = $1 AND custom_order_id = $2 FOR UPDATE",
    [CQ_PROPOSAL_ACCEPT] = "UPDATE proposals SET status = 'accepted', responded_at = $2, updated_at = $2 "
                           "WHERE id = $1 AND status = 'pending'",
    /* $2: the accepted one to keep (NULL: decline all pending), $3 now. */
    [CQ_PROPOSAL_DECLINE_OTHERS] = "UPDATE proposals SET status = 'declined', responded_at = $3, updated_at = $3 "
                                   "WHERE custom_order_id = $1 AND status = 'pending' "
                                   "AND (CAST($2 AS TEXT) IS NULL OR id <> $2)",
    [CQ_PROPOSALS_OF] = "SELECT " PROPOSAL_COLS " FROM proposals WHERE custom_order_id = $1 "
                        "AND (CAST($2 AS BIGINT) = 1 OR seller_id = $3) ORDER BY created_at, id",
    [CQ_SHOP_BPS] = "SELECT commission_bps FROM shops WHERE id = $1",

    /*-------------------------------------------------------------------------
     * Milestones
     */
    [CQ_MS_DELETE_OF] = "DELETE FROM milestones WHERE proposal_id = $1 AND status = 'pending'",
    [CQ_MS_INSERT] = "INSERT INTO milestones (id, custom_order_id, proposal_id, title, description, amount, currency, "
                     "position, status, due_at, created_at, updated_at) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $10)",
    [CQ_MS_OF_PROPOSAL] = "SELECT " MS_COLS " FROM milestones m WHERE m.proposal_id = $1 ORDER BY m.position",
    [CQ_MS_LOCK] = "SELECT m.id, m.custom_order_id, m.proposal_id, m.amount, m.currency, m.status, "
                   "m.payment_intent_id, c.status, c.buyer_id, c.seller_id, c.accepted_proposal_id, "
                   "c.commission_bps FROM milestones m JOIN custom_orders c ON c.id = m.custom_order_id "
                   "WHERE m.id = $1 FOR UPDATE",
    [CQ_MS_SET_INTENT] = "UPDATE milestones SET payment_intent_id = $2, updated_at = $3 "
                         "WHERE id = $1 AND status = 'pending'",
    [CQ_MS_FUND] = "UPDATE milestones SET status = 'funded', funded_at = $2, updated_at = $2 "
                   "WHERE id = $1 AND status = 'pending'",
    /* $2 custom order, $3 now, $4 note, $5 media ids (JSON), $6 approval deadline. */
    [CQ_MS_DELIVER] = "UPDATE milestones SET status = 'delivered', delivered_at = $3, delivery_note = $4, "
                      "delivery_media_ids = $5, approval_deadline_at = $6, updated_at = $3 "
                      "WHERE id = $1 AND custom_order_id = $2 AND status = 'funded'",
    /* $2 new status, $3 now. */
    [CQ_MS_SET_STATUS] = "UPDATE milestones SET status = CAST($2 AS TEXT), updated_at = $3, "
                         "released_at = CASE WHEN $2 = 'released' THEN $3 ELSE released_at END, "
                         "approved_at = CASE WHEN $2 = 'released' THEN COALESCE(approved_at, $3) ELSE approved_at END "
                         "WHERE id = $1",
    /* Milestones of the accepted proposal of custom order $1: not final, released, disputed. */
    [CQ_MS_COUNTS] = "SELECT COALESCE(SUM(CASE WHEN m.status IN ('released', 'refunded') THEN 0 ELSE 1 END), 0), "
                     "COALESCE(SUM(CASE WHEN m.status = 'released' THEN 1 ELSE 0 END), 0), "
                     "COALESCE(SUM(CASE WHEN m.status = 'disputed' THEN 1 ELSE 0 END), 0) "
                     "FROM milestones m JOIN custom_orders c ON c.accepted_proposal_id = m.proposal_id "
                     "WHERE c.id = $1",
    [CQ_MS_DUE] = "SELECT m.id, e.id FROM milestones m JOIN escrows e ON e.milestone_id = m.id "
                  "WHERE m.status = 'delivered' AND m.approval_deadline_at <= $1 AND e.status = 'held' "
                  "ORDER BY m.approval_deadline_at LIMIT 20",
    [CQ_MS_PENDING_INTENTS] = "SELECT payment_intent_id FROM milestones WHERE custom_order_id = $1 "
                              "AND status = 'pending' AND payment_intent_id IS NOT NULL",
    [CQ_MS_ANY_FUNDED] = "SELECT 1 FROM milestones WHERE custom_order_id = $1 AND status <> 'pending' LIMIT 1",
    [CQ_ESCROW_AUTO_RELEASE] = "UPDATE escrows SET auto_release_at = $2 WHERE milestone_id = $1",
};

const char *commissions__sql(enum commissions_query q)
{
    return sql[q];
}
