/*
 * test_base.c — arenas, ids, time, string buffers.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/ids.h"
#include "base/strbuf.h"
#include "base/timeutil.h"

static int cleanups;
static void count_cleanup(void *p)
{
    (void)p;
    cleanups++;
}

Test(arena, alloc_zeroed_aligned_and_big)
{
    struct arena a;
    arena_init(&a, 256);
    for (int i = 0; i < 1000; i++) {
        long double *p = arena_new(&a, long double);
        cr_assert_eq((uintptr_t)p % _Alignof(long double), 0);
        cr_assert_eq(*p, 0);
    }
    char *big = arena_alloc(&a, 100000);
    memset(big, 1, 100000);
    cr_assert_str_eq(arena_sprintf(&a, "%s-%d", "x", 42), "x-42");
    arena_on_reset(&a, count_cleanup, NULL);
    arena_reset(&a);
    cr_assert_eq(cleanups, 1);
    cr_assert_not_null(arena_strdup(&a, "after reset"));
    arena_destroy(&a);
}

Test(ids, format_prefix_and_order)
{
    char a[ID_MAX_LEN], b[ID_MAX_LEN];
    id_generate("usr", a, sizeof a);
    cr_assert_eq(strlen(a), 4 + ID_BODY_LEN);
    cr_assert(id_valid(a, "usr"));
    cr_assert(id_valid(a, NULL));
    cr_assert_not(id_valid(a, "prd"));
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    id_generate("usr", b, sizeof b);
    cr_assert(strcmp(a, b) < 0, "ids sort by time: %s %s", a, b);
    cr_assert_not(id_valid("usr_", NULL));
    cr_assert_not(id_valid("usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7", NULL), "25 chars");
    cr_assert_not(id_valid("usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7U", NULL), "U is not Crockford");
    cr_assert_not(id_valid("USR_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", NULL));
    cr_assert_not(id_valid("1", NULL));
}

/* A burst inside one millisecond still sorts in the order it was made, across threads. */
static void *make_ids(void *arg)
{
    char(*ids)[ID_MAX_LEN] = arg;
    for (int i = 0; i < 500; i++)
        id_generate("x", ids[i], ID_MAX_LEN);
    return NULL;
}

Test(ids, monotonic_within_a_millisecond)
{
    static char ids[4][500][ID_MAX_LEN];
    pthread_t t[4];
    for (int k = 0; k < 4; k++)
        cr_assert_eq(pthread_create(&t[k], NULL, make_ids, ids[k]), 0);
    for (int k = 0; k < 4; k++)
        pthread_join(t[k], NULL);
    for (int k = 0; k < 4; k++)
        for (int i = 1; i < 500; i++)
            cr_assert(strcmp(ids[k][i - 1], ids[k][i]) < 0, "%s then %s", ids[k][i - 1], ids[k][i]);
}

Test(ids, unique)
{
    char ids[2000][ID_MAX_LEN];
    for (int i = 0; i < 2000; i++)
        id_generate("x", ids[i], ID_MAX_LEN);
    for (int i = 1; i < 2000; i++)
        for (int j = 0; j < i; j += 97)
            cr_assert_str_neq(ids[i], ids[j]);
}

Test(timeutil, rfc3339_round_trip)
{
    char buf[40];
    cr_assert_str_eq(time_format_rfc3339(0, buf, sizeof buf), "1970-01-01T00:00:00.000Z");
    cr_assert_str_eq(time_format_rfc3339(1795640897123, buf, sizeof buf), "2026-11-25T21:08:17.123Z");
    int64_t ms;
    cr_assert_eq(time_parse_rfc3339("2026-11-25T21:08:17.123Z", &ms), 0);
    cr_assert_eq(ms, 1795640897123);
    cr_assert_eq(time_parse_rfc3339("2026-11-25T22:08:17.123+01:00", &ms), 0);
    cr_assert_eq(ms, 1795640897123);
    cr_assert_eq(time_parse_rfc3339("2024-02-29T00:00:00Z", &ms), 0);
    cr_assert_eq(time_parse_rfc3339("2026-13-01T00:00:00Z", &ms), -1);
    cr_assert_eq(time_parse_rfc3339("2026-11-25 nonsense", &ms), -1);
    cr_assert_eq(time_parse_rfc3339("2026-11-25T21:08:17", &ms), -1, "offset required");
    cr_assert_eq(time_parse_rfc3339("2026-11-25T21:08:17Zjunk", &ms), -1);
}

Test(strbuf, heap_and_escape)
{
    struct strbuf b;
    strbuf_init(&b, NULL, 4);
    for (int i = 0; i < 100; i++)
        strbuf_printf(&b, "%d,", i);
    cr_assert_eq(strncmp(b.data, "0,1,2,", 6), 0);
    strbuf_free(&b);
    strbuf_init(&b, NULL, 0);
    strbuf_json_escape(&b, "a\"b\\c\n\x01");
    cr_assert_str_eq(b.data, "a\\\"b\\\\c\\u000a\\u0001");
    strbuf_free(&b);
}
