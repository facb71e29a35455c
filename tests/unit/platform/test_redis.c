/*
 * test_redis.c — the Redis pool, the cache (in process and on Redis), the
 * pub/sub (in process and on Redis), and the Redis rate-limit store, whose
 * Lua GCRA must answer exactly as the in-process store does.
 *
 * Tests that need Redis start their own redis-server on a loopback port
 * (skipped when redis-server is not installed) and stop it at the end;
 * Criterion runs each test in its own process, so globals start fresh.
 * Nothing sleeps for a fixed time: waits poll with a deadline.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "base/timeutil.h"
#include "http/ratelimit.h"
#include "platform/cache.h"
#include "platform/pubsub.h"
#include "platform/ratelimit_redis.h"
#include "platform/redis.h"

/*-----------------------------------------------------------------------------
 * A throwaway redis-server
 */
static int port;
static char url[64], dir[64];

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static bool redis_ping(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "redis-cli -p %d ping 2>/dev/null | grep -q PONG", port);
    return system(cmd) == 0;
}

static void redis_server_start(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "redis-server --port %d --bind 127.0.0.1 --save '' --appendonly no --daemonize yes "
             "--dir %s --pidfile %s/redis.pid --logfile %s/redis.log",
             port, dir, dir, dir);
    cr_assert_eq(system(cmd), 0, "redis-server did not start");
    int64_t deadline = time_now_ms() + 10000;
    while (!redis_ping()) {
        cr_assert(time_now_ms() < deadline, "redis-server on port %d does not answer", port);
        nap_ms(20);
    }
}

static void redis_server_stop(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/redis.pid", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    int pid = 0;
    if (fscanf(f, "%d", &pid) == 1 && pid > 0)
        kill(pid, SIGKILL);
    fclose(f);
    unlink(path);
    int64_t deadline = time_now_ms() + 10000;
    while (redis_ping() && time_now_ms() < deadline)
        nap_ms(20);
}

static void with_redis(void)
{
    if (system("command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1") != 0)
        cr_skip_test("redis-server is not installed");
    port = 19350 + (int)(getpid() % 49);
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", port);
    snprintf(dir, sizeof dir, "/tmp/artistry-redis-unit.XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    redis_server_start();
}

static void without_redis(void)
{
    redis_server_stop();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)!system(cmd);
}

static char url_buf[64];
static struct config the_cfg;

static void free_cfg(void)
{
    config_free(&the_cfg);
}

/* A config whose redis_url is redis_url (copied: config fields are not const); freed at exit. */
static struct config cfg_with(const char *redis_url)
{
    config_defaults(&the_cfg);
    atexit(free_cfg);
    snprintf(url_buf, sizeof url_buf, "%s", redis_url);
    the_cfg.redis_url = url_buf;
    the_cfg.redis_timeout_ms = 300;
    the_cfg.cache_max_mb = 1;
    return the_cfg;
}

/*-----------------------------------------------------------------------------
 * Settings
 */
Test(redis, url_parsing)
{
    struct redis_url u;
    cr_assert_eq(redis_url_parse("redis://127.0.0.1:6380/2", &u), 0);
    cr_assert_str_eq(u.host, "127.0.0.1");
    cr_assert_eq(u.port, 6380);
    cr_assert_eq(u.db, 2);
    cr_assert_str_eq(u.password, "");
    cr_assert_eq(redis_url_parse("redis://:s3cret@cache.local", &u), 0);
    cr_assert_str_eq(u.password, "s3cret");
    cr_assert_str_eq(u.host, "cache.local");
    cr_assert_eq(u.port, 6379);
    cr_assert_eq(redis_url_parse("redis://user:pw@h:1/", &u), 0);
    cr_assert_str_eq(u.password, "pw");
    cr_assert_eq(u.db, 0);
    cr_assert_eq(redis_url_parse("localhost:7000", &u), 0);
    cr_assert_eq(u.port, 7000);
    const char *bad[] = {"",
                         "rediss://h:1",
                         "redis://",
                         "redis://h:0",
                         "redis://h:99999",
                         "redis://h:12x",
                         "redis://h/x",
                         "redis://h/-1",
                         "http://h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(redis_url_parse(bad[i], &u), -1, "accepted '%s'", bad[i]);
    cr_assert_eq(redis_acquire("redis://h:0", 100), -1);
    cr_assert(!redis_configured());
}

Test(redis, dead_redis_fails_fast_and_circuit_opens)
{
    cr_assert_eq(redis_acquire("redis://127.0.0.1:1", 200), 0); /* nothing listens on port 1 */
    const char *argv[1] = {"PING"};
    size_t lens[1] = {4};
    cr_assert(redis_command_argv(1, argv, lens) == NULL);
    cr_assert(!redis_up());
    /* The circuit is open now: a burst of calls costs nothing (no connect). */
    int64_t t0 = time_mono_ns();
    for (int i = 0; i < 1000; i++)
        cr_assert(redis_command_argv(1, argv, lens) == NULL);
    cr_assert_lt(time_mono_ns() - t0, INT64_C(2000000000), "1000 failing calls took too long");
    redis_release();
}

/*-----------------------------------------------------------------------------
 * Cache, in process
 */
Test(cache, memory_set_get_del_overwrite)
{
    struct config cfg = cfg_with("");
    cr_assert_eq(cache_start(&cfg), 0);
    size_t len = 0;
    cr_assert(cache_get("k1", &len) == NULL);
    cr_assert_eq(cache_set("k1", "hello", 5, 60000), 0);
    char *v = cache_get("k1", &len);
    cr_assert(v != NULL);
    cr_assert_eq(len, 5);
    cr_assert_str_eq(v, "hello");
    free(v);
    cr_assert_eq(cache_set("k1", "bin\0ary", 7, 60000), 0);
    v = cache_get("k1", &len);
    cr_assert_eq(len, 7);
    cr_assert_eq(memcmp(v, "bin\0ary", 7), 0);
    free(v);
    cr_assert_eq(cache_del("k1"), 0);
    cr_assert(cache_get("k1", &len) == NULL);
    cr_assert_eq(cache_set("k2", "x", 1, 0), -1, "ttl 0 refused");
    cr_assert_eq(cache_set(NULL, "x", 1, 10), -1);
    cache_stop();
}

Test(cache, memory_entries_expire)
{
    struct config cfg = cfg_with("");
    cache_start(&cfg);
    cr_assert_eq(cache_set("short", "v", 1, 30), 0);
    cr_assert_eq(cache_set("long", "v", 1, 600000), 0);
    int64_t deadline = time_now_ms() + 5000;
    char *v;
    while ((v = cache_get("short", NULL)) != NULL) {
        free(v);
        cr_assert(time_now_ms() < deadline, "entry never expired");
        nap_ms(5);
    }
    v = cache_get("long", NULL);
    cr_assert(v != NULL);
    free(v);
    cache_stop();
}

Test(cache, memory_is_bounded_and_lru)
{
    struct config cfg = cfg_with(""); /* 1 MiB in 16 shards */
    cache_start(&cfg);
    static char big[8192];
    memset(big, 'x', sizeof big);
    cr_assert_eq(cache_set("hot", big, sizeof big, 600000), 0);
    char key[32];
    for (int i = 0; i < 2000; i++) { /* 16 MB offered to a 1 MiB cache */
        snprintf(key, sizeof key, "k%d", i);
        cr_assert_eq(cache_set(key, big, sizeof big, 600000), 0);
        char *v = cache_get("hot", NULL); /* keep it recently used */
        free(v);
    }
    int present = 0;
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        char *v = cache_get(key, NULL);
        present += v != NULL;
        free(v);
    }
    cr_assert_lt(present, 1024 * 1024 / 8192 + 1, "%d entries of 8 KiB kept in 1 MiB", present);
    cr_assert_gt(present, 0);
    char *v = cache_get("k1999", NULL);
    cr_assert(v != NULL, "the newest entry was evicted");
    free(v);
    static char huge[128 * 1024];
    cr_assert_eq(cache_set("huge", huge, sizeof huge, 1000), -1, "larger than a shard: refused");
    cache_stop();
}

/*-----------------------------------------------------------------------------
 * Pub/sub, in process
 */
struct got {
    atomic_int n;
    char last[256];
    void *thread_marker;
};

static __thread int on_this_thread;

static void on_msg(const char *channel, const char *msg, size_t len, void *ud)
{
    struct got *g = ud;
    (void)channel;
    snprintf(g->last, sizeof g->last, "%.*s", (int)len, msg);
    g->thread_marker = on_this_thread ? g : NULL;
    atomic_fetch_add(&g->n, 1);
}

Test(pubsub, in_process_is_synchronous)
{
    struct config cfg = cfg_with("");
    static struct got a, b;
    cr_assert_eq(pubsub_subscribe("rt", on_msg, &a), 0);
    cr_assert_eq(pubsub_subscribe("other", on_msg, &b), 0);
    cr_assert_eq(pubsub_start(&cfg), 0);
    cr_assert(!pubsub_shared());
    on_this_thread = 1;
    cr_assert_eq(pubsub_publish("rt", "hi", 2), 0);
    cr_assert_eq(atomic_load(&a.n), 1);
    cr_assert_str_eq(a.last, "hi");
    cr_assert(a.thread_marker == &a, "in process, delivery is on the publisher's thread");
    cr_assert_eq(atomic_load(&b.n), 0);
    pubsub_stop();
}

/*-----------------------------------------------------------------------------
 * With a real Redis
 */
static void wait_for(atomic_int *n, int want)
{
    int64_t deadline = time_now_ms() + 10000;
    while (atomic_load(n) < want) {
        cr_assert(time_now_ms() < deadline, "waited for %d messages, got %d", want, atomic_load(n));
        nap_ms(5);
    }
}

Test(redis_live, lua_gcra_matches_memory_store, .init = with_redis, .fini = without_redis)
{
    struct ratelimit_store *mem = ratelimit_memory_store_new(1000);
    struct ratelimit_store *red = ratelimit_redis_store_new(url, 500);
    cr_assert(red != NULL);
    const struct rl_limit limits[] = {{10, 60}, {3, 1}, {7, 13}, {1, 1}, {300, 60}, {5, 60}};
    int64_t now = 1700000000000;
    unsigned seed = 12345;
    char key[64];
    for (int i = 0; i < 3000; i++) {
        seed = seed * 1103515245u + 12345u;
        const struct rl_limit *lim = &limits[(seed >> 16) % 6];
        snprintf(key, sizeof key, "b%u|q%lld", (seed >> 8) % 4, (long long)lim->quota);
        seed = seed * 1103515245u + 12345u;
        now += (seed >> 16) % 700; /* bursts and pauses */
        struct rl_result a = {0}, b = {0};
        cr_assert_eq(mem->take(mem, key, lim, now, &a), 0);
        cr_assert_eq(red->take(red, key, lim, now, &b), 0, "redis take failed at step %d", i);
        cr_assert(a.allowed == b.allowed && a.remaining == b.remaining && a.reset_s == b.reset_s &&
                      a.retry_after_s == b.retry_after_s,
                  "step %d key %s: memory {%d,%lld,%lld,%lld} redis {%d,%lld,%lld,%lld}", i, key, a.allowed,
                  (long long)a.remaining, (long long)a.reset_s, (long long)a.retry_after_s, b.allowed,
                  (long long)b.remaining, (long long)b.reset_s, (long long)b.retry_after_s);
    }
    /* NOSCRIPT (a restarted Redis forgets scripts): falls back to EVAL. */
    const char *argv[2] = {"SCRIPT", "FLUSH"};
    size_t lens[2] = {6, 5};
    redisReply *r = redis_command_argv(2, argv, lens);
    cr_assert(r != NULL);
    freeReplyObject(r);
    struct rl_result b = {0};
    cr_assert_eq(red->take(red, "fresh", &limits[0], now, &b), 0);
    cr_assert(b.allowed && b.remaining == 9);
    /* The key's TTL is the window. */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "test \"$(redis-cli -p %d pttl 'artistry:rl:fresh')\" -le 60000", port);
    cr_assert_eq(system(cmd), 0);
    mem->destroy(mem);
    red->destroy(red);
}

Test(redis_live, store_fails_open_when_redis_dies_and_recovers, .init = with_redis, .fini = without_redis)
{
    struct ratelimit_store *red = ratelimit_redis_store_new(url, 300);
    const struct rl_limit lim = {2, 60};
    struct rl_result r;
    int64_t now = time_now_ms();
    cr_assert_eq(red->take(red, "x", &lim, now, &r), 0);
    redis_server_stop();
    cr_assert_eq(red->take(red, "x", &lim, now, &r), -1);
    cr_assert(!redis_up());
    redis_server_start();
    int64_t deadline = time_now_ms() + 10000;
    while (red->take(red, "x", &lim, now, &r) != 0) {
        cr_assert(time_now_ms() < deadline, "never recovered");
        nap_ms(20);
    }
    cr_assert(redis_up());
    red->destroy(red);
}

Test(redis_live, cache_is_shared_through_redis, .init = with_redis, .fini = without_redis)
{
    struct config cfg = cfg_with(url);
    cr_assert_eq(cache_start(&cfg), 0);
    cr_assert_eq(cache_set("cat:tree", "{\"data\":[]}", 11, 60000), 0);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "test \"$(redis-cli -p %d get artistry:cache:cat:tree)\" = '{\"data\":[]}'", port);
    cr_assert_eq(system(cmd), 0, "the value is in redis for other instances");
    snprintf(cmd, sizeof cmd, "redis-cli -p %d set artistry:cache:from-b other >/dev/null", port);
    cr_assert_eq(system(cmd), 0);
    size_t len = 0;
    char *v = cache_get("from-b", &len);
    cr_assert(v != NULL && len == 5 && strcmp(v, "other") == 0, "written by another instance");
    free(v);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d del artistry:cache:cat:tree >/dev/null", port);
    cr_assert_eq(system(cmd), 0);
    cr_assert(cache_get("cat:tree", NULL) == NULL, "a DEL elsewhere invalidates here");
    cr_assert_eq(cache_set("ttl", "v", 1, 50), 0);
    snprintf(cmd, sizeof cmd, "test \"$(redis-cli -p %d pttl artistry:cache:ttl)\" -le 50", port);
    cr_assert_eq(system(cmd), 0);
    redis_server_stop();
    cr_assert(cache_get("from-b", NULL) == NULL, "a dead redis is a miss");
    cr_assert_eq(cache_set("k", "v", 1, 1000), -1);
    cache_stop();
}

Test(redis_live, pubsub_roundtrip_loss_and_recovery, .init = with_redis, .fini = without_redis)
{
    struct config cfg = cfg_with(url);
    static struct got a;
    cr_assert_eq(pubsub_subscribe("rt", on_msg, &a), 0);
    cr_assert_eq(pubsub_start(&cfg), 0);
    cr_assert(pubsub_shared());
    on_this_thread = 1;
    /* Another instance publishing (redis-cli) reaches us once subscribed. */
    char cmd[200];
    snprintf(cmd, sizeof cmd, "redis-cli -p %d publish rt from-b | grep -q '^1$'", port);
    int64_t deadline = time_now_ms() + 10000;
    while (system(cmd) != 0) {
        cr_assert(time_now_ms() < deadline, "never subscribed");
        nap_ms(20);
    }
    wait_for(&a.n, 1);
    cr_assert_str_eq(a.last, "from-b");
    cr_assert_eq(pubsub_publish("rt", "mine", 4), 0);
    wait_for(&a.n, 2);
    cr_assert_str_eq(a.last, "mine");
    cr_assert(a.thread_marker == NULL, "with redis, delivery is never on the publisher's stack");
    /* A channel subscribed after start is picked up. */
    static struct got late;
    cr_assert_eq(pubsub_subscribe("late", on_msg, &late), 0);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d publish late x | grep -q '^1$'", port);
    deadline = time_now_ms() + 10000;
    while (system(cmd) != 0) {
        cr_assert(time_now_ms() < deadline, "late channel never subscribed");
        nap_ms(20);
    }
    wait_for(&late.n, 1);
    /* Redis dies: publish fails, delivered locally, -1. */
    redis_server_stop();
    int before = atomic_load(&a.n);
    cr_assert_eq(pubsub_publish("rt", "local", 5), -1);
    wait_for(&a.n, before + 1);
    cr_assert_str_eq(a.last, "local");
    /* Redis comes back: the reader resubscribes and remote messages flow again. */
    redis_server_start();
    snprintf(cmd, sizeof cmd, "redis-cli -p %d publish rt again | grep -q '^1$'", port);
    deadline = time_now_ms() + 15000;
    while (system(cmd) != 0) {
        cr_assert(time_now_ms() < deadline, "never resubscribed");
        nap_ms(50);
    }
    int64_t d2 = time_now_ms() + 10000;
    while (strcmp(a.last, "again") != 0) {
        cr_assert(time_now_ms() < d2, "message after recovery not delivered");
        nap_ms(5);
    }
    pubsub_stop();
}
