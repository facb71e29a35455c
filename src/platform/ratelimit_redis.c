/*
 * ratelimit_redis.c — GCRA buckets in Redis, shared by every instance.
 *
 * One bucket is one key, "artistry:rl:<bucket key>", holding its TAT in
 * microseconds. One Lua script reads it, applies the same integer GCRA as
 * the in-process store (http/ratelimit.c, gcra_take) and writes it back
 * with a TTL of one window: after a window the bucket is full, which is
 * the same as absent, so Redis forgets idle buckets by itself. Redis runs
 * a script atomically, so concurrent requests on several instances never
 * both take the last unit.
 *
 * The script is called with EVALSHA (its SHA-1 computed here); a NOSCRIPT
 * answer (Redis restarted, or SCRIPT FLUSH) falls back to EVAL, which also
 * caches it again.
 *
 * Caveats: `now` comes from the calling instance's clock, so instances
 * should run NTP; a skew of s seconds lets a client gain about s/T
 * requests on the slower instance's buckets. Lua numbers are doubles:
 * exact up to 2^53 µs (year 2255). count() is not available (returns 0).
 */
#include "platform/ratelimit_redis.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "http/ratelimit.h"
#include "platform/redis.h"

#define KEY_PREFIX "artistry:rl:"
#define QUOTA_MAX INT64_C(10000000) /* as RL_QUOTA_MAX in http/ratelimit.c */

/* KEYS[1] bucket; ARGV: now (µs), emission interval T (µs), window W = T*q (µs), key TTL (ms). */
static const char script[] =
    "local now = tonumber(ARGV[1])\n"
    "local t = tonumber(ARGV[2])\n"
    "local w = tonumber(ARGV[3])\n"
    "local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0\n"
    "if tat < now then tat = now end\n"
    "local new_tat = tat + t\n"
    "if new_tat - now > w then\n"
    "  local retry = math.floor((new_tat - w - now + 999999) / 1000000)\n"
    "  if retry < 1 then retry = 1 end\n"
    "  return {0, 0, math.floor((tat - now + 999999) / 1000000), retry}\n"
    "end\n"
    "redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', ARGV[4])\n"
    "return {1, math.floor((w - (new_tat - now)) / t), math.floor((new_tat - now + 999999) / 1000000), 0}\n";

struct redis_store {
    struct ratelimit_store base;
    char sha[41];
};

static struct redis_log_gate gate;

static int parse_result(const redisReply *r, struct rl_result *out)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 4)
        return -1;
    for (size_t i = 0; i < 4; i++)
        if (r->element[i]->type != REDIS_REPLY_INTEGER)
            return -1;
    out->allowed = r->element[0]->integer != 0;
    out->remaining = r->element[1]->integer;
    out->reset_s = r->element[2]->integer;
    out->retry_after_s = r->element[3]->integer;
    return 0;
}

static int redis_take(struct ratelimit_store *st, const char *key, const struct rl_limit *lim, int64_t now_ms,
                      struct rl_result *out)
{
    struct redis_store *rs = (struct redis_store *)st;
    /* The same clamps as gcra_take, so both stores answer alike. */
    int64_t q = lim->quota < 1 ? 1 : (lim->quota > QUOTA_MAX ? QUOTA_MAX : lim->quota);
    int64_t window_s = lim->window_s < 1 ? 1 : lim->window_s;
    int64_t t = window_s * 1000000 / q;
    if (t < 1)
        t = 1;
    int64_t w = t * q;
    char k[256], a_now[24], a_t[24], a_w[24], a_ttl[24];
    int kl = snprintf(k, sizeof k, KEY_PREFIX "%s", key);
    if (kl < 0 || (size_t)kl >= sizeof k)
        kl = (int)sizeof k - 1;
    int l_now = snprintf(a_now, sizeof a_now, "%lld", (long long)(now_ms * 1000));
    int l_t = snprintf(a_t, sizeof a_t, "%lld", (long long)t);
    int l_w = snprintf(a_w, sizeof a_w, "%lld", (long long)w);
    int l_ttl = snprintf(a_ttl, sizeof a_ttl, "%lld", (long long)(window_s * 1000));
    const char *argv[8] = {"EVALSHA", rs->sha, "1", k, a_now, a_t, a_w, a_ttl};
    size_t lens[8] = {7, 40, 1, (size_t)kl, (size_t)l_now, (size_t)l_t, (size_t)l_w, (size_t)l_ttl};
    redisReply *r = redis_command_argv(8, argv, lens);
    if (r != NULL && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(r);
        argv[0] = "EVAL";
        lens[0] = 4;
        argv[1] = script;
        lens[1] = sizeof script - 1;
        r = redis_command_argv(8, argv, lens);
    }
    int rc = parse_result(r, out);
    if (rc != 0 && r != NULL)
        redis_log_limited(&gate, "rate limit: unexpected redis answer", r->type == REDIS_REPLY_ERROR ? r->str : NULL);
    if (r != NULL)
        freeReplyObject(r);
    return rc;
}

static size_t redis_count(struct ratelimit_store *st)
{
    (void)st;
    return 0;
}

static void redis_destroy(struct ratelimit_store *st)
{
    if (st == NULL)
        return;
    redis_release();
    free(st);
}

struct ratelimit_store *ratelimit_redis_store_new(const char *url, int timeout_ms)
{
    if (redis_acquire(url, timeout_ms) != 0)
        return NULL;
    struct redis_store *rs = xcalloc(1, sizeof *rs);
    rs->base.take = redis_take;
    rs->base.count = redis_count;
    rs->base.destroy = redis_destroy;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(script, sizeof script - 1, md, &mdlen, EVP_sha1(), NULL);
    for (unsigned int i = 0; i < mdlen && i < 20; i++)
        snprintf(rs->sha + 2 * i, 3, "%02x", md[i]);
    return &rs->base;
}
