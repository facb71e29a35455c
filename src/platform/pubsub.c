/* pubsub.c — placeholder: in-process only (the Redis backend replaces this file). */
#include "platform/pubsub.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sub {
    char *channel;
    pubsub_fn fn;
    void *ud;
    struct sub *next;
};
static struct sub *subs;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

int pubsub_start(const struct config *cfg) { (void)cfg; return 0; }
void pubsub_stop(void) {}
bool pubsub_shared(void) { return false; }

int pubsub_subscribe(const char *channel, pubsub_fn fn, void *ud)
{
    struct sub *s = calloc(1, sizeof *s);
    if (!s) return -1;
    s->channel = strdup(channel);
    s->fn = fn;
    s->ud = ud;
    pthread_mutex_lock(&mu);
    s->next = subs;
    subs = s;
    pthread_mutex_unlock(&mu);
    return 0;
}

int pubsub_publish(const char *channel, const char *msg, size_t len)
{
    pthread_mutex_lock(&mu);
    struct sub *list = subs;
    pthread_mutex_unlock(&mu);
    for (struct sub *s = list; s; s = s->next)
        if (strcmp(s->channel, channel) == 0) s->fn(channel, msg, len, s->ud);
    return 0;
}
