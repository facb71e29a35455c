/*
 * catalog_categories.c — one category, and the admin writes: create, edit,
 * move, delete.
 *
 * The tree is stored as parent_id plus a materialised path of slugs
 * ("home-living/ceramics/vases") and a depth, so a subtree is one range of
 * paths. A slug change or a move therefore rewrites the path and depth of
 * the whole subtree, in one statement of the same transaction as the edit.
 *
 * Every write bumps the "categories" version counter as the first
 * statement of its transaction (platform/versions.h): readers of the cached tree see the
 * change on their next request, and on PostgreSQL the counter's row lock
 * serialises category writers, so two concurrent moves cannot each pass
 * the cycle check and together make a cycle (SQLite's BEGIN IMMEDIATE
 * already serialises them).
 *
 * Slugs are lowercase ASCII letters and digits joined by single hyphens:
 * they are URL segments and path segments, so '/' must never occur.
 *
 * Caveats: a category under an inactive parent is hidden from the public
 * (tree and GET) but keeps its own is_active; admins see every category.
 */
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "platform/versions.h"
#include "services/catalog/catalog_int.h"

static bool slug_valid(const char *s)
{
    bool after_sep = true; /* at the start or after '-': a letter or digit must follow */
    for (; *s != '\0'; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
            after_sep = false;
        else if (*s == '-' && !after_sep)
            after_sep = true;
        else
            return false;
    }
    return !after_sep;
}

static int check_slug(struct request *req, const char *slug, struct app_error *err)
{
    if (slug == NULL || slug_valid(slug))
        return 0;
    app_error_add_field(err, req->arena, "slug", "invalid_format",
                        "lowercase letters and digits, words joined by single hyphens (e.g. 'glass-art')");
    return app_error_set(err, req->arena, "validation_failed", "the slug '%s' is not valid", slug);
}

/*-----------------------------------------------------------------------------
 * Reading one category
 */

/* Write the category id (with ancestors and children) as a JSON object; not_found if hidden from the caller. */
static int write_category(struct request *req, struct jsonw *w, const char *id, bool admin, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, catalog__sql(CATALOG_Q_CATEGORY_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_I64(admin));
    int rc = db_step(st, &dberr);
    const char *path = NULL;
    jw_init(w, req->arena, 1024);
    if (rc == 1) {
        path = arena_strdup(req->arena, db_column_text(st, 5));
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kstr(w, "parent_id", db_column_text(st, 1));
        jw_kstr(w, "slug", db_column_text(st, 2));
        jw_kstr(w, "name", db_column_text(st, 3));
        jw_kstr(w, "description", db_column_text(st, 4));
        jw_kstr(w, "path", path);
        jw_kint(w, "depth", db_column_i64(st, 6));
        jw_kint(w, "position", db_column_i64(st, 7));
        jw_kbool(w, "is_active", db_column_i64(st, 8) != 0);
        jw_kstr(w, "created_at", req_time(req, db_column_i64(st, 9)));
        jw_kstr(w, "updated_at", req_time(req, db_column_i64(st, 10)));
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no category %s", id);

    bool hidden = false;
    st = db_prepare(req->db, catalog__sql(CATALOG_Q_CATEGORY_ANCESTORS), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(path));
    jw_key(w, "ancestors");
    jw_arr(w);
    while ((rc = db_step(st, &dberr)) == 1) {
        hidden |= db_column_i64(st, 3) == 0;
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kstr(w, "slug", db_column_text(st, 1));
        jw_kstr(w, "name", db_column_text(st, 2));
        jw_end(w);
    }
    jw_end(w);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (hidden && !admin)
        return app_error_set(err, req->arena, "not_found", "no category %s", id);

    st = db_prepare(req->db, catalog__sql(CATALOG_Q_CATEGORY_CHILDREN), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_I64(admin));
    jw_key(w, "children");
    jw_arr(w);
    while ((rc = db_step(st, &dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kstr(w, "slug", db_column_text(st, 1));
        jw_kstr(w, "name", db_column_text(st, 2));
        jw_kstr(w, "path", db_column_text(st, 3));
        jw_kint(w, "depth", db_column_i64(st, 4));
        jw_kint(w, "position", db_column_i64(st, 5));
        jw_kbool(w, "is_active", db_column_i64(st, 6) != 0);
        jw_end(w);
    }
    jw_end(w);
    jw_end(w);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    return 0;
}

int catalog_handle_get_category(struct request *req, struct app_error *err)
{
    struct jsonw w;
    if (write_category(req, &w, req_param(req, "id"), catalog__is_admin(req), err) != 0)
        return -1;
    res_jsonw(req, 200, &w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Create
 */
struct create_tx {
    struct request *req;
    const char *id;
    struct catalog_fail fail;
};

static int create_category(struct db *db, void *arg, struct db_error *dberr)
{
    struct create_tx *t = arg;
    struct request *req = t->req;
    json_t *b = req->json;
    const char *slug = json_string_value(json_object_get(b, "slug"));
    const char *parent_id = json_string_value(json_object_get(b, "parent_id"));
    const char *description = json_string_value(json_object_get(b, "description"));
    const char *path = slug;
    int64_t depth = 0;
    if (versions_bump(db, "categories", dberr) != 0)
        return -1;
    if (parent_id != NULL) {
        struct db_stmt *st = db_prepare(db, catalog__sql(CATALOG_Q_CATEGORY_BY_ID), dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(parent_id));
        int rc = db_step(st, dberr);
        if (rc == 1) {
            path = arena_sprintf(req->arena, "%s/%s", db_column_text(st, 1), slug);
            depth = db_column_i64(st, 2) + 1;
        }
        db_reset(st);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            t->fail = (struct catalog_fail){"validation_failed", "the parent category does not exist", "parent_id",
                                            "not_found"};
            return -1;
        }
    }
    struct db_param p[] = {DB_TEXT(t->id),
                           DB_TEXT(parent_id),
                           DB_TEXT(slug),
                           DB_TEXT(path),
                           DB_TEXT(json_string_value(json_object_get(b, "name"))),
                           DB_TEXT(description ? description : ""),
                           DB_I64(depth),
                           DB_I64(json_integer_value(json_object_get(b, "position"))),
                           DB_I64(time_now_ms())};
    if (db_exec(db, catalog__sql(CATALOG_Q_CATEGORY_INSERT), p, 9, dberr) < 0)
        return -1;
    return catalog__audit(db, req, "category.create", "category", t->id, NULL, dberr);
}

int catalog_handle_create_category(struct request *req, struct app_error *err)
{
    const char *slug = json_string_value(json_object_get(req->json, "slug"));
    if (check_slug(req, slug, err) != 0)
        return -1;
    struct create_tx t = {.req = req, .id = id_new(req->arena, "cat")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, create_category, &t, &dberr) != 0)
        return catalog__tx_error(req, &t.fail, &dberr, "already_exists",
                                 arena_sprintf(req->arena, "a category with slug '%s' already exists", slug), err);
    struct jsonw w;
    if (write_category(req, &w, t.id, true, err) != 0)
        return -1;
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/categories/%s", t.id));
    res_jsonw(req, 201, &w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Edit and move
 */
struct patch_tx {
    struct request *req;
    const char *id;
    struct catalog_fail fail;
};

/* True when path is root or lies inside the subtree rooted at root. */
static bool in_subtree(const char *path, const char *root)
{
    size_t n = strlen(root);
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int patch_category(struct db *db, void *arg, struct db_error *dberr)
{
    struct patch_tx *t = arg;
    struct request *req = t->req;
    json_t *b = req->json;
    if (versions_bump(db, "categories", dberr) != 0)
        return -1;

    struct db_stmt *st = db_prepare(db, catalog__sql(CATALOG_Q_CATEGORY_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->id));
    int rc = db_step(st, dberr);
    const char *old_parent = NULL, *old_slug = NULL, *old_path = NULL;
    int64_t old_depth = 0;
    if (rc == 1) {
        old_parent = arena_strdup(req->arena, db_column_text(st, 1));
        old_slug = arena_strdup(req->arena, db_column_text(st, 2));
        old_path = arena_strdup(req->arena, db_column_text(st, 3));
        old_depth = db_column_i64(st, 4);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        t->fail = (struct catalog_fail){"not_found", "no such category"};
        return -1;
    }

    const char *slug = json_string_value(json_object_get(b, "slug"));
    if (slug == NULL)
        slug = old_slug;
    /* Where the category hangs: unchanged unless parent_id is given (null: the root). */
    const char *parent = old_parent, *parent_path = NULL;
    int64_t depth = old_depth;
    json_t *pj = json_object_get(b, "parent_id");
    if (pj == NULL) {
        if (old_parent != NULL) {
            char *p = arena_strdup(req->arena, old_path), *slash = strrchr(p, '/');
            if (slash != NULL) { /* a child's path is "<parent path>/<slug>" */
                *slash = '\0';
                parent_path = p;
            }
        }
    } else if (json_is_null(pj)) {
        parent = NULL;
        depth = 0;
    } else {
        parent = json_string_value(pj);
        st = db_prepare(db, catalog__sql(CATALOG_Q_CATEGORY_BY_ID), dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(parent));
        rc = db_step(st, dberr);
        if (rc == 1) {
            parent_path = arena_strdup(req->arena, db_column_text(st, 1));
            depth = db_column_i64(st, 2) + 1;
        }
        db_reset(st);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            t->fail = (struct catalog_fail){"validation_failed", "the parent category does not exist", "parent_id",
                                            "not_found"};
            return -1;
        }
        if (in_subtree(parent_path, old_path)) {
            t->fail = (struct catalog_fail){"validation_failed",
                                            "a category cannot move under itself or one of its descendants",
                                            "parent_id", "cycle"};
            return -1;
        }
    }
    const char *path = parent_path ? arena_sprintf(req->arena, "%s/%s", parent_path, slug) : slug;

    json_t *pos = json_object_get(b, "position"), *active = json_object_get(b, "is_active");
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(t->id),
                           DB_TEXT(json_string_value(json_object_get(b, "name"))),
                           DB_TEXT(slug),
                           DB_TEXT(json_string_value(json_object_get(b, "description"))),
                           pos ? DB_I64(json_integer_value(pos)) : DB_NULL,
                           DB_TEXT(parent),
                           active ? DB_I64(json_is_true(active)) : DB_NULL,
                           DB_I64(now)};
    if (db_exec(db, catalog__sql(CATALOG_Q_CATEGORY_UPDATE), p, 8, dberr) < 0)
        return -1;
    if (strcmp(path, old_path) != 0) {
        struct db_param m[] = {DB_TEXT(path), DB_TEXT(old_path), DB_I64(depth - old_depth), DB_I64(now)};
        if (db_exec(db, catalog__sql(CATALOG_Q_CATEGORY_MOVE_SUBTREE), m, 4, dberr) < 0)
            return -1;
    }
    char *data = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    int r = catalog__audit(db, req, "category.update", "category", t->id, data, dberr);
    free(data);
    return r;
}

int catalog_handle_patch_category(struct request *req, struct app_error *err)
{
    const char *slug = json_string_value(json_object_get(req->json, "slug"));
    if (check_slug(req, slug, err) != 0)
        return -1;
    struct patch_tx t = {.req = req, .id = req_param(req, "id")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, patch_category, &t, &dberr) != 0)
        return catalog__tx_error(req, &t.fail, &dberr, "already_exists",
                                 slug ? arena_sprintf(req->arena, "a category with slug '%s' already exists", slug)
                                      : "a category with this path already exists",
                                 err);
    struct jsonw w;
    if (write_category(req, &w, t.id, true, err) != 0)
        return -1;
    res_jsonw(req, 200, &w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Delete
 */
struct delete_tx {
    struct request *req;
    const char *id;
    struct catalog_fail fail;
};

/* 1 when query q (one $1 = category id) returns a row, 0 when not, -1 on error. */
static int exists(struct db *db, enum catalog_query q, const char *id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, catalog__sql(q), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, dberr);
    db_reset(st);
    return rc;
}

static int delete_category(struct db *db, void *arg, struct db_error *dberr)
{
    struct delete_tx *t = arg;
    if (versions_bump(db, "categories", dberr) != 0)
        return -1;
    int rc = exists(db, CATALOG_Q_CATEGORY_LOCK, t->id, dberr);
    if (rc == 0)
        t->fail = (struct catalog_fail){"not_found", "no such category"};
    if (rc <= 0)
        return -1;
    rc = exists(db, CATALOG_Q_CATEGORY_HAS_CHILDREN, t->id, dberr);
    if (rc == 1)
        t->fail = (struct catalog_fail){"conflict", "the category has subcategories: move or delete them first"};
    if (rc != 0)
        return -1;
    rc = exists(db, CATALOG_Q_CATEGORY_HAS_PRODUCTS, t->id, dberr);
    if (rc == 1)
        t->fail = (struct catalog_fail){"conflict", "products are filed under the category: move them first"};
    if (rc != 0)
        return -1;
    struct db_param p[] = {DB_TEXT(t->id)};
    if (db_exec(db, catalog__sql(CATALOG_Q_CATEGORY_DELETE), p, 1, dberr) < 0)
        return -1;
    return catalog__audit(db, t->req, "category.delete", "category", t->id, NULL, dberr);
}

int catalog_handle_delete_category(struct request *req, struct app_error *err)
{
    struct delete_tx t = {.req = req, .id = req_param(req, "id")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, delete_category, &t, &dberr) != 0) {
        /* A product filed under it between the check and the delete: the foreign key refuses. */
        if (t.fail.code == NULL && dberr.kind == DB_E_FOREIGN)
            t.fail = (struct catalog_fail){"conflict", "the category is still referenced"};
        return catalog__tx_error(req, &t.fail, &dberr, NULL, NULL, err);
    }
    res_empty(req, 204);
    return 0;
}
