/*
 * catalog_handlers.c — category endpoints.
 *
 * The tree is built in one pass: rows come ordered by depth, so every
 * parent is seen before its children; a small id → node table links them.
 *
 * Caveats: a category whose parent is inactive is not shown (its subtree is
 * hidden with it).
 */
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "services/catalog/catalog_int.h"

struct cat_node {
    const char *id;
    json_t *children;
};

static json_t *find_children(struct cat_node *nodes, size_t n, const char *id)
{
    for (size_t i = n; i-- > 0;)
        if (strcmp(nodes[i].id, id) == 0)
            return nodes[i].children;
    return NULL;
}

int catalog_handle_list_categories(struct request *req, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, catalog__sql(CATALOG_Q_CATEGORY_TREE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    json_t *roots = json_array();
    size_t cap = 64, n = 0;
    struct cat_node *nodes = arena_array(req->arena, struct cat_node, cap);
    int rc;
    while ((rc = db_step(st, &dberr)) == 1) {
        const char *parent = db_column_text(st, 1);
        json_t *siblings = parent == NULL ? roots : find_children(nodes, n, parent);
        if (siblings == NULL)
            continue;
        json_t *children = json_array();
        json_t *node = json_object();
        json_object_set_new(node, "id", json_string(db_column_text(st, 0)));
        json_object_set_new(node, "slug", json_string(db_column_text(st, 2)));
        json_object_set_new(node, "name", json_string(db_column_text(st, 3)));
        json_object_set_new(node, "description", json_string(db_column_text(st, 4)));
        json_object_set_new(node, "path", json_string(db_column_text(st, 6)));
        json_object_set_new(node, "depth", json_integer(db_column_i64(st, 7)));
        json_object_set(node, "children", children);
        json_array_append_new(siblings, node);
        if (n == cap) {
            struct cat_node *bigger = arena_array(req->arena, struct cat_node, cap * 2);
            memcpy(bigger, nodes, n * sizeof *nodes);
            nodes = bigger;
            cap *= 2;
        }
        nodes[n].id = arena_strdup(req->arena, db_column_text(st, 0));
        nodes[n].children = children;
        n++;
        json_decref(children);
    }
    db_reset(st);
    if (rc < 0) {
        json_decref(roots);
        return req_db_error(req, &dberr, err);
    }
    res_header(req, "Cache-Control", "public, max-age=60");
    res_json(req, 200, json_pack("{s:o}", "data", roots));
    return 0;
}

int catalog_handle_create_category(struct request *req, struct app_error *err)
{
    json_t *b = req->json;
    const char *name = json_string_value(json_object_get(b, "name"));
    const char *slug = json_string_value(json_object_get(b, "slug"));
    const char *parent_id = json_string_value(json_object_get(b, "parent_id"));
    const char *description = json_string_value(json_object_get(b, "description"));
    json_int_t position = json_integer_value(json_object_get(b, "position"));
    struct db_error dberr = {0};
    const char *path = slug;
    int64_t depth = 0;
    if (parent_id != NULL) {
        struct db_stmt *st = db_prepare(req->db, catalog__sql(CATALOG_Q_CATEGORY_BY_ID), &dberr);
        if (st == NULL)
            return req_db_error(req, &dberr, err);
        db_bind(st, 1, DB_TEXT(parent_id));
        int rc = db_step(st, &dberr);
        if (rc == 1) {
            path = arena_sprintf(req->arena, "%s/%s", db_column_text(st, 1), slug);
            depth = db_column_i64(st, 2) + 1;
        }
        db_reset(st);
        if (rc < 0)
            return req_db_error(req, &dberr, err);
        if (rc == 0) {
            app_error_add_field(err, req->arena, "parent_id", "not_found", "no such category");
            return app_error_set(err, req->arena, "validation_failed", "parent category %s does not exist",
                                 parent_id);
        }
    }
    const char *id = id_new(req->arena, "cat");
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(id),   DB_TEXT(parent_id), DB_TEXT(slug),     DB_TEXT(path),
                           DB_TEXT(name), DB_TEXT(description ? description : ""), DB_I64(depth),
                           DB_I64(position), DB_I64(now)};
    if (db_exec(req->db, catalog__sql(CATALOG_Q_CATEGORY_INSERT), p, 9, &dberr) < 0) {
        if (dberr.kind == DB_E_UNIQUE)
            return app_error_set(err, req->arena, "already_exists", "a category with slug '%s' already exists",
                                 slug);
        return req_db_error(req, &dberr, err);
    }
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/categories/%s", id));
    res_json(req, 201,
             json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s, s:I, s:I, s:[]}", "id", id, "parent_id", parent_id, "slug",
                       slug, "name", name, "description", description ? description : "", "path", path, "depth",
                       (json_int_t)depth, "position", position, "children"));
    return 0;
}
