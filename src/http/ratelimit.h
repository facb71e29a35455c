/*
 * ratelimit.h — per-route rate limits: named policies, a bucket store, and
 * the two pipeline steps (per client IP, per signed-in user).
 *
 * A policy (static table in ratelimit.c) gives a quota per window for the
 * client IP and, optionally, for the user; a route names its policy in
 * struct route.rate_policy (NULL: "default"). Each (policy, IP) and
 * (policy, user) pair is one bucket in a struct ratelimit_store.
 *
 * Buckets use GCRA (the "generic cell rate algorithm"), which is a token
 * bucket of capacity `quota` refilled at quota/window, stored as one
 * integer: the theoretical arrival time (TAT) of the next request. A bucket
 * whose TAT is in the past is full, which is exactly the state of a bucket
 * that does not exist, so idle buckets can be dropped without losing
 * anything.
 *
 * The store is an interface so that a shared store (Redis, issue 6) can
 * replace the in-process one: take() is the only operation the pipeline
 * needs, and GCRA fits in one Lua script over one key.
 *
 * The client IP is the socket peer, or, when the peer is one of the
 * trusted_proxies, the rightmost X-Forwarded-For hop that is not itself a
 * trusted proxy (any client can send the header, so only what trusted hops
 * appended is believed). IPv6 clients are bucketed by their /64, which is
 * what one subscriber usually gets.
 */
#ifndef ARTISTRY_HTTP_RATELIMIT_H
#define ARTISTRY_HTTP_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct req_ctx;

/** One bucket shape: `quota` requests per `window_s` seconds (quota 0: no bucket). */
struct rl_limit {
    int64_t quota;
    int64_t window_s;
};

/** A named policy: one bucket per client IP and one per signed-in user. */
struct rl_policy {
    const char *name;
    struct rl_limit ip;
    struct rl_limit user;
};

/** Outcome of one take(). */
struct rl_result {
    bool allowed;
    int64_t remaining;     /* requests left in the window after this one */
    int64_t reset_s;       /* seconds until the bucket is full again (ceil) */
    int64_t retry_after_s; /* when refused: seconds until one request is allowed (>= 1) */
};

/**
 * Where buckets live. take() consumes one unit from the bucket `key`
 * shaped by *lim at time now_ms, filling *out. Returns 0, or -1 if the
 * store failed (the caller then lets the request through: a broken store
 * must not take the site down). Thread-safe.
 */
struct ratelimit_store {
    int (*take)(struct ratelimit_store *st, const char *key, const struct rl_limit *lim, int64_t now_ms,
                struct rl_result *out);
    /** Number of buckets held (for tests and metrics); may be approximate. */
    size_t (*count)(struct ratelimit_store *st);
    void (*destroy)(struct ratelimit_store *st);
};

/**
 * The in-process store: a hash table split into shards, each with its own
 * mutex, holding at most max_buckets buckets in total (0: 100000). Full
 * (idle) buckets are swept as new ones arrive; when a shard is still at its
 * bound, its least recently used bucket is dropped. Release with
 * st->destroy(st).
 */
struct ratelimit_store *ratelimit_memory_store_new(size_t max_buckets);

/** The policy named `name` (NULL: "default"), or NULL if there is none. */
const struct rl_policy *ratelimit_policy(const char *name);

/** A rate limiter: the store, the scale and whether limits are on. */
/** An address block: family AF_INET or AF_INET6, the first `bits` bits of addr. */
struct rl_cidr {
    int family;
    unsigned char addr[16];
    int bits;
};

struct ratelimiter {
    struct ratelimit_store *store;
    int64_t scale; /* quotas are multiplied by this (tests, big deployments) */
    bool enabled;
    struct rl_cidr *trusted; /* trusted_proxies */
    size_t ntrusted;
};

/**
 * Parse "a.b.c.d[/n], x:y::z[/n], …" into a new array (*out, *n). Returns 0,
 * or -1 naming the bad item in errbuf. An empty string gives an empty list.
 */
int ratelimit_parse_cidrs(const char *list, struct rl_cidr **out, size_t *n, char *errbuf, size_t errlen);

/**
 * The client address of a request that came from peer (family, 4 or 16
 * bytes) with the X-Forwarded-For value xff (may be NULL): the peer unless
 * it is a trusted proxy; else the rightmost address of xff that is not
 * trusted (the leftmost if all are). A malformed entry stops the walk and
 * the last trusted hop is the client, so nothing unparsed is believed.
 * The result is written to *family / addr.
 */
void ratelimit_client_address(const struct rl_cidr *trusted, size_t ntrusted, const char *xff, int *family,
                              unsigned char addr[16]);

/**
 * Build the limiter from app->cfg (rate_limits, rate_limit_scale,
 * rate_limit_buckets) and check that every route of every mounted module
 * names a known policy. Returns NULL (logged) on an unknown policy. The
 * caller owns the result; release with ratelimit_free().
 */
struct ratelimiter *ratelimit_new(const struct app *app);
void ratelimit_free(struct ratelimiter *rl);

/** Which bucket a pipeline step takes from. */
enum rl_scope { RL_BY_IP, RL_BY_USER };

/**
 * Pipeline step (dispatch.c): take one unit from the request's IP bucket
 * (RL_BY_IP; also fills req->client_ip) or user bucket (RL_BY_USER; a no-op
 * without a user). Adds RateLimit-Policy / RateLimit fields to the
 * response. Returns 0 to go on, or -1 when the request has been answered
 * 429 (Retry-After, problem+json with "violated-policies").
 */
int http__ratelimit(struct req_ctx *c, enum rl_scope scope);

#endif
