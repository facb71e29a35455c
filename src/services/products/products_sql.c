/*
 * products_sql.c — every static SQL statement of the products service.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters). Statements
 * whose text depends on the filter (GET /products) are composed from static
 * fragments in products_filter.c / products_list.c and interned there.
 * Ownership is part of each query (`WHERE id = $1 AND seller_id = $2`),
 * never checked after loading.
 */
#include "http/http.h"
#include "services/products/products_int.h"

#define P25                                                                                                            \
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, "       \
    "$24, $25"

static const char *const sql[PRODUCTS_Q__COUNT] = {
    /* $1..$25 product ids (unused: NULL) */
    [PRODUCTS_Q_CARDS] = "SELECT " PRODUCTS__CARD_COLS " FROM products p JOIN shops s ON s.id = p.shop_id "
                         /* `|| ''` keeps SQLite without statistics from driving this through the status
                            index (a scan of every active product) instead of the primary key. */
                         "WHERE p.id IN (" P25 ") AND p.status || '' = 'active' AND s.status || '' = 'active'",

    /* Detail. $1 product id. The stamp holds everything a cached rendering depends on that a writer outside
       this module may change without bumping products.rev (ratings, stock), plus both revs and the category
       tree's version (category names appear in the path). */
    [PRODUCTS_Q_DETAIL_STAMP] =
        "SELECT p.rev, p.status, p.seller_id, p.rating_sum, p.rating_count, p.stock, p.in_stock, s.rev, s.status, "
        "s.rating_sum, s.rating_count, (SELECT c.version FROM cache_versions c WHERE c.name = 'categories') "
        "FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.id = $1",
    [PRODUCTS_Q_DETAIL_PRODUCT] =
        "SELECT p.id, p.seller_id, p.category_id, p.slug, p.title, p.description, p.price_amount, p.currency, "
        "p.status, p.removed_reason, p.stock, p.made_to_order, p.processing_days, p.who_made, p.is_personalizable, "
        "p.weight_grams, p.tags, p.materials, p.rating_avg, p.rating_count, p.in_stock, p.published_at, "
        "p.created_at, p.updated_at, s.id, s.name, s.slug, s.rating_sum, s.rating_count, s.vacation_mode, "
        "s.vacation_message, s.accepts_custom_orders, s.policies, s.status, s.logo_media_id, s.country "
        "FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.id = $1",
    [PRODUCTS_Q_DETAIL_VARIANTS] =
        "SELECT id, name, sku, options, price_modifier_amount, stock, position FROM product_variants "
        "WHERE product_id = $1 AND is_active = 1 ORDER BY position, id",
    [PRODUCTS_Q_DETAIL_IMAGES] =
        "SELECT i.id, i.media_id, i.position, i.is_primary, i.alt_text, m.width, m.height "
        "FROM product_images i LEFT JOIN media_objects m ON m.id = i.media_id WHERE i.product_id = $1 "
        "ORDER BY i.position, i.id",
    [PRODUCTS_Q_DETAIL_QUESTIONS] =
        "SELECT id, position, prompt, kind, max_length, required FROM product_personalization_questions "
        "WHERE product_id = $1 ORDER BY position",
    /* $1 category id: it and its ancestors (their paths are prefixes of its path), root first. */
    [PRODUCTS_Q_CATEGORY_CHAIN] =
        "SELECT a.id, a.slug, a.name FROM categories c, categories a WHERE c.id = $1 AND "
        "(a.path = c.path OR substr(c.path, 1, length(a.path) + 1) = a.path || '/') ORDER BY a.depth",
    [PRODUCTS_Q_CATEGORY_ACTIVE] = "SELECT 1 FROM categories WHERE id = $1 AND is_active = 1",

    /* Writes. */
    [PRODUCTS_Q_SELLER_SHOP] = "SELECT id, status, currency FROM shops WHERE seller_id = $1",
    /* $1 product, $2 caller, $3 1 when the caller is an admin */
    [PRODUCTS_Q_LOCK] =
        "SELECT id, seller_id, shop_id, category_id, slug, title, description, price_amount, currency, status, "
        "removed_reason, stock, made_to_order, processing_days, who_made, weight_grams, tags, materials, "
        "published_at, is_personalizable FROM products "
        "WHERE id = $1 AND (seller_id = $2 OR CAST($3 AS INTEGER) = 1) FOR UPDATE",
    /* $1 shop, $2 slug, $3 the product itself (NULL on create) */
    [PRODUCTS_Q_SLUG_TAKEN] =
        "SELECT 1 FROM products WHERE shop_id = $1 AND slug = $2 AND (CAST($3 AS TEXT) IS NULL OR id <> $3)",
    [PRODUCTS_Q_INSERT] =
        "INSERT INTO products (id, seller_id, shop_id, category_id, slug, title, description, price_amount, currency, "
        "status, stock, made_to_order, processing_days, who_made, is_personalizable, weight_grams, tags, materials, "
        "published_at, created_at, updated_at, rev) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, 1)",
    /* $1 id, $2 seller (from the locked row), then every column */
    [PRODUCTS_Q_UPDATE] =
        "UPDATE products SET category_id = $3, slug = $4, title = $5, description = $6, price_amount = $7, "
        "currency = $8, status = $9, removed_reason = $10, stock = $11, made_to_order = $12, processing_days = $13, "
        "who_made = $14, is_personalizable = $15, weight_grams = $16, tags = $17, materials = $18, "
        "published_at = $19, updated_at = $20, rev = rev + 1 WHERE id = $1 AND seller_id = $2",
    [PRODUCTS_Q_REFRESH_STOCK] =
        "UPDATE products SET in_stock = CASE WHEN made_to_order = 1 OR stock > 0 OR EXISTS (SELECT 1 FROM "
        "product_variants v WHERE v.product_id = products.id AND v.is_active = 1 AND v.stock > 0) THEN 1 ELSE 0 END, "
        "rev = rev + 1 WHERE id = $1 RETURNING in_stock",
    [PRODUCTS_Q_DELETE_TAGS] = "DELETE FROM product_tags WHERE product_id = $1",
    [PRODUCTS_Q_INSERT_TAG] = "INSERT INTO product_tags (product_id, tag) VALUES ($1, $2)",
    [PRODUCTS_Q_DELETE_MATERIALS] = "DELETE FROM product_materials WHERE product_id = $1",
    [PRODUCTS_Q_INSERT_MATERIAL] = "INSERT INTO product_materials (product_id, material) VALUES ($1, $2)",
    [PRODUCTS_Q_VARIANT_IDS] = "SELECT id FROM product_variants WHERE product_id = $1",
    [PRODUCTS_Q_DELETE_VARIANT] = "DELETE FROM product_variants WHERE id = $1 AND product_id = $2",
    /* $1 id, $2 product, $3 name, $4 sku, $5 options, $6 modifier, $7 stock, $8 position, $9 now */
    [PRODUCTS_Q_UPDATE_VARIANT] =
        "UPDATE product_variants SET name = $3, sku = $4, options = $5, price_modifier_amount = $6, stock = $7, "
        "position = $8, is_active = 1, updated_at = $9 WHERE id = $1 AND product_id = $2",
    [PRODUCTS_Q_INSERT_VARIANT] =
        "INSERT INTO product_variants (id, product_id, name, sku, options, price_modifier_amount, stock, position, "
        "is_active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)",
    [PRODUCTS_Q_MIN_VARIANT_MODIFIER] =
        "SELECT MIN(price_modifier_amount) FROM product_variants WHERE product_id = $1 AND is_active = 1",
    [PRODUCTS_Q_DELETE_IMAGES] = "DELETE FROM product_images WHERE product_id = $1",
    /* $1 id, $2 product, $3 media, $4 position, $5 primary, $6 alt, $7 now */
    [PRODUCTS_Q_INSERT_IMAGE] =
        "INSERT INTO product_images (id, product_id, media_id, position, is_primary, alt_text, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
    /* $1 media, $2 the product's seller */
    [PRODUCTS_Q_MEDIA_USABLE] =
        "SELECT 1 FROM media_objects WHERE id = $1 AND owner_id = $2 AND kind IN ('product_image', 'other') "
        "AND status IN ('pending', 'ready')",
    [PRODUCTS_Q_DELETE_QUESTIONS] = "DELETE FROM product_personalization_questions WHERE product_id = $1",
    /* $1 id, $2 product, $3 position, $4 prompt, $5 kind, $6 max_length, $7 required, $8 now */
    [PRODUCTS_Q_INSERT_QUESTION] =
        "INSERT INTO product_personalization_questions (id, product_id, position, prompt, kind, max_length, "
        "required, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    [PRODUCTS_Q_TOUCH] = "UPDATE products SET rev = rev + 1 WHERE id = $1",

    /* Views. $1 product, $2 day (epoch ms of 00:00 UTC), $3 views */
    /* $1 user, $2 product, $3 views, $4 flush time: the recommendations' co-view input (0011_recs.sql);
       a user or product gone meanwhile is skipped rather than failing the batch on a foreign key. */
    [PRODUCTS_Q_VIEWS_USER] =
        "INSERT INTO product_user_views (user_id, product_id, view_count, last_at) SELECT $1, $2, "
        "CAST($3 AS BIGINT), CAST($4 AS BIGINT) WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) "
        "AND EXISTS (SELECT 1 FROM products WHERE id = $2) ON CONFLICT (user_id, product_id) DO UPDATE SET view_count = product_user_views.view_count + "
        "excluded.view_count, last_at = excluded.last_at",
    [PRODUCTS_Q_VIEWS_DAY] =
        "INSERT INTO product_views (product_id, day_at, view_count) VALUES ($1, $2, $3) "
        "ON CONFLICT (product_id, day_at) DO UPDATE SET view_count = product_views.view_count + excluded.view_count",
    /* $1 product, $2 views. SET expressions see the old row: the formula adds $2 to the old view_count. */
    [PRODUCTS_Q_VIEWS_TOTAL] =
        "UPDATE products SET view_count = view_count + $2, popularity = " PRODUCTS_POPULARITY_SQL " + $2 WHERE id = $1",
    [PRODUCTS_Q_AUDIT_INSERT] =
        "INSERT INTO audit_log (id, actor_id, action, target_type, target_id, data, ip, request_id, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
};

const char *products__sql(enum products_query q)
{
    return sql[q];
}
