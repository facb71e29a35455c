/*
 * media_store.c — the media store's front: backend choice, key checks,
 * dispatch (see media_store.h).
 *
 * Caveats: the key rules are stricter than either backend needs (S3 takes
 * any UTF-8), so that a key is also a safe relative path and needs no
 * escaping in a URL or in the SigV4 canonical request.
 */
#include "platform/media_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/config.h"
#include "platform/media_store_int.h"

#define KEY_MAX 200

struct media_store {
    const struct media_store_ops *ops;
    void *impl;
};

int media_store__fail(struct media_store_error *err, enum media_store_errkind kind, int http_status, const char *fmt,
                      ...)
{
    err->kind = kind;
    err->http_status = http_status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

bool media_store_key_valid(const char *key)
{
    if (key == NULL)
        return false;
    size_t n = strlen(key);
    if (n == 0 || n > KEY_MAX)
        return false;
    const char *seg = key;
    for (size_t i = 0; i <= n; i++) {
        char ch = key[i];
        if (ch == '/' || ch == '\0') {
            size_t sl = (size_t)(key + i - seg);
            if (sl == 0 || (sl == 1 && seg[0] == '.') || (sl == 2 && seg[0] == '.' && seg[1] == '.'))
                return false;
            seg = key + i + 1;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

struct media_store *media_store_open(const struct config *cfg, char *errbuf, size_t errlen)
{
    struct media_store *s = xcalloc(1, sizeof *s);
    if (cfg->s3_endpoint != NULL && cfg->s3_endpoint[0] != '\0') {
        s->ops = &media_store__s3_ops;
        s->impl = media_store__s3_open(cfg, errbuf, errlen);
    } else {
        char dir[4096];
        if (cfg->media_dir != NULL && cfg->media_dir[0] != '\0')
            snprintf(dir, sizeof dir, "%s", cfg->media_dir);
        else
            snprintf(dir, sizeof dir, "%s/media", cfg->data_dir);
        s->ops = &media_store__local_ops;
        s->impl = media_store__local_open(dir, errbuf, errlen);
    }
    if (s->impl == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void media_store_close(struct media_store *s)
{
    if (s == NULL)
        return;
    s->ops->close(s->impl);
    free(s);
}

const char *media_store_kind(const struct media_store *s)
{
    return s->ops->kind;
}

bool media_store_remote(const struct media_store *s)
{
    return s->ops->remote;
}

int media_store_put(struct media_store *s, const char *key, const void *data, size_t len, const char *content_type,
                    struct media_store_error *err)
{
    memset(err, 0, sizeof *err);
    if (!media_store_key_valid(key) || (data == NULL && len > 0))
        return media_store__fail(err, MEDIA_STORE_E_INVALID, 0, "put: invalid key or data");
    return s->ops->put(s->impl, key, data, len, content_type, err);
}

int media_store_get(struct media_store *s, const char *key, uint64_t offset, uint64_t length, struct arena *a,
                    const char **data, size_t *len, struct media_store_error *err)
{
    memset(err, 0, sizeof *err);
    *data = NULL;
    *len = 0;
    if (!media_store_key_valid(key) || length == 0)
        return media_store__fail(err, MEDIA_STORE_E_INVALID, 0, "get: invalid key or length");
    return s->ops->get(s->impl, key, offset, length, a, data, len, err);
}

int media_store_delete(struct media_store *s, const char *key, struct media_store_error *err)
{
    memset(err, 0, sizeof *err);
    if (!media_store_key_valid(key))
        return media_store__fail(err, MEDIA_STORE_E_INVALID, 0, "delete: invalid key");
    return s->ops->del(s->impl, key, err);
}
