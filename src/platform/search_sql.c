/*
 * search_sql.c — the search index statements whose text is the same on
 * both engines. search_sqlite.c and search_pg.c hold only the ones that
 * differ (full-text matching, JSON unpacking, the typo-candidate ranges);
 * search__sql() takes the engine's text when it has one, else this one.
 */
#include "platform/search_int.h"

const char *const search__common_sql[SQ__COUNT] = {
    [SQ_PRODUCT] = "SELECT p.status, s.status, p.shop_id, p.title, p.description, p.popularity, s.name "
                   "FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.id = $1",
    [SQ_PRODUCT_TAGS] = "SELECT tag FROM product_tags WHERE product_id = $1",
    [SQ_PRODUCT_MATERIALS] = "SELECT material FROM product_materials WHERE product_id = $1",
    [SQ_DOC_DELETE] = "DELETE FROM search_docs WHERE product_id = $1",
    [SQ_SHOP_PRODUCTS] = "SELECT id FROM products WHERE shop_id = $1 AND status = 'active' "
                         "UNION SELECT product_id FROM search_docs WHERE shop_id = $1",

    [SQ_TERM_GET] = "SELECT docs FROM search_terms WHERE term = $1",
    [SQ_TERMS_BY_PREFIX] = "SELECT term, docs FROM search_terms WHERE term >= $1 AND term < $2 "
                           "AND length(term) BETWEEN $3 AND $4 LIMIT 2000",
    /* $1 (the plain suffix) is PostgreSQL's; SQLite scans the reversed terms. */
    [SQ_PHRASE_GET] = "SELECT id, docs, popularity, weight FROM search_phrases WHERE kind = $1 AND phrase = $2",
    [SQ_PHRASE_INSERT] = "INSERT INTO search_phrases (kind, phrase, display, docs, popularity, weight) "
                         "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    [SQ_PHRASE_UPDATE] = "UPDATE search_phrases SET docs = $2, popularity = $3, weight = $4 WHERE id = $1",
    [SQ_PHRASE_DELETE] = "DELETE FROM search_phrases WHERE id = $1",
    [SQ_PREFIXES_INSERT] = "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 12) "
                           "INSERT INTO search_prefixes (prefix, weight, phrase_id) "
                           "SELECT substr(CAST($1 AS TEXT), 1, n), CAST($2 AS BIGINT), CAST($3 AS BIGINT) FROM k "
                           "WHERE n <= length(CAST($1 AS TEXT))",
    [SQ_PREFIXES_DELETE] = "DELETE FROM search_prefixes WHERE weight = $2 AND phrase_id = $3 AND prefix IN "
                           "(WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 12) "
                           "SELECT substr(CAST($1 AS TEXT), 1, n) FROM k WHERE n <= length(CAST($1 AS TEXT)))",
    [SQ_SUGGEST_PREFIX] = "SELECT ph.display, ph.kind, ph.docs FROM search_prefixes x "
                          "JOIN search_phrases ph ON ph.id = x.phrase_id "
                          "WHERE x.prefix = $1 ORDER BY x.weight DESC, x.phrase_id DESC LIMIT $2",
    [SQ_SUGGEST_RANGE] = "SELECT display, kind, docs, weight, id FROM search_phrases "
                         "WHERE phrase >= $1 AND phrase < $2 ORDER BY phrase LIMIT 200",

    [SQ_CLEAR_DOCS] = "DELETE FROM search_docs",
    [SQ_CLEAR_TERMS] = "DELETE FROM search_terms",
    [SQ_CLEAR_PHRASES] = "DELETE FROM search_phrases",
    [SQ_CLEAR_PREFIXES] = "DELETE FROM search_prefixes",
    [SQ_PREFIXES_BULK] = "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 12) "
                         "INSERT INTO search_prefixes (prefix, weight, phrase_id) "
                         "SELECT substr(ph.phrase, 1, k.n), ph.weight, ph.id FROM search_phrases ph, k "
                         "WHERE k.n <= length(ph.phrase)",
};
