/*
 * catalog_handlers.c — GET /categories: the category tree, rendered once
 * per version of the tree and reused (writes are in catalog_categories.c).
 *
 * The tree is built in one pass: rows come ordered by depth, so every
 * parent is seen before its children; nodes live in the request arena and
 * are written with the streaming JSON writer (no allocation per value).
 *
 * Caveats: a category whose parent is inactive is not shown (its subtree is
 * hidden with it).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "http/jsonw.h"
#include "platform/cache.h"
#include "platform/versions.h"
#include "services/catalog/catalog_int.h"

/* A category row in the request arena, linked to its children in display order. */
struct cat_node {
    const char *id, *slug, *name, *description, *path;
    int64_t depth;
    struct cat_node *first_child, *last_child, *next;
};

static struct cat_node *find_node(struct cat_node **nodes, size_t n, const char *id)
{
    /* Parents come earlier (rows are ordered by depth); scan backwards, most are near. */
    for (size_t i = n; i-- > 0;)
        if (strcmp(nodes[i]->id, id) == 0)
            return nodes[i];
    return NULL;
}

static void write_nodes(struct jsonw *w, const struct cat_node *n)
{
    jw_arr(w);
    for (; n != NULL; n = n->next) {
        jw_obj(w);
        jw_kstr(w, "id", n->id);
        jw_kstr(w, "slug", n->slug);
        jw_kstr(w, "name", n->name);
        jw_kstr(w, "description", n->description);
        jw_kstr(w, "path", n->path);
        jw_kint(w, "depth", n->depth);
        jw_key(w, "children");
        write_nodes(w, n->first_child);
        jw_end(w);
    }
    jw_end(w);
}

static int render_tree(struct request *req, struct jsonw *w, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, catalog__sql(CATALOG_Q_CATEGORY_TREE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    struct cat_node root = {0};
    size_t cap = 64, n = 0;
    struct cat_node **nodes = arena_array(req->arena, struct cat_node *, cap);
    int rc;
    while ((rc = db_step(st, &dberr)) == 1) {
        const char *parent_id = db_column_text(st, 1);
        struct cat_node *parent = parent_id == NULL ? &root : find_node(nodes, n, parent_id);
        if (parent == NULL)
            continue; /* under an inactive parent: hidden with it */
        struct cat_node *c = arena_new(req->arena, struct cat_node);
        c->id = arena_strdup(req->arena, db_column_text(st, 0));
        c->slug = arena_strdup(req->arena, db_column_text(st, 2));
        c->name = arena_strdup(req->arena, db_column_text(st, 3));
        c->description = arena_strdup(req->arena, db_column_text(st, 4));
        c->path = arena_strdup(req->arena, db_column_text(st, 6));
        c->depth = db_column_i64(st, 7);
        if (parent->last_child != NULL)
            parent->last_child->next = c;
        else
            parent->first_child = c;
        parent->last_child = c;
        if (n == cap) {
            struct cat_node **bigger = arena_array(req->arena, struct cat_node *, cap * 2);
            memcpy(bigger, nodes, n * sizeof *nodes);
            nodes = bigger;
            cap *= 2;
        }
        nodes[n++] = c;
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    jw_init(w, req->arena, 256 + n * 192);
    jw_obj(w);
    jw_key(w, "data");
    write_nodes(w, root.first_child);
    jw_end(w);
    return 0;
}

/*
 * Each request thread keeps the last rendering of the tree with the version
 * counter it was made at. A request reads the counter (one primary-key
 * lookup) and renders again only when it moved, so a change is visible on
 * the very next request while an unchanged tree is not rebuilt 40,000 times
 * a second. Per thread, so no lock; freed when the thread ends.
 */
struct tree_cache {
    int64_t version;
    char *body;
    size_t len;
};

/* Renderings of old versions are never read again; they just age out of the shared cache. */
#define TREE_SHARED_TTL_MS (10 * 60 * 1000)

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void free_cache(void *p)
{
    struct tree_cache *c = p;
    free(c->body);
    free(c);
}

static void make_cache_key(void)
{
    pthread_key_create(&cache_key, free_cache);
}

static struct tree_cache *thread_cache(void)
{
    pthread_once(&cache_once, make_cache_key);
    struct tree_cache *c = pthread_getspecific(cache_key);
    if (c == NULL) {
        c = xcalloc(1, sizeof *c);
        pthread_setspecific(cache_key, c);
    }
    return c;
}

int catalog_handle_list_categories(struct request *req, struct app_error *err)
{
    struct db_error dberr = {0};
    int64_t version;
    if (versions_get(req->db, "categories", &version, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    char etag[40];
    snprintf(etag, sizeof etag, "\"cat-%lld\"", (long long)version);
    res_header(req, "ETag", etag);
    res_header(req, "Cache-Control", "public, max-age=60");
    const char *inm = req_header(req, "If-None-Match");
    if (inm != NULL && strstr(inm, etag) != NULL) {
        res_empty(req, 304);
        return 0;
    }
    struct tree_cache *c = thread_cache();
    if (c->body == NULL || c->version != version) {
        /* Next, the shared cache (platform/cache.h: Redis across instances), keyed by the version, so a write
         * on any instance invalidates it everywhere; then render. */
        char key[48];
        snprintf(key, sizeof key, "catalog:tree:%lld", (long long)version);
        size_t len = 0;
        char *shared = cache_get(key, &len);
        if (shared == NULL) {
            struct jsonw w;
            if (render_tree(req, &w, err) != 0)
                return -1;
            shared = xmalloc(w.sb.len + 1);
            memcpy(shared, w.sb.data, w.sb.len);
            len = w.sb.len;
            cache_set(key, shared, len, TREE_SHARED_TTL_MS);
        }
        free(c->body);
        c->body = shared;
        c->len = len;
        c->version = version;
    }
    res_bytes(req, 200, "application/json", c->body, c->len);
    return 0;
}
