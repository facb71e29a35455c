/*
 * rt_map.c — a small string-keyed hash table (chaining, doubling) for the
 * session and room tables. Not thread-safe: callers hold rt.mu.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "realtime/rt_int.h"

struct rt_entry {
    struct rt_entry *next;
    void *v;
    char key[];
};

struct rt_map {
    struct rt_entry **b;
    size_t nb, n;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

struct rt_map *rt__map_new(void)
{
    struct rt_map *m = xcalloc(1, sizeof *m);
    m->nb = 64;
    m->b = xcalloc(m->nb, sizeof *m->b);
    return m;
}

void rt__map_free(struct rt_map *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nb; i++)
        for (struct rt_entry *e = m->b[i], *nx; e != NULL; e = nx) {
            nx = e->next;
            free(e);
        }
    free(m->b);
    free(m);
}

static struct rt_entry **find(const struct rt_map *m, const char *key)
{
    struct rt_entry **pp = &m->b[hash(key) & (m->nb - 1)];
    while (*pp != NULL && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->next;
    return pp;
}

void *rt__map_get(const struct rt_map *m, const char *key)
{
    struct rt_entry *e = *find(m, key);
    return e != NULL ? e->v : NULL;
}

static void grow(struct rt_map *m)
{
    size_t nb = m->nb * 2;
    struct rt_entry **b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < m->nb; i++)
        for (struct rt_entry *e = m->b[i], *nx; e != NULL; e = nx) {
            nx = e->next;
            size_t k = hash(e->key) & (nb - 1);
            e->next = b[k];
            b[k] = e;
        }
    free(m->b);
    m->b = b;
    m->nb = nb;
}

void rt__map_put(struct rt_map *m, const char *key, void *v)
{
    struct rt_entry **pp = find(m, key);
    if (*pp != NULL) {
        (*pp)->v = v;
        return;
    }
    size_t kl = strlen(key);
    struct rt_entry *e = xmalloc(sizeof *e + kl + 1);
    memcpy(e->key, key, kl + 1);
    e->v = v;
    e->next = NULL;
    *pp = e;
    if (++m->n > m->nb)
        grow(m);
}

void rt__map_del(struct rt_map *m, const char *key)
{
    struct rt_entry **pp = find(m, key);
    if (*pp == NULL)
        return;
    struct rt_entry *e = *pp;
    *pp = e->next;
    free(e);
    m->n--;
}

size_t rt__map_count(const struct rt_map *m)
{
    return m->n;
}
