/*
 * media_store_int.h — shared by the media store's files only
 * (media_store.c, media_store_local.c, media_store_s3.c).
 *
 * A backend is a table of operations over its own state; media_store.c
 * checks keys and arguments once, then calls through the table.
 */
#ifndef ARTISTRY_PLATFORM_MEDIA_STORE_INT_H
#define ARTISTRY_PLATFORM_MEDIA_STORE_INT_H

#include "platform/media_store.h"

struct media_store_ops {
    const char *kind;
    bool remote;
    int (*put)(void *impl, const char *key, const void *data, size_t len, const char *content_type,
               struct media_store_error *err);
    int (*get)(void *impl, const char *key, uint64_t offset, uint64_t length, struct arena *a, const char **data,
               size_t *len, struct media_store_error *err);
    int (*del)(void *impl, const char *key, struct media_store_error *err);
    void (*close)(void *impl);
};

/** Fill err (printf-style message); returns -1. */
int media_store__fail(struct media_store_error *err, enum media_store_errkind kind, int http_status, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

/** Open the local backend rooted at dir (created if missing). NULL with errbuf filled on failure. */
void *media_store__local_open(const char *dir, char *errbuf, size_t errlen);
extern const struct media_store_ops media_store__local_ops;

/** Open the S3 backend from cfg (s3_* settings). NULL with errbuf filled on failure. */
void *media_store__s3_open(const struct config *cfg, char *errbuf, size_t errlen);
extern const struct media_store_ops media_store__s3_ops;

#endif
