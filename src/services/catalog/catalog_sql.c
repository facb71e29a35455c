/*
 * catalog_sql.c — every SQL statement of the catalog service.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters). A parameter
 * that may be NULL is first written CAST($n AS T) so PostgreSQL deduces its
 * type there; later uses of the same $n take that type.
 *
 * Category paths are compared with substr(), never LIKE: a subtree is
 * path = $p OR substr(path, 1, length($p) + 1) = $p || '/', which no
 * character in a slug can widen.
 *
 * Ratings: products.rating_avg is round(100 * rating_sum / rating_count) in
 * integer arithmetic, (sum * 100 + count / 2) / count, the formula of
 * migrations/0005_catalog.sql, computed from the new sum and count in the
 * same UPDATE that moves them.
 *
 * Caveats: the catalog writes products.rating_* / wishlist_count /
 * popularity and shops.rating_* itself (the products service owns the rest
 * of those rows); popularity always goes through PRODUCTS_POPULARITY_SQL.
 */
#include "http/http.h"
#include "services/catalog/catalog_int.h"
#include "services/products/products.h"

#define CATEGORY_COLS "id, parent_id, slug, name, description, path, depth, position, is_active, created_at, updated_at"

/* Column order read by catalog_reviews.c write_review(). */
#define REVIEW_COLS                                                                                                   \
    "r.id, r.product_id, r.rating, r.body, r.media_ids, r.status, r.seller_reply, r.reply_at, r.created_at, "         \
    "r.updated_at, r.buyer_id, u.display_name"
#define REVIEW_FROM " FROM reviews r JOIN users u ON u.id = r.buyer_id"

/* Keyset after (created_at, id) of the cursor, newest first; $k is the cursor's created_at, $k+1 its id. */
#define AFTER_NEWEST(k, k1) "(r.created_at < $" k " OR (r.created_at = $" k " AND r.id < $" k1 "))"

static const char *const sql[CATALOG_Q__COUNT] = {
    /*-------------------------------------------------------------------------
     * Categories
     */
    [CATALOG_Q_CATEGORY_TREE] = "SELECT id, parent_id, slug, name, description, position, path, depth "
                                "FROM categories WHERE is_active = 1 ORDER BY depth, position, name",
    [CATALOG_Q_CATEGORY_BY_ID] = "SELECT id, path, depth FROM categories WHERE id = $1",
    [CATALOG_Q_CATEGORY_INSERT] =
        "INSERT INTO categories (id, parent_id, slug, path, name, description, depth, position, is_active, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)",
    /* $2 = 1: the caller is an admin and sees inactive categories too. */
    [CATALOG_Q_CATEGORY_GET] = "SELECT " CATEGORY_COLS " FROM categories "
                               "WHERE id = $1 AND (is_active = 1 OR CAST($2 AS BIGINT) = 1)",
    /* Ancestors of the category whose path is $1, root first. */
    [CATALOG_Q_CATEGORY_ANCESTORS] = "SELECT id, slug, name, is_active FROM categories "
                                     "WHERE path <> CAST($1 AS TEXT) "
                                     "AND substr(CAST($1 AS TEXT), 1, length(path) + 1) = path || '/' "
                                     "ORDER BY depth",
    [CATALOG_Q_CATEGORY_CHILDREN] = "SELECT id, slug, name, path, depth, position, is_active FROM categories "
                                    "WHERE parent_id = $1 AND (is_active = 1 OR CAST($2 AS BIGINT) = 1) "
                                    "ORDER BY position, name",
    [CATALOG_Q_CATEGORY_LOCK] = "SELECT id, parent_id, slug, path, depth FROM categories WHERE id = $1 FOR UPDATE",
    /* NULL keeps a column; slug and parent_id are always given (the current ones when unchanged). */
    [CATALOG_Q_CATEGORY_UPDATE] =
        "UPDATE categories SET name = COALESCE(CAST($2 AS TEXT), name), slug = $3, "
        "description = COALESCE(CAST($4 AS TEXT), description), position = COALESCE(CAST($5 AS INTEGER), position), "
        "parent_id = $6, is_active = COALESCE(CAST($7 AS INTEGER), is_active), updated_at = $8 WHERE id = $1",
    /* Re-root the subtree at old path $2 under new path $1, moving depths by $3. */
    [CATALOG_Q_CATEGORY_MOVE_SUBTREE] =
        "UPDATE categories SET path = CAST($1 AS TEXT) || substr(path, length(CAST($2 AS TEXT)) + 1), "
        "depth = depth + CAST($3 AS INTEGER), updated_at = $4 "
        "WHERE path = $2 OR substr(path, 1, length($2) + 1) = $2 || '/'",
    [CATALOG_Q_CATEGORY_HAS_CHILDREN] = "SELECT 1 FROM categories WHERE parent_id = $1 LIMIT 1",
    [CATALOG_Q_CATEGORY_HAS_PRODUCTS] = "SELECT 1 FROM products WHERE category_id = $1 LIMIT 1",
    [CATALOG_Q_CATEGORY_DELETE] = "DELETE FROM categories WHERE id = $1",

    /*-------------------------------------------------------------------------
     * Reviews
     */
    /* The review rule (catalog.h catalog_review_eligible): $1 order item, $2 product, $3 buyer. */
    [CATALOG_Q_REVIEW_ELIGIBLE] =
        "SELECT 1 FROM order_items oi JOIN orders o ON o.id = oi.order_id "
        "WHERE oi.id = $1 AND oi.product_id = $2 AND o.buyer_id = $3 AND o.status IN ('delivered', 'completed') "
        "AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.order_item_id = oi.id)",
    [CATALOG_Q_REVIEW_OF_ITEM_BY] = "SELECT id FROM reviews WHERE order_item_id = $1 AND buyer_id = $2",
    /* Public: an active product of an active shop (as in the products service). */
    [CATALOG_Q_PRODUCT_ACTIVE] = "SELECT p.seller_id, p.shop_id, p.rating_sum, p.rating_count, p.rating_avg "
                                 "FROM products p JOIN shops s ON s.id = p.shop_id "
                                 "WHERE p.id = $1 AND p.status = 'active' AND s.status = 'active'",
    [CATALOG_Q_MEDIA_OWNED] = "SELECT 1 FROM media_objects WHERE id = $1 AND owner_id = $2 AND status <> 'deleted'",
    [CATALOG_Q_REVIEW_INSERT] =
        "INSERT INTO reviews (id, product_id, order_item_id, buyer_id, seller_id, shop_id, rating, body, media_ids, "
        "status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'published', $10, $10)",
    /* $2 added to rating_sum, $3 to rating_count (a review in: +r, +1; out: -r, -1). */
    [CATALOG_Q_PRODUCT_RATING_ADD] =
        "UPDATE products SET rating_sum = rating_sum + CAST($2 AS BIGINT), rating_count = rating_count + "
        "CAST($3 AS BIGINT), rating_avg = CASE WHEN rating_count + $3 > 0 THEN ((rating_sum + $2) * 100 + "
        "(rating_count + $3) / 2) / (rating_count + $3) ELSE 0 END WHERE id = $1",
    [CATALOG_Q_SHOP_RATING_ADD] = "UPDATE shops SET rating_sum = rating_sum + CAST($2 AS BIGINT), "
                                  "rating_count = rating_count + CAST($3 AS BIGINT) WHERE id = $1",
    /* Pages: $1 product, cursor values, then the limit. */
    [CATALOG_Q_REVIEWS_NEWEST] =
        "SELECT " REVIEW_COLS REVIEW_FROM " WHERE r.product_id = $1 AND r.status = 'published' "
        "AND (CAST($2 AS BIGINT) IS NULL OR " AFTER_NEWEST("2", "3") ") "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT $4",
    [CATALOG_Q_REVIEWS_RATING_DESC] =
        "SELECT " REVIEW_COLS REVIEW_FROM " WHERE r.product_id = $1 AND r.status = 'published' "
        "AND (CAST($2 AS BIGINT) IS NULL OR r.rating < $2 OR (r.rating = $2 AND " AFTER_NEWEST("3", "4") ")) "
        "ORDER BY r.rating DESC, r.created_at DESC, r.id DESC LIMIT $5",
    [CATALOG_Q_REVIEWS_RATING_ASC] =
        "SELECT " REVIEW_COLS REVIEW_FROM " WHERE r.product_id = $1 AND r.status = 'published' "
        "AND (CAST($2 AS BIGINT) IS NULL OR r.rating > $2 OR (r.rating = $2 AND " AFTER_NEWEST("3", "4") ")) "
        "ORDER BY r.rating ASC, r.created_at DESC, r.id DESC LIMIT $5",
    [CATALOG_Q_REVIEW_HISTOGRAM] = "SELECT rating, COUNT(*) FROM reviews WHERE product_id = $1 "
                                   "AND status = 'published' GROUP BY rating",
    [CATALOG_Q_SHOP_ACTIVE] = "SELECT rating_sum, rating_count FROM shops WHERE id = $1 AND status = 'active'",
    [CATALOG_Q_SHOP_REVIEWS_NEWEST] =
        "SELECT " REVIEW_COLS REVIEW_FROM " WHERE r.shop_id = $1 AND r.status = 'published' "
        "AND (CAST($2 AS BIGINT) IS NULL OR " AFTER_NEWEST("2", "3") ") "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT $4",
    [CATALOG_Q_SHOP_REVIEW_HISTOGRAM] = "SELECT rating, COUNT(*) FROM reviews WHERE shop_id = $1 "
                                        "AND status = 'published' GROUP BY rating",
    /* $2 = 1: an admin sees any review; others a published review of an active product. */
    [CATALOG_Q_REVIEW_GET] = "SELECT " REVIEW_COLS REVIEW_FROM " JOIN products p ON p.id = r.product_id "
                             "JOIN shops s ON s.id = p.shop_id WHERE r.id = $1 AND ((r.status = 'published' "
                             "AND p.status = 'active' AND s.status = 'active') OR CAST($2 AS BIGINT) = 1)",
    [CATALOG_Q_REVIEW_LOCK] = "SELECT product_id, shop_id, rating, status FROM reviews WHERE id = $1 FOR UPDATE",
    [CATALOG_Q_REVIEW_SET_STATUS] = "UPDATE reviews SET status = $2, updated_at = $3 WHERE id = $1",
    /* Ownership and "once" in the statement itself: $2 must be the review's seller, no reply yet. */
    [CATALOG_Q_REVIEW_REPLY] = "UPDATE reviews SET seller_reply = $3, reply_at = $4, updated_at = $4 "
                               "WHERE id = $1 AND seller_id = $2 AND seller_reply IS NULL AND status <> 'removed'",
    [CATALOG_Q_REVIEW_REPLY_STATE] = "SELECT seller_id, CASE WHEN seller_reply IS NULL THEN 0 ELSE 1 END, status "
                                     "FROM reviews WHERE id = $1",

    /*-------------------------------------------------------------------------
     * Wishlists
     */
    [CATALOG_Q_WISHLIST_INSERT] = "INSERT INTO wishlists (user_id, product_id, created_at) VALUES ($1, $2, $3) "
                                  "ON CONFLICT DO NOTHING",
    [CATALOG_Q_WISHLIST_ADDED_AT] = "SELECT created_at FROM wishlists WHERE user_id = $1 AND product_id = $2",
    [CATALOG_Q_WISHLIST_DELETE] = "DELETE FROM wishlists WHERE user_id = $1 AND product_id = $2",
    [CATALOG_Q_PRODUCT_WISHLIST_ADD] = "UPDATE products SET wishlist_count = wishlist_count + CAST($2 AS BIGINT) "
                                       "WHERE id = $1",
    /* A second statement so the one formula reads the counter just written. */
    [CATALOG_Q_PRODUCT_POPULARITY] = "UPDATE products SET popularity = " PRODUCTS_POPULARITY_SQL " WHERE id = $1",
    /* Only public products (as the cards): a page is full even when some listed products were archived. */
    [CATALOG_Q_WISHLIST_PAGE] =
        "SELECT w.product_id, w.created_at FROM wishlists w JOIN products p ON p.id = w.product_id "
        "JOIN shops s ON s.id = p.shop_id WHERE w.user_id = $1 AND p.status = 'active' AND s.status = 'active' "
        "AND (CAST($2 AS BIGINT) IS NULL OR w.created_at < $2 "
        "OR (w.created_at = $2 AND w.product_id < $3)) ORDER BY w.created_at DESC, w.product_id DESC LIMIT $4",

    /* Account erasure ($1 user): counters first, while the rows still say which products. */
    [CATALOG_Q_WISHLIST_ERASE_COUNTS] = "UPDATE products SET wishlist_count = wishlist_count - 1 "
                                        "WHERE id IN (SELECT product_id FROM wishlists WHERE user_id = $1)",
    [CATALOG_Q_WISHLIST_ERASE_POPULARITY] = "UPDATE products SET popularity = " PRODUCTS_POPULARITY_SQL
                                            " WHERE id IN (SELECT product_id FROM wishlists WHERE user_id = $1)",
    [CATALOG_Q_WISHLIST_ERASE] = "DELETE FROM wishlists WHERE user_id = $1",

    /*-------------------------------------------------------------------------
     * Shared
     */
    [CATALOG_Q_AUDIT_INSERT] = "INSERT INTO audit_log (id, actor_id, action, target_type, target_id, data, ip, "
                               "request_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
};

const char *catalog__sql(enum catalog_query q)
{
    return sql[q];
}
