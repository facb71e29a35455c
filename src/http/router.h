/*
 * router.h — match a method and path against the mounted route tables.
 *
 * Route tables are compiled at start-up into a segment trie: each node has
 * literal children and at most one parameter child (":name"). Matching
 * prefers a literal segment and falls back to the parameter, backtracking
 * when the literal branch dead-ends, so "/products/featured" and
 * "/products/:id" coexist. A path that matches with no route for the method
 * reports the allowed methods (405 + Allow).
 *
 * Caveats: paths are matched segment by segment as MHD delivers them
 * (already percent-decoded); empty segments ("//", a trailing "/") never match.
 */
#ifndef ARTISTRY_HTTP_ROUTER_H
#define ARTISTRY_HTTP_ROUTER_H

#include <stddef.h>

struct route;
struct router;

#define ROUTER_MAX_PARAMS 8

/** The outcome of a match. */
struct route_match {
    const struct route *route; /* NULL: no route for this method */
    unsigned allowed;          /* methods with a route at this path (0: path unknown) */
    int route_index;           /* dense index of the route, for metrics; -1 if none */
    int nparams;
    const char *param_names[ROUTER_MAX_PARAMS];
    const char *param_values[ROUTER_MAX_PARAMS]; /* point into the scratch buffer given to router_match */
};

/** Create an empty router. */
struct router *router_new(void);
void router_free(struct router *r);

/**
 * Add n routes (kept by pointer: the table must outlive the router).
 * Returns 0, or -1 with a message in errbuf if a route is malformed or a
 * method+path pair is declared twice.
 */
int router_add(struct router *r, const struct route *routes, size_t n, char *errbuf, size_t errlen);

/** Number of routes added; route indexes run 0..count-1. */
int router_count(const struct router *r);

/** The route with a given dense index. */
const struct route *router_route_at(const struct router *r, int index);

/**
 * Match method (one enum http_method bit) and path. scratch (cap bytes) holds
 * the copies of parameter values. Returns 0 when the path is known (then
 * m->route may still be NULL if the method is not allowed), -1 when unknown.
 * Thread-safe once built.
 */
int router_match(const struct router *r, unsigned method, const char *path, char *scratch, size_t cap,
                 struct route_match *m);

/** Parse an HTTP method name; 0 if unknown. */
unsigned http_method_parse(const char *s);
/** Name of a single method bit. */
const char *http_method_name(unsigned m);
/** Write "GET, HEAD, POST" for a method mask into buf. */
void http_methods_format(unsigned mask, char *buf, size_t cap);

#endif
