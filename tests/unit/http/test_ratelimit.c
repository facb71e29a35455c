/*
 * test_ratelimit.c — GCRA bucket math and the in-process bucket store.
 *
 * Includes the .c to reach gcra_take(); times are given explicitly, so no
 * test sleeps.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>

#include "../../../src/http/ratelimit.c"

static const struct rl_limit ten_per_min = {10, 60};

Test(ratelimit, policies_table)
{
    const struct rl_policy *d = ratelimit_policy(NULL);
    cr_assert(d != NULL && strcmp(d->name, "default") == 0);
    cr_assert_eq(d->ip.quota, 300);
    cr_assert_eq(d->user.quota, 600);
    cr_assert_eq(ratelimit_policy("auth_login")->ip.quota, 10);
    cr_assert_eq(ratelimit_policy("auth_register")->ip.quota, 5);
    cr_assert(ratelimit_policy("no_such_policy") == NULL);
}

Test(ratelimit, burst_then_refuse)
{
    int64_t tat = 0, now = 1700000000000;
    struct rl_result r;
    for (int i = 0; i < 10; i++) {
        gcra_take(&tat, &ten_per_min, now, &r);
        cr_assert(r.allowed, "request %d refused", i);
        cr_assert_eq(r.remaining, 9 - i, "remaining after %d: %lld", i, (long long)r.remaining);
    }
    int64_t before = tat;
    gcra_take(&tat, &ten_per_min, now, &r);
    cr_assert(!r.allowed);
    cr_assert_eq(r.remaining, 0);
    cr_assert_eq(r.retry_after_s, 6, "one unit comes back every 6 s, got %lld", (long long)r.retry_after_s);
    cr_assert_eq(r.reset_s, 60);
    cr_assert_eq(tat, before, "a refused request must not consume");
}

Test(ratelimit, refill_is_gradual_and_capped)
{
    int64_t tat = 0, now = 1700000000000;
    struct rl_result r;
    for (int i = 0; i < 10; i++)
        gcra_take(&tat, &ten_per_min, now, &r);
    gcra_take(&tat, &ten_per_min, now + 5999, &r);
    cr_assert(!r.allowed, "no unit back before 6 s");
    gcra_take(&tat, &ten_per_min, now + 6000, &r);
    cr_assert(r.allowed, "one unit back after 6 s");
    cr_assert_eq(r.remaining, 0);
    gcra_take(&tat, &ten_per_min, now + 6000, &r);
    cr_assert(!r.allowed);
    /* Long idle: the bucket is full, never more than the quota. */
    gcra_take(&tat, &ten_per_min, now + 3600 * 1000, &r);
    cr_assert(r.allowed);
    cr_assert_eq(r.remaining, 9);
}

Test(ratelimit, steady_stream_still_refills)
{
    /* One request per millisecond must still see refills (no truncation starvation). */
    int64_t tat = 0, now = 1700000000000;
    struct rl_result r;
    int allowed = 0;
    for (int ms = 0; ms < 120000; ms++) {
        gcra_take(&tat, &ten_per_min, now + ms, &r);
        allowed += r.allowed;
    }
    /* 10 at once, then one per 6 s over 120 s: 10 + 19 or 20. */
    cr_assert(allowed >= 29 && allowed <= 30, "allowed %d", allowed);
}

Test(ratelimit, odd_quota_never_exceeds)
{
    struct rl_limit lim = {7, 60};
    int64_t tat = 0, now = 1700000000000;
    struct rl_result r;
    int allowed = 0;
    for (int i = 0; i < 20; i++) {
        gcra_take(&tat, &lim, now, &r);
        allowed += r.allowed;
    }
    cr_assert_eq(allowed, 7);
}

Test(ratelimit, store_keys_are_independent)
{
    struct ratelimit_store *st = ratelimit_memory_store_new(1000);
    struct rl_result r;
    int64_t now = 1700000000000;
    for (int i = 0; i < 10; i++)
        cr_assert_eq(st->take(st, "auth_login|10.0.0.1", &ten_per_min, now, &r), 0);
    st->take(st, "auth_login|10.0.0.1", &ten_per_min, now, &r);
    cr_assert(!r.allowed);
    st->take(st, "auth_login|10.0.0.2", &ten_per_min, now, &r);
    cr_assert(r.allowed, "another address has its own bucket");
    cr_assert_eq(r.remaining, 9);
    st->take(st, "default|10.0.0.1", &ten_per_min, now, &r);
    cr_assert(r.allowed, "another policy has its own bucket");
    cr_assert_eq(st->count(st), 3);
    st->destroy(st);
}

Test(ratelimit, eviction_bounds_memory)
{
    struct ratelimit_store *st = ratelimit_memory_store_new(64);
    struct rl_result r;
    int64_t now = 1700000000000;
    char key[64];
    /* A flood of distinct addresses, all with live (non-full) buckets. */
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "default|198.51.%d.%d", i / 256, i % 256);
        st->take(st, key, &ten_per_min, now, &r);
        cr_assert(r.allowed);
    }
    size_t n = st->count(st);
    cr_assert(n <= 64 + RL_SHARDS, "store holds %zu buckets, bound 64", n);
    /* Once they are full again they are swept as traffic arrives. */
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "default|203.0.113.%d", i % 8);
        st->take(st, key, &ten_per_min, now + 61000, &r);
    }
    cr_assert(st->count(st) <= 64 + RL_SHARDS);
    st->destroy(st);
}

Test(ratelimit, idle_buckets_are_swept)
{
    struct ratelimit_store *st = ratelimit_memory_store_new(100000);
    struct rl_result r;
    int64_t now = 1700000000000;
    char key[64];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "default|192.0.2.%d/%d", i % 256, i);
        st->take(st, key, &ten_per_min, now, &r);
    }
    cr_assert_eq(st->count(st), 3000);
    /* After a window every bucket is full; later traffic sweeps them a few at a time. */
    for (int i = 0; i < 3000; i++)
        st->take(st, "default|one-client", &ten_per_min, now + 61000 + i * 7, &r);
    cr_assert(st->count(st) < 3000, "idle buckets kept: %zu", st->count(st));
    st->destroy(st);
}

struct hammer {
    struct ratelimit_store *st;
    int allowed;
};

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    struct rl_limit lim = {1000, 60};
    struct rl_result r;
    char key[32];
    for (int i = 0; i < 5000; i++) {
        h->st->take(h->st, "default|shared", &lim, 1700000000000, &r);
        h->allowed += r.allowed;
        snprintf(key, sizeof key, "default|own-%d", i % 50);
        h->st->take(h->st, key, &lim, 1700000000000, &r);
    }
    return NULL;
}

Test(ratelimit, two_threads_share_a_bucket_exactly)
{
    struct ratelimit_store *st = ratelimit_memory_store_new(1000);
    struct hammer a = {st, 0}, b = {st, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, hammer_thread, &a);
    pthread_create(&tb, NULL, hammer_thread, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    cr_assert_eq(a.allowed + b.allowed, 1000, "exactly the quota is granted across threads, got %d",
                 a.allowed + b.allowed);
    st->destroy(st);
}

/*-----------------------------------------------------------------------------
 * Trusted proxies: which X-Forwarded-For hop is the client
 */
static const char *client_of(const char *trusted, const char *peer, const char *xff)
{
    static char out[INET6_ADDRSTRLEN];
    struct rl_cidr *t;
    size_t n;
    char why[128];
    cr_assert_eq(ratelimit_parse_cidrs(trusted, &t, &n, why, sizeof why), 0, "%s", why);
    int family;
    unsigned char addr[16] = {0};
    cr_assert(parse_addr(peer, &family, addr), "%s", peer);
    ratelimit_client_address(t, n, xff, &family, addr);
    free(t);
    inet_ntop(family, addr, out, sizeof out);
    return out;
}

Test(ratelimit, trusted_proxy_names_the_rightmost_untrusted_hop)
{
    const char *lo = "127.0.0.1/32, 10.0.0.0/8";
    /* Not from a trusted proxy, or no list: the peer. */
    cr_assert_str_eq(client_of(lo, "198.51.100.9", "203.0.113.5"), "198.51.100.9");
    cr_assert_str_eq(client_of("", "127.0.0.1", "203.0.113.5"), "127.0.0.1");
    cr_assert_str_eq(client_of(lo, "127.0.0.1", NULL), "127.0.0.1");
    /* From the proxy: the hop it appended. */
    cr_assert_str_eq(client_of(lo, "127.0.0.1", "203.0.113.5"), "203.0.113.5");
    /* A client's own forged entries sit left of the real one and are not believed. */
    cr_assert_str_eq(client_of(lo, "127.0.0.1", "1.2.3.4, 203.0.113.5"), "203.0.113.5");
    /* Through two trusted proxies. */
    cr_assert_str_eq(client_of(lo, "127.0.0.1", "203.0.113.5,10.1.2.3"), "203.0.113.5");
    /* Every hop trusted: the leftmost. */
    cr_assert_str_eq(client_of(lo, "127.0.0.1", "10.9.9.9, 10.1.2.3"), "10.9.9.9");
    /* Malformed: the walk stops at the last trusted hop. */
    cr_assert_str_eq(client_of(lo, "127.0.0.1", "203.0.113.5, not-an-ip"), "127.0.0.1");
    cr_assert_str_eq(client_of(lo, "127.0.0.1", "203.0.113.5, , 10.1.2.3"), "10.1.2.3");
    cr_assert_str_eq(client_of(lo, "127.0.0.1", ""), "127.0.0.1");
    /* IPv6 and v4-mapped. */
    cr_assert_str_eq(client_of("::1", "::1", "2001:db8::7"), "2001:db8::7");
    cr_assert_str_eq(client_of("127.0.0.0/8", "::ffff:127.0.0.1", "::ffff:203.0.113.5"), "203.0.113.5");
    /* A prefix that is not byte-aligned. */
    cr_assert_str_eq(client_of("10.0.0.0/9", "10.127.0.1", "203.0.113.5"), "203.0.113.5");
    cr_assert_str_eq(client_of("10.0.0.0/9", "10.128.0.1", "203.0.113.5"), "10.128.0.1");
}

Test(ratelimit, trusted_proxies_parse_errors)
{
    struct rl_cidr *t;
    size_t n;
    char why[128];
    cr_assert_eq(ratelimit_parse_cidrs("127.0.0.1/33", &t, &n, why, sizeof why), -1);
    cr_assert(strstr(why, "127.0.0.1/33"), "%s", why);
    cr_assert_eq(ratelimit_parse_cidrs("10.0.0.0/8, nope", &t, &n, why, sizeof why), -1);
    cr_assert_eq(ratelimit_parse_cidrs("10.0.0.0/", &t, &n, why, sizeof why), -1);
    cr_assert_eq(ratelimit_parse_cidrs("10.0.0.0/-1", &t, &n, why, sizeof why), -1);
    cr_assert_eq(ratelimit_parse_cidrs(" 10.0.0.0/8 ,::1/128,", &t, &n, why, sizeof why), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(t[0].bits, 8);
    cr_assert_eq(t[1].family, AF_INET6);
    free(t);
}
