/*
 * media_store.h — where uploaded files and their variants live: put, get
 * (whole or a byte range) and delete by key.
 *
 * Two backends behind one interface, chosen by configuration:
 *   - local (default): files under media_dir (default <data_dir>/media),
 *     written to a temporary name and renamed, so a reader never sees half
 *     a file;
 *   - S3-compatible (when s3_endpoint is set): path-style URLs
 *     {endpoint}/{bucket}/{key}, requests signed with libcurl's AWS SigV4
 *     ("aws:amz:<region>:s3") and an x-amz-content-sha256 header.
 *
 * Keys are chosen by the application, never by a client: 1 to 200
 * characters of [A-Za-z0-9_.-] in '/'-separated segments, no empty, "." or
 * ".." segment (media_store_key_valid). Every call checks the key.
 *
 * Threads: a store is immutable after media_store_open and may be used from
 * any thread. Calls block: on the disk (local) or the network (S3, up to
 * the request timeout). media_store_remote() says which, so callers keep
 * network calls off the HTTP request threads (req_offload or a job).
 */
#ifndef ARTISTRY_PLATFORM_MEDIA_STORE_H
#define ARTISTRY_PLATFORM_MEDIA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct config;
struct media_store;

enum media_store_errkind {
    MEDIA_STORE_E_NONE = 0,
    MEDIA_STORE_E_NOT_FOUND, /* no object with that key */
    MEDIA_STORE_E_RANGE,     /* the offset is past the end of the object */
    MEDIA_STORE_E_INVALID,   /* bad key or arguments: a bug in the caller */
    MEDIA_STORE_E_IO,        /* local file system error */
    MEDIA_STORE_E_UPSTREAM,  /* the remote store refused or failed (status, S3 error code in msg) */
};

/** Why a call failed; msg is for the server log, never the client. */
struct media_store_error {
    enum media_store_errkind kind;
    int http_status; /* remote store's status, 0 when none */
    char msg[256];
};

/** Length argument of media_store_get meaning "to the end of the object". */
#define MEDIA_STORE_TO_END UINT64_MAX

/**
 * Open the configured store: S3 when cfg->s3_endpoint is set (bucket and
 * keys required), else the local directory (created if missing). Returns
 * NULL with a message in errbuf on bad configuration or an unusable
 * directory. The caller owns the store (media_store_close).
 */
struct media_store *media_store_open(const struct config *cfg, char *errbuf, size_t errlen);

/** Release the store. NULL is a no-op. */
void media_store_close(struct media_store *s);

/** "local" or "s3". */
const char *media_store_kind(const struct media_store *s);

/** True when calls go over the network (keep them off request threads). */
bool media_store_remote(const struct media_store *s);

/** True if key is acceptable to every backend (see the header comment). */
bool media_store_key_valid(const char *key);

/**
 * Store len bytes under key, replacing any object there. content_type is
 * recorded by S3 (may be NULL). Returns 0, or -1 with err filled.
 */
int media_store_put(struct media_store *s, const char *key, const void *data, size_t len, const char *content_type,
                    struct media_store_error *err);

/**
 * Read `length` bytes (MEDIA_STORE_TO_END: all) of key from byte `offset`.
 * Reading past the end returns what exists; an offset past the end is
 * MEDIA_STORE_E_RANGE. The bytes are allocated in arena a (NUL-terminated
 * for convenience; *len excludes the NUL) and live as long as it does.
 * Returns 0, or -1 with err filled.
 */
int media_store_get(struct media_store *s, const char *key, uint64_t offset, uint64_t length, struct arena *a,
                    const char **data, size_t *len, struct media_store_error *err);

/** Delete key; a missing object is success (deletes are retried by jobs). Returns 0 or -1. */
int media_store_delete(struct media_store *s, const char *key, struct media_store_error *err);

#endif
