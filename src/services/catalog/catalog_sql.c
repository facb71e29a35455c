/*
 * catalog_sql.c — every SQL statement of the catalog service.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters).
 */
#include "http/http.h"
#include "services/catalog/catalog_int.h"

static const char *const sql[CATALOG_Q__COUNT] = {
    [CATALOG_Q_CATEGORY_TREE] = "SELECT id, parent_id, slug, name, description, position, path, depth "
                                "FROM categories WHERE is_active = 1 ORDER BY depth, position, name",
    [CATALOG_Q_CATEGORY_BY_ID] = "SELECT id, path, depth FROM categories WHERE id = $1",
    [CATALOG_Q_CATEGORY_INSERT] =
        "INSERT INTO categories (id, parent_id, slug, path, name, description, depth, position, is_active, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)",
};

const char *catalog__sql(enum catalog_query q)
{
    return sql[q];
}
