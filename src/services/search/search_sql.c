/*
 * search_sql.c — the search service's own statements (the index's SQL is in
 * src/platform/search_*.c). The same text runs on SQLite and PostgreSQL.
 */
#include "services/search/search_int.h"

#define P25                                                                                                            \
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, "       \
    "$24, $25"

static const char *const sql[SEARCH_Q__COUNT] = {
    /* Parenthesised: clang's -Wstring-concatenation takes a split literal in an array for a missing comma. */
    [SEARCH_Q_VERSIONS] =
        ("SELECT name, version FROM cache_versions WHERE name IN ('" SEARCH_VERSION_NAME "', 'categories')"),
    [SEARCH_Q_CATEGORIES] = "SELECT id, parent_id, name FROM categories",
    [SEARCH_Q_TEXTS] = "SELECT id, title, description FROM products WHERE id IN (" P25 ")",
    [SEARCH_Q_LOG_UPSERT] =
        "INSERT INTO search_queries (query_normalized, day_at, query_count, last_result_count, last_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (query_normalized, day_at) DO UPDATE SET "
        "query_count = search_queries.query_count + excluded.query_count, "
        "last_result_count = excluded.last_result_count, last_at = excluded.last_at",
    [SEARCH_Q_TRENDING_DAY] = "SELECT query_normalized, query_count FROM search_queries WHERE day_at = $1 "
                              "ORDER BY query_count DESC LIMIT $2",
};

const char *search__sql_text(enum search_svc_query q)
{
    return sql[q];
}
