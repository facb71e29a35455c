/*
 * ids.c — ULID-style ids.
 *
 * Random bits come from getrandom(2) (the kernel CSPRNG), read in batches per
 * thread to keep the syscall off the hot path.
 *
 * Ids are monotonic within the process (the ULID spec's monotonic mode): an
 * id made in the same millisecond as the previous one (or while the clock
 * stepped back) reuses that millisecond and adds one to the previous random
 * part, so rows made in a burst sort in the order they were made and a
 * (created_at, id) keyset order is the creation order.
 *
 * Caveats: monotonic per process only; two server instances interleave
 * within a millisecond. Ids are identifiers, not secrets: the next id of a
 * burst is guessable, and every read checks ownership anyway.
 */
#include "base/ids.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/timeutil.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void random_raw(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            APP_PANIC("getrandom failed");
        }
        p += r;
        n -= (size_t)r;
    }
}

void random_bytes(void *buf, size_t n)
{
    static __thread unsigned char pool[512];
    static __thread size_t left;
    unsigned char *p = buf;
    if (n > sizeof pool / 2) {
        random_raw(buf, n);
        return;
    }
    if (left < n) {
        random_raw(pool, sizeof pool);
        left = sizeof pool;
    }
    memcpy(p, pool + sizeof pool - left, n);
    /* Wipe what was handed out so a later memory disclosure cannot replay it. */
    memset(pool + sizeof pool - left, 0, n);
    left -= n;
}

char *id_generate(const char *prefix, char *buf, size_t cap)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static uint64_t last_ms;
    static unsigned char last_rand[10];
    unsigned char raw[16];
    uint64_t ms = (uint64_t)time_now_ms();
    pthread_mutex_lock(&lock);
    if (ms > last_ms) {
        last_ms = ms;
        random_bytes(last_rand, sizeof last_rand);
    } else {
        int i = (int)sizeof last_rand - 1;
        while (i >= 0 && ++last_rand[i] == 0) /* +1 with carry */
            i--;
        if (i < 0) /* 2^80 ids in one millisecond: borrow the next one */
            last_ms++;
    }
    ms = last_ms;
    memcpy(raw + 6, last_rand, sizeof last_rand);
    pthread_mutex_unlock(&lock);
    for (int i = 5; i >= 0; i--) {
        raw[i] = (unsigned char)(ms & 0xff);
        ms >>= 8;
    }
    size_t plen = strlen(prefix);
    APP_ASSERT(plen + 1 + ID_BODY_LEN < cap);
    memcpy(buf, prefix, plen);
    buf[plen] = '_';
    char *out = buf + plen + 1;
    /* 128 bits -> 26 base32 chars: the first char carries the top 3 bits. */
    unsigned bits = 0, acc = 0;
    int o = 0;
    acc = 0;
    bits = 2; /* pad 130 bits: two leading zero bits */
    for (int i = 0; i < 16; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = crockford[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    out[o] = '\0';
    APP_ASSERT(o == ID_BODY_LEN);
    return buf;
}

char *id_new(struct arena *a, const char *prefix)
{
    char buf[ID_MAX_LEN];
    id_generate(prefix, buf, sizeof buf);
    return arena_strdup(a, buf);
}

bool id_valid(const char *s, const char *prefix)
{
    if (s == NULL)
        return false;
    const char *us = strchr(s, '_');
    if (us == NULL || us == s || us - s > 8)
        return false;
    if (prefix != NULL && ((size_t)(us - s) != strlen(prefix) || strncmp(s, prefix, (size_t)(us - s)) != 0))
        return false;
    for (const char *p = s; p < us; p++)
        if (*p < 'a' || *p > 'z')
            return false;
    const char *body = us + 1;
    if (strlen(body) != ID_BODY_LEN)
        return false;
    if (body[0] > '7')
        return false;
    for (const char *p = body; *p; p++)
        if (strchr(crockford, *p) == NULL)
            return false;
    return true;
}
