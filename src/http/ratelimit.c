/*
 * ratelimit.c — rate-limit policies, the in-process bucket store, and the
 * pipeline step that answers 429.
 *
 * GCRA in one paragraph: with quota q per window W, one request "costs"
 * the emission interval T = W / q. A bucket keeps tat, the instant at which
 * it would be full again. A request at `now` is allowed when
 * max(tat, now) + T - now <= W (the debt after it fits in one window), and
 * then tat becomes max(tat, now) + T. Remaining requests are
 * (W - (tat - now)) / T; the bucket is full again at tat; a refused client
 * may retry at tat + T - W. All integers (microseconds), so no drift and no
 * starvation of the refill under a steady stream of requests.
 *
 * The store: RL_SHARDS shards, each a chained hash table plus an LRU list
 * under one mutex. Every take() first drops a few full buckets from the
 * cold end of the LRU list (full = tat <= now: identical to absent), so
 * memory returns to normal after an attack; inserting into a shard at its
 * bound drops its least recently used bucket even if not full, which at
 * worst gives that client a fresh quota. The bound is what keeps memory
 * flat under a flood from many addresses.
 *
 * Routes outside /api/ (probes, metrics) are never limited: a load
 * balancer polling /readyz must not be refused.
 *
 * Caveats: quotas are capped at 10 million per window (integer range).
 * Keys longer than RL_KEY_MAX are truncated (ours are well below it).
 */
#include "http/ratelimit.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "http/errors.h"
#include "http/http_int.h"

/*-----------------------------------------------------------------------------
 * Policies
 */
static const struct rl_policy policies[] = {
    /* name             per IP         per user */
    {"default",         {300, 60},     {600, 60}},
    {"auth_login",      {10, 60},      {0, 0}},
    {"auth_register",   {5, 60},       {0, 0}},
    {"auth_password",   {5, 60},       {0, 0}},
    {"auth_refresh",    {30, 60},      {0, 0}},
    {"unlimited",       {0, 0},        {0, 0}},
};

const struct rl_policy *ratelimit_policy(const char *name)
{
    if (name == NULL)
        name = "default";
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++)
        if (strcmp(policies[i].name, name) == 0)
            return &policies[i];
    return NULL;
}

#define RL_QUOTA_MAX INT64_C(10000000)

/*-----------------------------------------------------------------------------
 * GCRA on one bucket
 */

/* Apply one request to *tat_us; fills *out. Pure: the unit tests call it directly. */
static void gcra_take(int64_t *tat_us, const struct rl_limit *lim, int64_t now_ms, struct rl_result *out)
{
    int64_t q = lim->quota < 1 ? 1 : (lim->quota > RL_QUOTA_MAX ? RL_QUOTA_MAX : lim->quota);
    int64_t w = (lim->window_s < 1 ? 1 : lim->window_s) * 1000000;
    int64_t t = w / q;
    if (t < 1)
        t = 1;
    w = t * q; /* the window the arithmetic really uses, so remaining never rounds past q */
    int64_t now = now_ms * 1000;
    int64_t tat = *tat_us > now ? *tat_us : now;
    int64_t new_tat = tat + t;
    if (new_tat - now > w) {
        out->allowed = false;
        out->remaining = 0;
        out->retry_after_s = (new_tat - w - now + 999999) / 1000000;
        if (out->retry_after_s < 1)
            out->retry_after_s = 1;
        out->reset_s = (tat - now + 999999) / 1000000;
        return;
    }
    *tat_us = new_tat;
    out->allowed = true;
    out->remaining = (w - (new_tat - now)) / t;
    out->retry_after_s = 0;
    out->reset_s = (new_tat - now + 999999) / 1000000;
}

/*-----------------------------------------------------------------------------
 * The in-process store
 */
#define RL_SHARDS 32
#define RL_KEY_MAX 128
#define RL_SWEEP_PER_TAKE 4

struct mem_bucket {
    struct mem_bucket *hnext;
    struct mem_bucket *newer, *older; /* LRU list */
    uint64_t hash;
    int64_t tat_us;
    char key[];
};

struct mem_shard {
    pthread_mutex_t mu;
    struct mem_bucket **slots;
    size_t nslots; /* power of two */
    size_t count, max;
    struct mem_bucket *newest, *oldest;
};

struct mem_store {
    struct ratelimit_store base;
    struct mem_shard shards[RL_SHARDS];
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static void lru_unlink(struct mem_shard *sh, struct mem_bucket *b)
{
    if (b->newer)
        b->newer->older = b->older;
    else
        sh->newest = b->older;
    if (b->older)
        b->older->newer = b->newer;
    else
        sh->oldest = b->newer;
    b->newer = b->older = NULL;
}

static void lru_push_newest(struct mem_shard *sh, struct mem_bucket *b)
{
    b->older = sh->newest;
    b->newer = NULL;
    if (sh->newest)
        sh->newest->newer = b;
    sh->newest = b;
    if (sh->oldest == NULL)
        sh->oldest = b;
}

static void bucket_remove(struct mem_shard *sh, struct mem_bucket *b)
{
    struct mem_bucket **pp = &sh->slots[(b->hash >> 5) & (sh->nslots - 1)];
    while (*pp != b)
        pp = &(*pp)->hnext;
    *pp = b->hnext;
    lru_unlink(sh, b);
    sh->count--;
    free(b);
}

/* Drop up to n full buckets from the cold end; stops at the first that still holds state. */
static void sweep(struct mem_shard *sh, int64_t now_us, int n)
{
    while (n-- > 0 && sh->oldest != NULL && sh->oldest->tat_us <= now_us)
        bucket_remove(sh, sh->oldest);
}

static int mem_take(struct ratelimit_store *st, const char *key, const struct rl_limit *lim, int64_t now_ms,
                    struct rl_result *out)
{
    struct mem_store *ms = (struct mem_store *)st;
    char k[RL_KEY_MAX + 1];
    snprintf(k, sizeof k, "%s", key);
    uint64_t h = fnv1a(k);
    /* Low bits pick the shard, the next bits the slot: independent enough for FNV. */
    struct mem_shard *sh = &ms->shards[h % RL_SHARDS];
    pthread_mutex_lock(&sh->mu);
    sweep(sh, now_ms * 1000, RL_SWEEP_PER_TAKE);
    struct mem_bucket **slot = &sh->slots[(h >> 5) & (sh->nslots - 1)];
    struct mem_bucket *b = *slot;
    while (b != NULL && !(b->hash == h && strcmp(b->key, k) == 0))
        b = b->hnext;
    if (b == NULL) {
        if (sh->count >= sh->max) {
            sweep(sh, now_ms * 1000, (int)sh->count);
            if (sh->count >= sh->max)
                bucket_remove(sh, sh->oldest);
            slot = &sh->slots[(h >> 5) & (sh->nslots - 1)];
        }
        size_t klen = strlen(k);
        b = xcalloc(1, sizeof *b + klen + 1);
        memcpy(b->key, k, klen + 1);
        b->hash = h;
        b->hnext = *slot;
        *slot = b;
        sh->count++;
    } else {
        lru_unlink(sh, b);
    }
    lru_push_newest(sh, b);
    gcra_take(&b->tat_us, lim, now_ms, out);
    pthread_mutex_unlock(&sh->mu);
    return 0;
}

static size_t mem_count(struct ratelimit_store *st)
{
    struct mem_store *ms = (struct mem_store *)st;
    size_t n = 0;
    for (int i = 0; i < RL_SHARDS; i++) {
        pthread_mutex_lock(&ms->shards[i].mu);
        n += ms->shards[i].count;
        pthread_mutex_unlock(&ms->shards[i].mu);
    }
    return n;
}

static void mem_destroy(struct ratelimit_store *st)
{
    struct mem_store *ms = (struct mem_store *)st;
    if (ms == NULL)
        return;
    for (int i = 0; i < RL_SHARDS; i++) {
        struct mem_shard *sh = &ms->shards[i];
        for (struct mem_bucket *b = sh->newest, *next; b != NULL; b = next) {
            next = b->older;
            free(b);
        }
        free(sh->slots);
        pthread_mutex_destroy(&sh->mu);
    }
    free(ms);
}

struct ratelimit_store *ratelimit_memory_store_new(size_t max_buckets)
{
    if (max_buckets == 0)
        max_buckets = 100000;
    struct mem_store *ms = xcalloc(1, sizeof *ms);
    ms->base.take = mem_take;
    ms->base.count = mem_count;
    ms->base.destroy = mem_destroy;
    size_t per = (max_buckets + RL_SHARDS - 1) / RL_SHARDS;
    size_t nslots = 16;
    while (nslots < per)
        nslots *= 2;
    for (int i = 0; i < RL_SHARDS; i++) {
        struct mem_shard *sh = &ms->shards[i];
        pthread_mutex_init(&sh->mu, NULL);
        sh->max = per;
        sh->nslots = nslots;
        sh->slots = xcalloc(nslots, sizeof *sh->slots);
    }
    return &ms->base;
}

/*-----------------------------------------------------------------------------
 * The limiter
 */
struct ratelimiter *ratelimit_new(const struct app *app)
{
    const struct config *cfg = app->cfg;
    for (size_t i = 0; i < app->nmodules; i++) {
        const struct service_module *m = app->modules[i];
        for (size_t j = 0; j < m->nroutes; j++)
            if (ratelimit_policy(m->routes[j].rate_policy) == NULL) {
                log_error("unknown rate-limit policy", "module %s, route %s: \"%s\"", m->name, m->routes[j].path,
                          m->routes[j].rate_policy);
                return NULL;
            }
    }
    struct ratelimiter *rl = xcalloc(1, sizeof *rl);
    char why[160];
    if (ratelimit_parse_cidrs(cfg->trusted_proxies, &rl->trusted, &rl->ntrusted, why, sizeof why) != 0) {
        log_error("bad trusted_proxies", "%s", why);
        free(rl);
        return NULL;
    }
    rl->enabled = cfg->rate_limits;
    rl->scale = cfg->rate_limit_scale > 0 ? cfg->rate_limit_scale : 1;
    if (app->shared_ratelimit_store != NULL) {
        /* Shared buckets: a limit hit on one instance counts on all of them. */
        rl->store = app->shared_ratelimit_store(app);
        if (rl->store == NULL) {
            free(rl->trusted);
            free(rl);
            return NULL;
        }
        return rl;
    }
    rl->store = ratelimit_memory_store_new((size_t)(cfg->rate_limit_buckets > 0 ? cfg->rate_limit_buckets : 0));
    return rl;
}

void ratelimit_free(struct ratelimiter *rl)
{
    if (rl == NULL)
        return;
    rl->store->destroy(rl->store);
    free(rl->trusted);
    free(rl);
}

/*-----------------------------------------------------------------------------
 * Client address behind trusted proxies
 */

/* Parse one address (no brackets, no port) into family/addr; v4-mapped IPv6 becomes IPv4. */
static bool parse_addr(const char *s, int *family, unsigned char addr[16])
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, s, buf) == 1) {
        *family = AF_INET;
        memcpy(addr, buf, 4);
        return true;
    }
    if (inet_pton(AF_INET6, s, buf) == 1) {
        if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)buf)) {
            *family = AF_INET;
            memcpy(addr, buf + 12, 4);
        } else {
            *family = AF_INET6;
            memcpy(addr, buf, 16);
        }
        return true;
    }
    return false;
}

int ratelimit_parse_cidrs(const char *list, struct rl_cidr **out, size_t *n, char *errbuf, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (list == NULL || list[0] == '\0')
        return 0;
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    struct rl_cidr *v = xcalloc(cap, sizeof *v);
    size_t k = 0;
    for (const char *p = list; *p != '\0';) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        size_t len = strcspn(p, ", ");
        char item[80];
        if (len >= sizeof item)
            len = sizeof item - 1;
        memcpy(item, p, len);
        item[len] = '\0';
        p += strcspn(p, ",");
        char *slash = strchr(item, '/');
        long bits = 0;
        bool bad = false;
        if (slash != NULL) {
            *slash = '\0';
            char *end;
            bits = strtol(slash + 1, &end, 10);
            bad = slash[1] == '\0' || *end != '\0' || bits < 0;
        }
        struct rl_cidr c = {0};
        int max = 0;
        if (parse_addr(item, &c.family, c.addr))
            max = c.family == AF_INET ? 32 : 128;
        if (max == 0 || bad || bits > max) {
            snprintf(errbuf, errlen, "\"%s%s%s\" is not an address or CIDR", item, slash ? "/" : "",
                     slash ? slash + 1 : "");
            free(v);
            return -1;
        }
        c.bits = slash != NULL ? (int)bits : max;
        v[k++] = c;
    }
    *out = v;
    *n = k;
    return 0;
}

static bool cidr_match(const struct rl_cidr *c, int family, const unsigned char *addr)
{
    if (c->family != family)
        return false;
    int full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, addr, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xFFu << (8 - rest));
    return (c->addr[full] & mask) == (addr[full] & mask);
}

static bool trusted_addr(const struct rl_cidr *t, size_t n, int family, const unsigned char *addr)
{
    for (size_t i = 0; i < n; i++)
        if (cidr_match(&t[i], family, addr))
            return true;
    return false;
}

void ratelimit_client_address(const struct rl_cidr *trusted, size_t ntrusted, const char *xff, int *family,
                              unsigned char addr[16])
{
    if (xff == NULL || ntrusted == 0 || !trusted_addr(trusted, ntrusted, *family, addr))
        return;
    /* Walk the list from the right: each hop was appended by the proxy to its right. */
    size_t end = strlen(xff);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
            a++;
        while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
            b--;
        char item[INET6_ADDRSTRLEN + 1];
        int f;
        unsigned char hop[16];
        if (b - a == 0 || b - a >= sizeof item)
            return; /* malformed: the last trusted hop stays the client */
        memcpy(item, xff + a, b - a);
        item[b - a] = '\0';
        if (!parse_addr(item, &f, hop))
            return;
        *family = f;
        memcpy(addr, hop, 16);
        if (!trusted_addr(trusted, ntrusted, f, hop))
            return; /* the first untrusted hop from the right is the client */
        end = start > 0 ? start - 1 : 0;
    }
}

/*-----------------------------------------------------------------------------
 * The pipeline step
 */

/*
 * The client address as text into ip (for req->client_ip), and the bucket
 * part into part (IPv6: its /64): the socket peer, or behind a trusted
 * proxy the client its X-Forwarded-For names (ratelimit_client_address).
 */
static void peer_address(struct req_ctx *c, char *ip, size_t ipcap, char *part, size_t partcap)
{
    snprintf(ip, ipcap, "unknown");
    snprintf(part, partcap, "unknown");
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    int family;
    unsigned char addr[16] = {0};
    if (sa->sa_family == AF_INET) {
        family = AF_INET;
        memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        family = IN6_IS_ADDR_V4MAPPED(a6) ? AF_INET : AF_INET6;
        memcpy(addr, family == AF_INET ? &a6->s6_addr[12] : a6->s6_addr, family == AF_INET ? 4 : 16);
    } else {
        return;
    }
    const struct ratelimiter *rl = c->srv->rl;
    if (rl != NULL && rl->ntrusted > 0)
        ratelimit_client_address(rl->trusted, rl->ntrusted,
                                 MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "X-Forwarded-For"), &family,
                                 addr);
    inet_ntop(family, addr, ip, (socklen_t)ipcap);
    if (family == AF_INET) {
        snprintf(part, partcap, "%s", ip);
        return;
    }
    unsigned char net[16];
    memcpy(net, addr, 8);
    memset(net + 8, 0, 8);
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, net, buf, sizeof buf);
    snprintf(part, partcap, "%s/64", buf);
}

static void answer_429(struct req_ctx *c, const char *item, const struct rl_result *r)
{
    struct request *req = &c->req;
    struct app_error err = {0};
    err.code = "rate_limited";
    err.msg = arena_sprintf(&c->arena, "too many requests (policy %s); retry in %lld s", item,
                            (long long)r->retry_after_s);
    char ra[24];
    snprintf(ra, sizeof ra, "%lld", (long long)r->retry_after_s);
    res_header(req, "Retry-After", ra);
    json_t *body = http_problem_json(&err, 429, req->path, req->request_id);
    json_object_set_new(body, "type", json_string("https://iana.org/assignments/http-problem-types#quota-exceeded"));
    json_object_set_new(body, "violated-policies", json_pack("[s]", item));
    req->content_type = "application/problem+json";
    res_json(req, 429, body);
}

int http__ratelimit(struct req_ctx *c, enum rl_scope scope)
{
    struct request *req = &c->req;
    struct ratelimiter *rl = c->srv->rl;
    char ip[INET6_ADDRSTRLEN + 8], part[INET6_ADDRSTRLEN + 8];
    if (scope == RL_BY_IP) {
        peer_address(c, ip, sizeof ip, part, sizeof part);
        req->client_ip = arena_strdup(&c->arena, ip);
    }
    if (rl == NULL || !rl->enabled || req->route == NULL || strncmp(req->route->path, "/api/", 5) != 0)
        return 0;
    const struct rl_policy *pol = ratelimit_policy(req->route->rate_policy);
    if (pol == NULL)
        return 0; /* refused at start-up; unreachable */
    struct rl_limit lim = scope == RL_BY_IP ? pol->ip : pol->user;
    if (lim.quota <= 0 || (scope == RL_BY_USER && req->user_id == NULL))
        return 0;
    lim.quota = lim.quota * rl->scale > RL_QUOTA_MAX ? RL_QUOTA_MAX : lim.quota * rl->scale;
    /* The policy item names the bucket: "default" (IP) and "default:user" (user). */
    const char *item = scope == RL_BY_IP ? pol->name : arena_sprintf(&c->arena, "%s:user", pol->name);
    char key[RL_KEY_MAX];
    snprintf(key, sizeof key, "%s|%s", item, scope == RL_BY_IP ? part : req->user_id);
    struct rl_result r = {0};
    if (rl->store->take(rl->store, key, &lim, time_now_ms(), &r) != 0) {
        log_warn("rate-limit store failed; request let through", "%s", key);
        return 0;
    }
    res_header(req, "RateLimit-Policy",
               arena_sprintf(&c->arena, "\"%s\";q=%lld;w=%lld", item, (long long)lim.quota, (long long)lim.window_s));
    res_header(req, "RateLimit",
               arena_sprintf(&c->arena, "\"%s\";r=%lld;t=%lld", item, (long long)r.remaining,
                             (long long)(r.allowed ? r.reset_s : r.retry_after_s)));
    if (r.allowed)
        return 0;
    answer_429(c, item, &r);
    return -1;
}
