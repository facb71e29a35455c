/*
 * redis.c — Redis connection settings, pool, circuit and rate-limited logs.
 *
 * The pool is a mutex-guarded stack of idle connections (at most
 * POOL_IDLE_MAX kept; more may exist while many threads are busy, they are
 * closed on return). A caller pops one (or connects), runs its command
 * without the lock, and pushes it back if it is still healthy.
 *
 * Circuit: `down_until_ms` (monotonic) is when the next attempt may touch
 * the network. A failed connect or I/O error sets it to now + backoff and
 * doubles the backoff (BACKOFF_MIN_MS..BACKOFF_MAX_MS); a success resets
 * it. Because a restart of Redis leaves every pooled connection dead, an
 * I/O error on a reused connection is retried once on a fresh connection
 * before the circuit opens, and the idle stack is flushed.
 *
 * Caveats: no TLS (rediss://) and no Sentinel/Cluster: one Redis endpoint.
 */
#include "platform/redis.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "base/log.h"
#include "base/timeutil.h"

#define POOL_IDLE_MAX 16
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define LOG_EVERY_MS 5000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int refs;
static struct redis_url conf;
static int timeout_ms = 300;
static redisContext *idle[POOL_IDLE_MAX];
static int nidle;
static int64_t down_until_ms; /* monotonic; 0: closed */
static int64_t backoff_ms = BACKOFF_MIN_MS;
static bool up;

static int64_t mono_ms(void)
{
    return time_mono_ns() / 1000000;
}

/*-----------------------------------------------------------------------------
 * Logs
 */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void redis_log_limited(struct redis_log_gate *gate, const char *msg, const char *detail)
{
    int64_t now = mono_ms();
    long suppressed = -1;
    pthread_mutex_lock(&log_mu);
    if (gate->last_ms == 0 || now - gate->last_ms >= LOG_EVERY_MS) {
        suppressed = gate->suppressed;
        gate->suppressed = 0;
        gate->last_ms = now;
    } else {
        gate->suppressed++;
    }
    pthread_mutex_unlock(&log_mu);
    if (suppressed > 0)
        log_warn(msg, "%s%s(%ld similar lines suppressed)", detail != NULL ? detail : "", detail != NULL ? " " : "",
                 suppressed);
    else if (suppressed == 0)
        log_warn(msg, "%s", detail != NULL ? detail : "");
}

/*-----------------------------------------------------------------------------
 * Settings
 */
int redis_url_parse(const char *url, struct redis_url *out)
{
    memset(out, 0, sizeof *out);
    out->port = 6379;
    if (url == NULL || *url == '\0')
        return -1;
    const char *p = url;
    if (strncmp(p, "redis://", 8) == 0)
        p += 8;
    else if (strstr(p, "://") != NULL)
        return -1; /* rediss:// and others: not supported */
    const char *at = strrchr(p, '@');
    const char *slash = strchr(p, '/');
    if (at != NULL && (slash == NULL || at < slash)) {
        const char *cred = p;
        const char *colon = memchr(cred, ':', (size_t)(at - cred));
        const char *pw = colon != NULL ? colon + 1 : cred; /* "user:pw@" or "pw@" (user ignored: AUTH pw) */
        size_t n = (size_t)(at - pw);
        if (n >= sizeof out->password)
            return -1;
        memcpy(out->password, pw, n);
        out->password[n] = '\0';
        p = at + 1;
        slash = strchr(p, '/');
    }
    size_t hostlen = slash != NULL ? (size_t)(slash - p) : strlen(p);
    const char *colon = memchr(p, ':', hostlen);
    size_t namelen = colon != NULL ? (size_t)(colon - p) : hostlen;
    if (namelen == 0 || namelen >= sizeof out->host)
        return -1;
    memcpy(out->host, p, namelen);
    out->host[namelen] = '\0';
    if (colon != NULL) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (end != p + hostlen || end == colon + 1 || port < 1 || port > 65535)
            return -1;
        out->port = (int)port;
    }
    if (slash != NULL && slash[1] != '\0') {
        char *end;
        long db = strtol(slash + 1, &end, 10);
        if (*end != '\0' || end == slash + 1 || db < 0 || db > 1000000)
            return -1;
        out->db = (int)db;
    }
    return 0;
}

int redis_acquire(const char *url, int tmo_ms)
{
    struct redis_url u;
    if (redis_url_parse(url, &u) != 0) {
        log_error("redis_url is malformed", "expected redis://[:password@]host[:port][/db]");
        return -1;
    }
    pthread_mutex_lock(&mu);
    if (refs++ == 0) {
        conf = u;
        timeout_ms = tmo_ms > 0 ? tmo_ms : 300;
        down_until_ms = 0;
        backoff_ms = BACKOFF_MIN_MS;
        up = true; /* optimistic until the first failure */
    }
    pthread_mutex_unlock(&mu);
    return 0;
}

void redis_release(void)
{
    pthread_mutex_lock(&mu);
    if (refs > 0 && --refs == 0) {
        while (nidle > 0)
            redisFree(idle[--nidle]);
        up = false;
    }
    pthread_mutex_unlock(&mu);
}

bool redis_configured(void)
{
    pthread_mutex_lock(&mu);
    bool r = refs > 0;
    pthread_mutex_unlock(&mu);
    return r;
}

bool redis_up(void)
{
    pthread_mutex_lock(&mu);
    bool r = refs > 0 && up;
    pthread_mutex_unlock(&mu);
    return r;
}

/*-----------------------------------------------------------------------------
 * Connections
 */
static struct redis_log_gate gate_connect, gate_io;

static struct timeval tv_of(int ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

/* Connect with the current settings (copied under the lock by the caller). NULL on failure (logged, limited). */
static redisContext *connect_with(const struct redis_url *u, int tmo)
{
    redisContext *c = redisConnectWithTimeout(u->host, u->port, tv_of(tmo));
    char detail[512];
    if (c == NULL || c->err) {
        snprintf(detail, sizeof detail, "%s:%d: %s", u->host, u->port, c != NULL ? c->errstr : "out of memory");
        redis_log_limited(&gate_connect, "redis unreachable", detail);
        if (c != NULL)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv_of(tmo));
    redisEnableKeepAlive(c);
    redisReply *r = NULL;
    if (u->password[0] != '\0') {
        r = redisCommand(c, "AUTH %s", u->password);
        if (r == NULL || r->type == REDIS_REPLY_ERROR)
            goto fail;
        freeReplyObject(r);
    }
    if (u->db != 0) {
        r = redisCommand(c, "SELECT %d", u->db);
        if (r == NULL || r->type == REDIS_REPLY_ERROR)
            goto fail;
        freeReplyObject(r);
    }
    return c;
fail:
    snprintf(detail, sizeof detail, "%s:%d: %s", u->host, u->port,
             r != NULL ? r->str : (c->errstr[0] != '\0' ? c->errstr : "no reply"));
    redis_log_limited(&gate_connect, "redis AUTH/SELECT failed", detail);
    if (r != NULL)
        freeReplyObject(r);
    redisFree(c);
    return NULL;
}

redisContext *redis_connect_dedicated(void)
{
    pthread_mutex_lock(&mu);
    struct redis_url u = conf;
    int tmo = timeout_ms;
    bool ok = refs > 0;
    pthread_mutex_unlock(&mu);
    return ok ? connect_with(&u, tmo) : NULL;
}

/* Mark a failure: open the circuit and flush idle connections. Called without the lock. */
static void circuit_open(void)
{
    redisContext *drop[POOL_IDLE_MAX];
    int n = 0;
    pthread_mutex_lock(&mu);
    down_until_ms = mono_ms() + backoff_ms;
    backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
    up = false;
    while (nidle > 0)
        drop[n++] = idle[--nidle];
    pthread_mutex_unlock(&mu);
    while (n > 0)
        redisFree(drop[--n]);
}

static void circuit_close(void)
{
    pthread_mutex_lock(&mu);
    down_until_ms = 0;
    backoff_ms = BACKOFF_MIN_MS;
    up = true;
    pthread_mutex_unlock(&mu);
}

/* A pooled connection (*reused says whether it came from the stack), or NULL (circuit open or connect failed). */
static redisContext *take_conn(bool *reused)
{
    pthread_mutex_lock(&mu);
    if (refs == 0 || (down_until_ms != 0 && mono_ms() < down_until_ms)) {
        pthread_mutex_unlock(&mu);
        return NULL;
    }
    if (nidle > 0) {
        redisContext *c = idle[--nidle];
        pthread_mutex_unlock(&mu);
        *reused = true;
        return c;
    }
    struct redis_url u = conf;
    int tmo = timeout_ms;
    pthread_mutex_unlock(&mu);
    *reused = false;
    redisContext *c = connect_with(&u, tmo);
    if (c == NULL)
        circuit_open();
    return c;
}

static void give_back(redisContext *c)
{
    pthread_mutex_lock(&mu);
    if (refs > 0 && nidle < POOL_IDLE_MAX) {
        idle[nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&mu);
    if (c != NULL)
        redisFree(c);
}

redisReply *redis_command_argv(int argc, const char **argv, const size_t *argvlen)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = false;
        redisContext *c = take_conn(&reused);
        if (c == NULL)
            return NULL;
        redisReply *r = redisCommandArgv(c, argc, argv, argvlen);
        if (r != NULL && c->err == 0) {
            give_back(c);
            circuit_close();
            return r;
        }
        char detail[200];
        snprintf(detail, sizeof detail, "%.*s: %s", (int)(argvlen[0] < 32 ? argvlen[0] : 32), argv[0],
                 c->errstr[0] != '\0' ? c->errstr : "no reply");
        if (r != NULL)
            freeReplyObject(r);
        redisFree(c);
        if (reused && attempt == 0) {
            /* Probably a connection from before a Redis restart: flush the stack and retry on a fresh one. */
            pthread_mutex_lock(&mu);
            redisContext *drop[POOL_IDLE_MAX];
            int n = 0;
            while (nidle > 0)
                drop[n++] = idle[--nidle];
            pthread_mutex_unlock(&mu);
            while (n > 0)
                redisFree(drop[--n]);
            continue;
        }
        redis_log_limited(&gate_io, "redis command failed", detail);
        circuit_open();
        return NULL;
    }
    return NULL;
}
