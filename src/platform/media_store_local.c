/*
 * media_store_local.c — the media store in a local directory.
 *
 * An object is the file <root>/<key>. A put writes a temporary file in the
 * same directory (fs_write_atomic), fsyncs it and renames it over the final name,
 * so readers see the old object or the new one, never a torn file, and a
 * crash leaves at most a stray hidden ".<name>.tmp-" file. Directories are created as
 * needed (0750) and removed when a delete empties them.
 *
 * Caveats: reads and writes block on the disk; the media service does them
 * on request threads only for serving (like SQLite reads), uploads and
 * variants run on the slow pool and the job workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/fsutil.h"
#include "platform/media_store_int.h"

struct local_store {
    char root[4096];
};

/* mkdir -p for the directories of path (not its last segment). */
static int make_parents(const char *path)
{
    char dir[4400];
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path)
        return 0;
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    return fs_mkdirs(dir, 0750);
}

void *media_store__local_open(const char *dir, char *errbuf, size_t errlen)
{
    struct local_store *ls = xcalloc(1, sizeof *ls);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 0 || n + 1 >= sizeof ls->root - 256) {
        snprintf(errbuf, errlen, "media directory '%s' is empty or too long", dir);
        goto fail;
    }
    memcpy(ls->root, dir, n);
    ls->root[n] = '/'; /* make_parents creates every directory before a '/' */
    ls->root[n + 1] = '\0';
    if (make_parents(ls->root) != 0) {
        snprintf(errbuf, errlen, "cannot create media directory %s: %s", dir, strerror(errno));
        goto fail;
    }
    ls->root[n] = '\0';
    if (access(ls->root, W_OK | X_OK) != 0) {
        snprintf(errbuf, errlen, "media directory %s is not writable: %s", ls->root, strerror(errno));
        goto fail;
    }
    return ls;
fail:
    free(ls);
    return NULL;
}

static void local_close(void *impl)
{
    free(impl);
}

static void object_path(const struct local_store *ls, const char *key, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", ls->root, key);
}

static int local_put(void *impl, const char *key, const void *data, size_t len, const char *content_type,
                     struct media_store_error *err)
{
    (void)content_type;
    struct local_store *ls = impl;
    char path[4400];
    object_path(ls, key, path, sizeof path);
    if (make_parents(path) != 0)
        return media_store__fail(err, MEDIA_STORE_E_IO, 0, "mkdir for %s: %s", key, strerror(errno));
    if (fs_write_atomic(path, data, len, 0640) != 0)
        return media_store__fail(err, MEDIA_STORE_E_IO, 0, "write %s: %s", key, strerror(errno));
    return 0;
}

static int local_get(void *impl, const char *key, uint64_t offset, uint64_t length, struct arena *a, const char **data,
                     size_t *len, struct media_store_error *err)
{
    struct local_store *ls = impl;
    char path[4400];
    int ret = -1;
    object_path(ls, key, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return media_store__fail(err, MEDIA_STORE_E_NOT_FOUND, 0, "no object %s", key);
        return media_store__fail(err, MEDIA_STORE_E_IO, 0, "open %s: %s", key, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        media_store__fail(err, MEDIA_STORE_E_IO, 0, "stat %s: not a regular file", key);
        goto out;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (offset > size || (offset == size && size > 0)) {
        media_store__fail(err, MEDIA_STORE_E_RANGE, 0, "offset %llu past the end of %s (%llu bytes)",
                          (unsigned long long)offset, key, (unsigned long long)size);
        goto out;
    }
    uint64_t want = size - offset < length ? size - offset : length;
    if (want > SIZE_MAX / 2) {
        media_store__fail(err, MEDIA_STORE_E_IO, 0, "%s is too large to read", key);
        goto out;
    }
    char *buf = arena_alloc(a, (size_t)want + 1);
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(fd, buf + got, (size_t)want - got, (off_t)(offset + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            media_store__fail(err, MEDIA_STORE_E_IO, 0, "read %s: %s", key, r < 0 ? strerror(errno) : "short file");
            goto out;
        }
        got += (size_t)r;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    ret = 0;
out:
    close(fd);
    return ret;
}

static int local_del(void *impl, const char *key, struct media_store_error *err)
{
    struct local_store *ls = impl;
    char path[4400];
    object_path(ls, key, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR)
        return media_store__fail(err, MEDIA_STORE_E_IO, 0, "unlink %s: %s", key, strerror(errno));
    /* Remove directories the delete emptied, up to the root; a non-empty one stops the walk. */
    size_t root_len = strlen(ls->root);
    for (char *slash = strrchr(path, '/'); slash != NULL && (size_t)(slash - path) > root_len;
         slash = strrchr(path, '/')) {
        *slash = '\0';
        if (rmdir(path) != 0)
            break;
    }
    return 0;
}

const struct media_store_ops media_store__local_ops = {
    .kind = "local",
    .remote = false,
    .put = local_put,
    .get = local_get,
    .del = local_del,
    .close = local_close,
};
