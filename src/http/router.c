/*
 * router.c — segment trie over the route tables.
 *
 * Nodes are heap-allocated at start-up and never change afterwards, so
 * matching needs no locks. Each node keeps, per method bit, the route
 * declared for it.
 *
 * Caveats: at most ROUTER_MAX_PARAMS parameters per path; a parameter
 * child's name must be the same in every route that shares the node
 * ("/a/:id" and "/a/:slug/b" are refused as ambiguous).
 */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "http/http.h"

#define NMETHODS 7

struct node {
    char *seg; /* literal segment, or parameter name for param nodes */
    struct node **lit;
    size_t nlit;
    struct node *param;
    const struct route *routes[NMETHODS];
    int index[NMETHODS];
};

struct router {
    struct node root;
    const struct route **all;
    int count, cap;
};

static const char *const method_names[NMETHODS] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

static int method_slot(unsigned m)
{
    for (int i = 0; i < NMETHODS; i++)
        if (m == (1u << i))
            return i;
    return -1;
}

unsigned http_method_parse(const char *s)
{
    for (int i = 0; i < NMETHODS; i++)
        if (strcmp(s, method_names[i]) == 0)
            return 1u << i;
    return 0;
}

const char *http_method_name(unsigned m)
{
    int i = method_slot(m);
    return i < 0 ? "?" : method_names[i];
}

void http_methods_format(unsigned mask, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < NMETHODS; i++) {
        if (!(mask & (1u << i)))
            continue;
        int n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", method_names[i]);
        if (n < 0 || (size_t)n >= cap - len)
            break;
        len += (size_t)n;
    }
}

struct router *router_new(void)
{
    struct router *r = xcalloc(1, sizeof *r);
    return r;
}

static void node_free(struct node *n)
{
    for (size_t i = 0; i < n->nlit; i++) {
        node_free(n->lit[i]);
        free(n->lit[i]);
    }
    free(n->lit);
    if (n->param != NULL) {
        node_free(n->param);
        free(n->param);
    }
    free(n->seg);
}

void router_free(struct router *r)
{
    if (r == NULL)
        return;
    node_free(&r->root);
    free(r->all);
    free(r);
}

int router_count(const struct router *r)
{
    return r->count;
}

const struct route *router_route_at(const struct router *r, int index)
{
    return index >= 0 && index < r->count ? r->all[index] : NULL;
}

static struct node *child_lit(struct node *n, const char *seg, size_t len, int create)
{
    for (size_t i = 0; i < n->nlit; i++)
        if (strlen(n->lit[i]->seg) == len && memcmp(n->lit[i]->seg, seg, len) == 0)
            return n->lit[i];
    if (!create)
        return NULL;
    n->lit = xrealloc(n->lit, (n->nlit + 1) * sizeof *n->lit);
    struct node *c = xcalloc(1, sizeof *c);
    c->seg = xmalloc(len + 1);
    memcpy(c->seg, seg, len);
    c->seg[len] = '\0';
    n->lit[n->nlit++] = c;
    return c;
}

static int add_one(struct router *r, const struct route *rt, char *eb, size_t el)
{
    const char *p = rt->path;
    int slot = method_slot(rt->method);
    if (slot < 0 || p == NULL || p[0] != '/' || rt->handler == NULL) {
        snprintf(eb, el, "route %s: bad method, path or handler", p ? p : "(null)");
        return -1;
    }
    struct node *n = &r->root;
    int nparams = 0;
    if (strcmp(p, "/") == 0)
        p++; /* the root itself */
    while (*p == '/') {
        p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0) {
            snprintf(eb, el, "route %s: empty segment", rt->path);
            return -1;
        }
        if (p[0] == ':') {
            if (++nparams > ROUTER_MAX_PARAMS) {
                snprintf(eb, el, "route %s: too many parameters", rt->path);
                return -1;
            }
            if (n->param == NULL) {
                n->param = xcalloc(1, sizeof *n->param);
                n->param->seg = xmalloc(len);
                memcpy(n->param->seg, p + 1, len - 1);
                n->param->seg[len - 1] = '\0';
            } else if (strlen(n->param->seg) != len - 1 || memcmp(n->param->seg, p + 1, len - 1) != 0) {
                snprintf(eb, el, "route %s: parameter :%.*s conflicts with :%s", rt->path, (int)len - 1, p + 1,
                         n->param->seg);
                return -1;
            }
            n = n->param;
        } else {
            n = child_lit(n, p, len, 1);
        }
        p += len;
    }
    if (n->routes[slot] != NULL) {
        snprintf(eb, el, "route %s %s declared twice", method_names[slot], rt->path);
        return -1;
    }
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->all = xrealloc(r->all, (size_t)r->cap * sizeof *r->all);
    }
    n->routes[slot] = rt;
    n->index[slot] = r->count;
    r->all[r->count++] = rt;
    return 0;
}

int router_add(struct router *r, const struct route *routes, size_t n, char *eb, size_t el)
{
    for (size_t i = 0; i < n; i++)
        if (add_one(r, &routes[i], eb, el) != 0)
            return -1;
    return 0;
}

static unsigned node_mask(const struct node *n)
{
    unsigned mask = 0;
    for (int i = 0; i < NMETHODS; i++)
        if (n->routes[i] != NULL)
            mask |= 1u << i;
    return mask;
}

/* Recursive match with backtracking; returns the terminal node or NULL. */
static const struct node *walk(const struct node *n, const char *p, struct route_match *m, char **scratch,
                               size_t *left)
{
    if (*p == '\0')
        return node_mask(n) ? n : NULL;
    if (*p != '/')
        return NULL;
    p++;
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == 0)
        return NULL;
    for (size_t i = 0; i < n->nlit; i++) {
        const struct node *c = n->lit[i];
        if (strncmp(c->seg, p, len) == 0 && c->seg[len] == '\0') {
            const struct node *t = walk(c, p + len, m, scratch, left);
            if (t != NULL)
                return t;
            break;
        }
    }
    if (n->param != NULL && m->nparams < ROUTER_MAX_PARAMS && len < *left) {
        int k = m->nparams++;
        char *v = *scratch;
        memcpy(v, p, len);
        v[len] = '\0';
        *scratch += len + 1;
        *left -= len + 1;
        m->param_names[k] = n->param->seg;
        m->param_values[k] = v;
        const struct node *t = walk(n->param, p + len, m, scratch, left);
        if (t != NULL)
            return t;
        m->nparams--;
        *scratch -= len + 1;
        *left += len + 1;
    }
    return NULL;
}

int router_match(const struct router *r, unsigned method, const char *path, char *scratch, size_t cap,
                 struct route_match *m)
{
    memset(m, 0, sizeof *m);
    m->route_index = -1;
    const struct node *n = NULL;
    if (path[0] != '/')
        n = NULL;
    else if (path[1] == '\0')
        n = node_mask(&r->root) ? &r->root : NULL;
    else
        n = walk(&r->root, path, m, &scratch, &cap);
    if (n == NULL) {
        m->nparams = 0;
        return -1;
    }
    m->allowed = node_mask(n);
    /* HEAD is served by the GET route; MHD drops the body. */
    if ((m->allowed & HTTP_GET) != 0)
        m->allowed |= HTTP_HEAD;
    unsigned want = method;
    if (method == HTTP_HEAD && n->routes[method_slot(HTTP_HEAD)] == NULL)
        want = HTTP_GET;
    int slot = method_slot(want);
    if (slot >= 0 && n->routes[slot] != NULL) {
        m->route = n->routes[slot];
        m->route_index = n->index[slot];
    }
    return 0;
}
