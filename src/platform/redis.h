/*
 * redis.h — the one place that talks to Redis (hiredis): the connection
 * settings, a small pool of blocking connections with short timeouts, and
 * a circuit that makes a dead Redis cost one fast failure per call.
 *
 * Users (pub/sub, cache, rate-limit store) take a reference with
 * redis_acquire(url) and drop it with redis_release(); the first acquire
 * parses the URL, the last release closes the pool.
 *
 * Failure model: a command that cannot be sent or answered (connection
 * refused, reset, timeout) returns NULL; the pool then drops its idle
 * connections (they are probably dead too) and opens the circuit: for the
 * next backoff period (100 ms doubling up to 2 s) every call fails at once
 * without touching the network. The first call after the period tries to
 * connect again; a success closes the circuit. Error replies (-ERR,
 * NOSCRIPT…) are replies, not failures.
 *
 * Caveats: hiredis 0.14 (Debian 12); blocking I/O only. A command blocks
 * its caller for at most the timeout (redis_timeout_ms) plus one connect.
 */
#ifndef ARTISTRY_PLATFORM_REDIS_H
#define ARTISTRY_PLATFORM_REDIS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

/** Parsed redis://[:password@]host[:port][/db] (also rediss-less "host:port"). */
struct redis_url {
    char host[256];
    int port;
    char password[256];
    int db;
};

/** Parse url into *out. 0, or -1 if it is malformed. */
int redis_url_parse(const char *url, struct redis_url *out);

/**
 * Take a reference on the shared pool, configuring it on the first call
 * (timeout_ms: connect and command timeout). 0, or -1 on a malformed URL
 * (logged). Does not connect: Redis may be down at start-up.
 */
int redis_acquire(const char *url, int timeout_ms);
void redis_release(void);

/** Is the pool configured (at least one reference)? */
bool redis_configured(void);

/** Is the circuit closed (last contact succeeded)? Cheap; for /readyz and tests. */
bool redis_up(void);

/**
 * Run one command given as argv (binary safe). Returns the reply (caller
 * frees with freeReplyObject; may be an error reply), or NULL when Redis
 * is unreachable or the circuit is open. Thread-safe; blocks at most about
 * one timeout (plus one reconnect when a pooled connection turned out stale).
 */
redisReply *redis_command_argv(int argc, const char **argv, const size_t *argvlen);

/**
 * A new dedicated connection (authenticated, database selected) outside
 * the pool, for SUBSCRIBE. NULL on failure (the circuit is not touched).
 * Release with redisFree.
 */
redisContext *redis_connect_dedicated(void);

/** State of one rate-limited log line (static, zero-initialised, owned by the caller). */
struct redis_log_gate {
    long long last_ms;
    long suppressed;
};

/** Log msg at warn level at most once per 5 s per gate, counting the lines it suppressed. */
void redis_log_limited(struct redis_log_gate *gate, const char *msg, const char *detail);

#endif
