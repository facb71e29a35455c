/*
 * search_sqlite.c — the SQLite engine of the search index: SQL over
 * search_docs, the external-content FTS5 table search_fts and the
 * suggestion tables (migrations/0006_search.sqlite.sql).
 *
 * Ranking is FTS5's bm25() with column weights
 *   title 10, tags 6, materials 4, shop name 2.5, description 1,
 * negated so that higher is better. The ranked subquery runs first and
 * alone (ORDER BY score LIMIT cap) so the joins to products and shops touch
 * only the candidates that are kept.
 *
 * Caveats: an external-content FTS5 table must be told the old column
 * values to delete a row (SQ_FTS_DELETE); search.c reads them from
 * search_docs before changing it. Never delete from search_docs without it.
 */
#include "platform/search_int.h"

/* Statements whose text is the same on both engines are in search_sql.c; search_pg.c repeats this macro. */
#define DOC_COLS                                                                                                       \
    "product_id, shop_id, title, tags, materials, shop_name, description, tag_values, material_values, "               \
    "title_phrase, shop_phrase, popularity, updated_at"

const char *const search__sqlite_sql[SQ__COUNT] = {
    [SQ_DOC_GET] = "SELECT docno, title, tags, materials, shop_name, description, tag_values, material_values, "
                   "title_phrase, shop_phrase, popularity FROM search_docs WHERE product_id = $1",
    [SQ_DOC_UPSERT] = "INSERT INTO search_docs (" DOC_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                      "$12, $13) ON CONFLICT (product_id) DO UPDATE SET shop_id = excluded.shop_id, "
                      "title = excluded.title, tags = excluded.tags, materials = excluded.materials, "
                      "shop_name = excluded.shop_name, description = excluded.description, "
                      "tag_values = excluded.tag_values, material_values = excluded.material_values, "
                      "title_phrase = excluded.title_phrase, shop_phrase = excluded.shop_phrase, "
                      "popularity = excluded.popularity, updated_at = excluded.updated_at RETURNING docno",
    [SQ_FTS_INSERT] = "INSERT INTO search_fts (rowid, title, tags, materials, shop_name, description) "
                      "VALUES ($1, $2, $3, $4, $5, $6)",
    [SQ_FTS_DELETE] = "INSERT INTO search_fts (search_fts, rowid, title, tags, materials, shop_name, description) "
                      "VALUES ('delete', $1, $2, $3, $4, $5, $6)",

    [SQ_TERMS_ADD] = "INSERT INTO search_terms (term, rterm, docs) SELECT json_extract(value, '$[0]'), "
                     "json_extract(value, '$[1]'), 1 FROM json_each($1) WHERE 1 "
                     "ON CONFLICT (term) DO UPDATE SET docs = search_terms.docs + 1",
    [SQ_TERMS_SUB] = "UPDATE search_terms SET docs = docs - 1 "
                     "WHERE term IN (SELECT json_extract(value, '$[0]') FROM json_each($1))",
    [SQ_TERMS_PURGE] = "DELETE FROM search_terms WHERE docs <= 0 "
                       "AND term IN (SELECT json_extract(value, '$[0]') FROM json_each($1))",
    [SQ_TERMS_BY_SUFFIX] = "SELECT term, docs FROM search_terms WHERE rterm >= $4 AND rterm < $5 "
                           "AND length(term) BETWEEN $2 AND $3 LIMIT 2000",

    [SQ_MATCH] = "SELECT d.product_id, -m.score, p.category_id, p.seller_id, p.price_amount, p.rating_avg, "
                 "p.rating_count, p.popularity, COALESCE(p.published_at, p.created_at), "
                 "CASE WHEN p.in_stock = 1 AND s.vacation_mode = 0 THEN 1 ELSE 0 END, "
                 "d.tag_values, d.material_values "
                 "FROM (SELECT rowid AS docno, bm25(search_fts, 10.0, 6.0, 4.0, 2.5, 1.0) AS score "
                 "      FROM search_fts WHERE search_fts MATCH $1 ORDER BY score LIMIT $2) m "
                 "JOIN search_docs d ON d.docno = m.docno "
                 "JOIN products p ON p.id = d.product_id "
                 "JOIN shops s ON s.id = p.shop_id "
                 "WHERE p.status = 'active' AND s.status = 'active' ORDER BY m.score, d.product_id",

    [SQ_CLEAR_FTS] = "INSERT INTO search_fts (search_fts) VALUES ('delete-all')",
    [SQ_REBUILD_PAGE] = "SELECT p.id, p.shop_id, p.title, p.description, p.popularity, s.name, "
                        "(SELECT group_concat(t.tag, char(10)) FROM product_tags t WHERE t.product_id = p.id), "
                        "(SELECT group_concat(m.material, char(10)) FROM product_materials m "
                        " WHERE m.product_id = p.id) "
                        /* CROSS JOIN and "+": walk products in id order by its primary key (no sort per page) */
                        "FROM products p CROSS JOIN shops s ON s.id = p.shop_id "
                        "WHERE +p.status = 'active' AND s.status = 'active' AND p.id > $1 ORDER BY p.id LIMIT $2",
    /* In-process, a prepared insert per row is cheaper than unpacking JSON. */
    [SQ_DOCS_BULK] = NULL,
    [SQ_FTS_REBUILD] = "INSERT INTO search_fts (search_fts) VALUES ('rebuild')",
    [SQ_TERMS_BULK] = "INSERT INTO search_terms (term, rterm, docs) SELECT json_extract(value, '$[0]'), "
                      "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each($1)",
    [SQ_PHRASES_BULK] = "INSERT INTO search_phrases (kind, phrase, display, docs, popularity, weight) "
                        "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
                        "json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), "
                        "json_extract(value, '$[5]') FROM json_each($1)",
};
