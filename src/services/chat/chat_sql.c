/*
 * chat_sql.c — every SQL statement of the chat service.
 *
 * Same text on SQLite and PostgreSQL. Insert-or-select on the UNIQUE keys
 * (ON CONFLICT … DO NOTHING) makes "same pair and subject" and
 * "same client_msg_id" race-safe on both engines: on PostgreSQL the loser
 * of a race waits for the winner's commit and then inserts nothing; SQLite
 * serialises writers with BEGIN IMMEDIATE.
 *
 * Message order is (created_at, id). created_at is strictly increasing per
 * conversation: CHAT_Q_CONV_BUMP takes max(now, last + 1) under the
 * conversation's row lock, so two messages never share a timestamp and the
 * read mark (last_read_at, last_read_message_id) is exact.
 */
#include "services/chat/chat_int.h"

/* Messages of conversation c.id that viewer v has not read: from someone else, after the read mark r. */
#define UNREAD_COND(v)                                                                                                 \
    "u.conversation_id = c.id AND (u.sender_id IS NULL OR u.sender_id <> " v ") AND (r.last_read_at IS NULL OR "       \
    "u.created_at > r.last_read_at OR (u.created_at = r.last_read_at AND "                                             \
    "u.id > COALESCE(r.last_read_message_id, '')))"

/* Columns read by conv_json in chat_conversations.c; v is the viewer's parameter. */
#define CONV_SELECT(v)                                                                                                 \
    "SELECT c.id, c.buyer_id, c.seller_id, c.subject_type, c.subject_id, c.created_at, c.updated_at, "                 \
    "COALESCE(c.last_message_at, c.created_at), ub.display_name, ub.avatar_media_id, us.display_name, "                \
    "us.avatar_media_id, sh.id, sh.name, COALESCE(r.archived, 0), COALESCE(r.muted, 0), m.id, m.sender_id, "           \
    "c.last_message_preview, m.created_at, m.kind, m.attachments, "                                                    \
    "(SELECT COUNT(*) FROM messages u WHERE " UNREAD_COND(                                                             \
        v) ") "                                                                                                        \
           "FROM conversations c JOIN users ub ON ub.id = c.buyer_id JOIN users us ON us.id = c.seller_id "            \
           "LEFT JOIN shops sh ON sh.seller_id = c.seller_id "                                                         \
           "LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = " v " "                         \
           "LEFT JOIN messages m ON m.id = c.last_message_id "

/* A dispute (not cancelled) between the conversation's parties about its order or custom order. */
#define DISPUTED                                                                                                       \
    "EXISTS (SELECT 1 FROM disputes d WHERE d.status <> 'cancelled' AND d.buyer_id = c.buyer_id "                      \
    "AND d.seller_id = c.seller_id AND ((c.subject_type = 'order' AND d.order_id = c.subject_id) OR "                  \
    "(c.subject_type = 'custom_order' AND d.milestone_id IN "                                                          \
    "(SELECT ms.id FROM milestones ms WHERE ms.custom_order_id = c.subject_id))))"

static const char *const sql[CHAT_Q__COUNT] = {
    /* 1 participant, 2 admin with read access; no row: none. $3 = 1 when the caller is an admin. */
    [CHAT_Q_ACCESS] = "SELECT CASE WHEN c.buyer_id = $2 OR c.seller_id = $2 THEN 1 ELSE 2 END FROM conversations c "
                      "WHERE c.id = $1 AND (c.buyer_id = $2 OR c.seller_id = $2 OR ($3 = 1 AND " DISPUTED "))",
    [CHAT_Q_USER_ROLE] = "SELECT role FROM users WHERE id = $1 AND status = 'active'",
    /* Subject checks: $1 subject id, $2 buyer, $3 seller. */
    [CHAT_Q_SUBJ_PRODUCT] = "SELECT 1 FROM products WHERE id = $1 AND seller_id = $3 AND status IN ('active', "
                            "'archived') AND $2 <> seller_id",
    [CHAT_Q_SUBJ_ORDER] = "SELECT 1 FROM orders WHERE id = $1 AND buyer_id = $2 AND seller_id = $3",
    [CHAT_Q_SUBJ_CUSTOM] =
        "SELECT 1 FROM custom_orders co WHERE co.id = $1 AND co.buyer_id = $2 AND (co.seller_id = $3 OR "
        "(co.visibility = 'public' AND co.status = 'open') OR EXISTS (SELECT 1 FROM custom_order_invitations i "
        "WHERE i.custom_order_id = co.id AND i.seller_id = $3) OR EXISTS (SELECT 1 FROM proposals p "
        "WHERE p.custom_order_id = co.id AND p.seller_id = $3))",
    [CHAT_Q_CONV_INSERT] = "INSERT INTO conversations (id, buyer_id, seller_id, subject_type, subject_id, created_at, "
                           "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) "
                           "ON CONFLICT (buyer_id, seller_id, subject_type, subject_id) DO NOTHING",
    [CHAT_Q_CONV_FIND] = "SELECT id FROM conversations WHERE buyer_id = $1 AND seller_id = $2 AND subject_type = $3 "
                         "AND subject_id = $4",
    /* $1 conversation, $2 viewer. */
    [CHAT_Q_CONV_GET] = CONV_SELECT("$2") "WHERE c.id = $1",
    /*
     * The viewer's conversations by activity, newest first. $1 viewer, $2/$3
     * the cursor's activity and id (NULL: first page), $4 page size + 1,
     * $5 = 1: unread only, $6 = 1: archived too.
     */
    [CHAT_Q_CONV_PAGE] = CONV_SELECT(
        "$1") "WHERE (c.buyer_id = $1 OR c.seller_id = $1) AND (CAST($2 AS BIGINT) IS NULL OR "
              "COALESCE(c.last_message_at, c.created_at) < $2 OR (COALESCE(c.last_message_at, "
              "c.created_at) = $2 AND c.id < CAST($3 AS TEXT))) AND ($5 = 0 OR EXISTS "
              "(SELECT 1 FROM messages u WHERE " UNREAD_COND(
                  "$1") ")) AND ($6 = 1 OR r.archived IS NULL "
                        "OR r.archived = 0) ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC "
                        "LIMIT $4",
    /* For a sender $2: the parties and whether the other one muted the conversation. */
    [CHAT_Q_CONV_PARTIES] = "SELECT c.buyer_id, c.seller_id, COALESCE((SELECT r.muted FROM conversation_reads r WHERE "
                            "r.conversation_id = c.id AND r.user_id <> $2), 0) FROM conversations c WHERE c.id = $1 "
                            "AND (c.buyer_id = $2 OR c.seller_id = $2) FOR UPDATE",
    /* $2 now, $3 preview, $4 message id; returns the message's created_at. */
    [CHAT_Q_CONV_BUMP] = "UPDATE conversations SET last_message_at = CASE WHEN last_message_at IS NOT NULL AND "
                         "last_message_at >= $2 THEN last_message_at + 1 ELSE $2 END, last_message_preview = $3, "
                         "last_message_id = $4, updated_at = $2 WHERE id = $1 RETURNING last_message_at",
    [CHAT_Q_MEDIA_OWNED] = "SELECT 1 FROM media_objects WHERE id = $1 AND owner_id = $2 "
                           "AND status IN ('pending', 'ready')",
    [CHAT_Q_MSG_BY_CLIENT] = "SELECT " CHAT_MSG_COLS " FROM messages WHERE conversation_id = $1 AND sender_id = $2 "
                             "AND client_msg_id = $3",
    [CHAT_Q_MSG_INSERT] = "INSERT INTO messages (id, conversation_id, sender_id, kind, body, attachments, "
                          "client_msg_id, created_at) VALUES ($1, $2, $3, 'text', $4, $5, $6, $7) "
                          "ON CONFLICT (conversation_id, sender_id, client_msg_id) DO NOTHING",
    [CHAT_Q_MSG_GET] = "SELECT " CHAT_MSG_COLS " FROM messages WHERE id = $1 AND conversation_id = $2",
    [CHAT_Q_MSG_LATEST] = "SELECT id, created_at FROM messages WHERE conversation_id = $1 "
                          "ORDER BY created_at DESC, id DESC LIMIT 1",
    /* Newest first; $2/$3 the cursor's created_at and id (NULL: first page), $4 page size + 1. */
    [CHAT_Q_MSG_PAGE] = "SELECT " CHAT_MSG_COLS " FROM messages WHERE conversation_id = $1 AND "
                        "(CAST($2 AS BIGINT) IS NULL OR created_at < $2 OR (created_at = $2 AND "
                        "id < CAST($3 AS TEXT))) ORDER BY created_at DESC, id DESC LIMIT $4",
    /* The read mark only moves forward. */
    [CHAT_Q_READ_UPSERT] =
        "INSERT INTO conversation_reads (conversation_id, user_id, last_read_at, last_read_message_id, updated_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (conversation_id, user_id) DO UPDATE SET "
        "last_read_at = excluded.last_read_at, last_read_message_id = excluded.last_read_message_id, "
        "updated_at = excluded.updated_at WHERE excluded.last_read_at > conversation_reads.last_read_at OR "
        "(excluded.last_read_at = conversation_reads.last_read_at AND "
        "COALESCE(excluded.last_read_message_id, '') > COALESCE(conversation_reads.last_read_message_id, ''))",
    [CHAT_Q_READ_STATE] = "SELECT last_read_at, last_read_message_id FROM conversation_reads "
                          "WHERE conversation_id = $1 AND user_id = $2",
    [CHAT_Q_UNREAD] = "SELECT COUNT(*) FROM conversations c JOIN messages u ON u.conversation_id = c.id "
                      "LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = $2 "
                      "WHERE c.id = $1 AND " UNREAD_COND("$2"),
    /* $3 / $4: new archived / muted (NULL: unchanged). */
    [CHAT_Q_PREFS_UPSERT] =
        "INSERT INTO conversation_reads (conversation_id, user_id, archived, muted, updated_at) "
        "VALUES ($1, $2, COALESCE(CAST($3 AS INTEGER), 0), COALESCE(CAST($4 AS INTEGER), 0), $5) "
        "ON CONFLICT (conversation_id, user_id) DO UPDATE SET "
        "archived = COALESCE(CAST($3 AS INTEGER), conversation_reads.archived), "
        "muted = COALESCE(CAST($4 AS INTEGER), conversation_reads.muted), updated_at = excluded.updated_at",
    [CHAT_Q_SENDER_NAME] = "SELECT display_name FROM users WHERE id = $1",
};

const char *chat__sql(enum chat_query q)
{
    return sql[q];
}
