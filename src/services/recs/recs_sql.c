/*
 * recs_sql.c — every SQL statement of the recommendations service.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters). Parameters
 * used in arithmetic are written CAST($n AS BIGINT) so PostgreSQL can type
 * them. Keyset scans compare row values ((a, b) > ($1, $2)), which both
 * engines support.
 *
 * Public products are p.status = 'active' in a shop whose status is
 * 'active', the condition of the product cards.
 *
 * Caveats: sqrt() is a built-in of PostgreSQL and of SQLite builds with the
 * math functions (Debian's, SQLite >= 3.35 configured by default); a build
 * without them fails the start-up SQL check, not a request.
 */
#include "services/recs/recs_int.h"

#define PAID_STATUSES "('paid', 'processing', 'shipped', 'delivered', 'completed', 'partially_refunded')"
#define PUBLIC_P " p.status = 'active' AND s.status = 'active' "

/* The user's signals: the model's rows (weight 1..3). */
#define MINE_CTE "mine AS (SELECT product_id, weight FROM recs_interactions WHERE user_id = $1)"

static const char *const sql[RECS_Q__COUNT] = {
    /*-------------------------------------------------------------------------
     * Updater
     */
    [RECS_Q_LOCK] = "UPDATE recs_state SET value = value + 1 WHERE name = 'lock'",
    [RECS_Q_STATE_GET] = "SELECT value FROM recs_state WHERE name = $1",
    [RECS_Q_STATE_SET] = "UPDATE recs_state SET value = $2 WHERE name = $1 AND value < $2",
    /* Each scan returns (user, product, time, key) after the keyset ($1 time, $2 key), oldest first. */
    [RECS_Q_SCAN_ORDERS] = "SELECT o.buyer_id, oi.product_id, o.paid_at, oi.id FROM orders o "
                           "JOIN order_items oi ON oi.order_id = o.id "
                           "WHERE o.paid_at >= $1 AND (o.paid_at, oi.id) > ($1, $2) AND o.status IN " PAID_STATUSES
                           " ORDER BY o.paid_at, oi.id LIMIT $3",
    [RECS_Q_SCAN_WISHLISTS] = "SELECT user_id, product_id, created_at, user_id || ':' || product_id FROM wishlists "
                              "WHERE created_at >= $1 AND (created_at, user_id || ':' || product_id) > ($1, $2) "
                              "ORDER BY created_at, user_id || ':' || product_id LIMIT $3",
    [RECS_Q_SCAN_VIEWS] = "SELECT user_id, product_id, last_at, user_id || ':' || product_id FROM product_user_views "
                          "WHERE last_at >= $1 AND (last_at, user_id || ':' || product_id) > ($1, $2) "
                          "ORDER BY last_at, user_id || ':' || product_id LIMIT $3",
    [RECS_Q_INTER_GET] = "SELECT weight FROM recs_interactions WHERE user_id = $1 AND product_id = $2",
    [RECS_Q_INTER_UPSERT] = "INSERT INTO recs_interactions (user_id, product_id, weight, updated_at) "
                            "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, product_id) DO UPDATE SET "
                            "weight = excluded.weight, updated_at = excluded.updated_at",
    /* The user's most recent products other than $2: the window a new signal pairs with. */
    [RECS_Q_INTER_NEIGHBOURS] = "SELECT product_id, weight FROM recs_interactions WHERE user_id = $1 AND "
                                "product_id <> $2 ORDER BY updated_at DESC, product_id LIMIT $3",
    [RECS_Q_PAIR_ADD] = "INSERT INTO recs_pairs (product_id, other_id, co) VALUES ($1, $2, $3) "
                        "ON CONFLICT (product_id, other_id) DO UPDATE SET co = recs_pairs.co + excluded.co",
    [RECS_Q_STATS_ADD] = "INSERT INTO recs_item_stats (product_id, total) VALUES ($1, $2) "
                         "ON CONFLICT (product_id) DO UPDATE SET total = recs_item_stats.total + excluded.total",
    /* A product whose total changed: its list and its partners' lists are recomputed. */
    [RECS_Q_DIRTY_MARK] = "INSERT INTO recs_dirty (product_id, expand) VALUES ($1, 1) "
                          "ON CONFLICT (product_id) DO UPDATE SET expand = 1",
    [RECS_Q_DIRTY_EXPAND] = "INSERT INTO recs_dirty (product_id, expand) SELECT DISTINCT pr.other_id, 0 FROM recs_dirty d "
                            "JOIN recs_pairs pr ON pr.product_id = d.product_id WHERE d.expand = 1 "
                            "ON CONFLICT (product_id) DO NOTHING",
    [RECS_Q_DIRTY_EXPANDED] = "UPDATE recs_dirty SET expand = 0 WHERE expand = 1",
    /* The last id of the next chunk of $1 dirty products. */
    [RECS_Q_DIRTY_BOUND] = "SELECT MAX(product_id) FROM (SELECT product_id FROM recs_dirty WHERE expand = 0 "
                           "ORDER BY product_id LIMIT $1) c",
    [RECS_Q_NB_CLEAR] = "DELETE FROM recs_neighbours WHERE product_id IN (SELECT product_id FROM recs_dirty "
                        "WHERE expand = 0 AND product_id <= $1)",
    /* Each dirty product's $2 best partners by co / sqrt(total(p) * total(q)), ties by id. */
    [RECS_Q_NB_FILL] =
        "INSERT INTO recs_neighbours (product_id, other_id, score, category_id) "
        "SELECT r.product_id, r.other_id, r.score, p.category_id FROM (SELECT pr.product_id, pr.other_id, "
        "pr.co / sqrt(CAST(sp.total AS DOUBLE PRECISION) * sq.total) AS score, ROW_NUMBER() OVER (PARTITION BY "
        "pr.product_id ORDER BY pr.co / sqrt(CAST(sp.total AS DOUBLE PRECISION) * sq.total) DESC, pr.other_id) AS rn "
        "FROM recs_dirty d JOIN recs_pairs pr ON pr.product_id = d.product_id "
        "JOIN recs_item_stats sp ON sp.product_id = pr.product_id JOIN recs_item_stats sq ON sq.product_id = pr.other_id "
        "WHERE d.expand = 0 AND d.product_id <= $1 AND sp.total > 0 AND sq.total > 0) r "
        "JOIN products p ON p.id = r.other_id WHERE r.rn <= $2",
    [RECS_Q_DIRTY_DONE] = "DELETE FROM recs_dirty WHERE expand = 0 AND product_id <= $1",
    [RECS_Q_TREND_CLEAR] = "DELETE FROM recs_trending",
    /* Points: view 1, wishlist 5, unit sold 20 (the popularity formula's weights), times
       100 * (window - age) / window: linear decay to zero over the window ($1), now $2. */
    [RECS_Q_TREND_FILL] =
        "INSERT INTO recs_trending (product_id, score, pos, category_id) SELECT x.product_id, x.score, "
        "ROW_NUMBER() OVER (ORDER BY x.score DESC, x.product_id DESC), p.category_id FROM (SELECT product_id, "
        "SUM(pts) AS score FROM ("
        "SELECT product_id, view_count * 100 * (CAST($1 AS BIGINT) - (CAST($2 AS BIGINT) - day_at)) / $1 AS pts "
        "FROM product_views WHERE day_at > $2 - $1 "
        "UNION ALL SELECT product_id, 500 * ($1 - ($2 - created_at)) / $1 FROM wishlists WHERE created_at > $2 - $1 "
        "UNION ALL SELECT oi.product_id, 2000 * oi.quantity * ($1 - ($2 - o.paid_at)) / $1 FROM orders o "
        "JOIN order_items oi ON oi.order_id = o.id WHERE o.paid_at > $2 - $1 AND o.status IN " PAID_STATUSES
        ") y GROUP BY product_id HAVING SUM(pts) > 0) x JOIN products p ON p.id = x.product_id",

    /*-------------------------------------------------------------------------
     * Reads
     */
    [RECS_Q_PRODUCT_PUBLIC] = "SELECT p.rev FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.id = $1 AND" PUBLIC_P,
    /* Content neighbours: score = 3 same category + 2 per shared tag + 2 per shared material + 1 within half
       to twice the price, ties by popularity. Candidates (each an index range, bounded): the 1000 most popular
       active products of the category, and every product of each of the target's tags and materials that has
       at most 2000 products (a longer list, a generic attribute like "handmade", adds no candidates, but
       still counts in the score of the others); the 300 with the most weight from those lists are scored
       exactly. */
    [RECS_Q_SIMILAR] =
        "WITH t AS (SELECT id, category_id, price_amount FROM products WHERE id = $1), "
        "tt AS (SELECT tag FROM product_tags WHERE product_id = $1), "
        "tm AS (SELECT material FROM product_materials WHERE product_id = $1), "
        "hits AS (SELECT id, 3 AS w FROM (SELECT p.id FROM products p WHERE p.category_id = (SELECT category_id "
        "FROM t) AND p.status = 'active' ORDER BY p.popularity DESC, p.id DESC LIMIT 1000) c "
        "UNION ALL SELECT x.product_id, 2 FROM tt JOIN product_tags x ON x.tag = tt.tag WHERE NOT EXISTS (SELECT 1 "
        "FROM product_tags y WHERE y.tag = tt.tag ORDER BY y.product_id LIMIT 1 OFFSET 2000) "
        "UNION ALL SELECT x.product_id, 2 FROM tm JOIN product_materials x ON x.material = tm.material WHERE NOT "
        "EXISTS (SELECT 1 FROM product_materials y WHERE y.material = tm.material ORDER BY y.product_id LIMIT 1 "
        "OFFSET 2000)), "
        "cand AS (SELECT id FROM hits GROUP BY id ORDER BY SUM(w) DESC, id LIMIT 300) "
        "SELECT id, same_cat, tags, mats, band, 3 * same_cat + 2 * tags + 2 * mats + band AS score FROM ("
        "SELECT p.id, p.popularity, CASE WHEN p.category_id = t.category_id THEN 1 ELSE 0 END AS same_cat, "
        "(SELECT COUNT(*) FROM product_tags x WHERE x.product_id = p.id AND x.tag IN (SELECT tag FROM tt)) AS tags, "
        "(SELECT COUNT(*) FROM product_materials x WHERE x.product_id = p.id AND x.material IN "
        "(SELECT material FROM tm)) AS mats, "
        "CASE WHEN p.price_amount * 2 >= t.price_amount AND p.price_amount <= t.price_amount * 2 THEN 1 ELSE 0 END "
        "AS band FROM cand JOIN products p ON p.id = cand.id JOIN shops s ON s.id = p.shop_id CROSS JOIN t "
        "WHERE p.id <> t.id AND" PUBLIC_P ") x ORDER BY score DESC, popularity DESC, id LIMIT $2 OFFSET $3",
    /* Item-to-item CF over the neighbour lists: score(q) = sum over the user's p of weight(p) * score(p, q)
       (score(p, q) = co / sqrt(total(p) total(q)), kept for p's best RECS_NEIGHBOURS), times 1 + the share of
       the user's weight in q's category (the content signal). Bought or wishlisted products are left out.
       The $3 best are ranked from the lists alone; only they are checked against products (public). */
    [RECS_Q_FOR_ME] =
        "WITH " MINE_CTE ", tot AS (SELECT SUM(weight) AS w FROM mine), "
        "cats AS (SELECT p.category_id, SUM(m.weight) AS w FROM mine m JOIN products p ON p.id = m.product_id "
        "GROUP BY p.category_id), "
        "cf AS (SELECT n.other_id AS id, MAX(n.category_id) AS category_id, SUM(m.weight * n.score) AS s "
        "FROM mine m JOIN recs_neighbours n ON n.product_id = m.product_id GROUP BY n.other_id), "
        "top AS (SELECT cf.id, cf.s * (1.0 + CAST(COALESCE(c.w, 0) AS DOUBLE PRECISION) / tot.w) AS score "
        "FROM cf CROSS JOIN tot LEFT JOIN cats c ON c.category_id = cf.category_id "
        "WHERE NOT EXISTS (SELECT 1 FROM mine m WHERE m.product_id = cf.id AND m.weight >= 2) "
        "ORDER BY score DESC, cf.id LIMIT $3) "
        "SELECT top.id, top.score, (SELECT COUNT(*) FROM top) AS ranked FROM top CROSS JOIN products p "
        "CROSS JOIN shops s WHERE p.id = top.id AND s.id = p.shop_id AND" PUBLIC_P "ORDER BY top.score DESC, top.id LIMIT $2",
    /* The user's categories (the model's rows and the wishlist, which counts before the updater saw it). */
    [RECS_Q_USER_CATS] =
        "SELECT DISTINCT p.category_id FROM (SELECT product_id FROM recs_interactions WHERE user_id = $1 "
        "UNION ALL SELECT product_id FROM wishlists WHERE user_id = $1) m JOIN products p ON p.id = m.product_id "
        "WHERE p.category_id IS NOT NULL",
    /* (CROSS JOIN: SQLite keeps that join order, so the scan follows the trending index and stops at the
       limit; PostgreSQL reads it as an inner join.) */
    /* Fill: the most trending products (pos <= $4) of category $2, public, not bought or wishlisted by
       user $1, $3 at most, best first (one index range); FILL_ALL: of any category ($2 at most, pos <= $3). */
    [RECS_Q_FILL_CAT] =
        "SELECT t.product_id, t.score, t.pos FROM recs_trending t CROSS JOIN products p CROSS JOIN shops s "
        "WHERE p.id = t.product_id AND s.id = p.shop_id AND t.category_id = $2 AND t.pos <= $4 AND" PUBLIC_P
        "AND NOT EXISTS (SELECT 1 FROM recs_interactions i WHERE i.user_id = $1 AND i.product_id = t.product_id "
        "AND i.weight >= 2) AND NOT EXISTS (SELECT 1 FROM wishlists w WHERE w.user_id = $1 AND "
        "w.product_id = t.product_id) ORDER BY t.pos LIMIT $3",
    [RECS_Q_FILL_ALL] =
        "SELECT t.product_id, t.score, t.pos FROM recs_trending t CROSS JOIN products p CROSS JOIN shops s "
        "WHERE p.id = t.product_id AND s.id = p.shop_id AND t.pos <= $3 AND" PUBLIC_P
        "AND NOT EXISTS (SELECT 1 FROM recs_interactions i WHERE i.user_id = $1 AND i.product_id = t.product_id "
        "AND i.weight >= 2) AND NOT EXISTS (SELECT 1 FROM wishlists w WHERE w.user_id = $1 AND "
        "w.product_id = t.product_id) ORDER BY t.pos LIMIT $2",
    [RECS_Q_TRENDING] = "SELECT p.id, t.score FROM recs_trending t CROSS JOIN products p CROSS JOIN shops s "
                        "WHERE p.id = t.product_id AND s.id = p.shop_id AND" PUBLIC_P
                        "ORDER BY t.pos LIMIT $1 OFFSET $2",
    /* The category and its subtree (paths compared with substr, as the catalog does). */
    [RECS_Q_TRENDING_CATEGORY] =
        "SELECT p.id, t.score FROM recs_trending t JOIN products p ON p.id = t.product_id "
        "JOIN shops s ON s.id = p.shop_id JOIN categories cd ON cd.id = p.category_id "
        "JOIN categories cr ON cr.id = $3 WHERE" PUBLIC_P
        "AND (cd.path = cr.path OR substr(cd.path, 1, length(cr.path) + 1) = cr.path || '/') "
        "ORDER BY t.pos LIMIT $1 OFFSET $2",
};

const char *recs__sql(enum recs_query q)
{
    return sql[q];
}
