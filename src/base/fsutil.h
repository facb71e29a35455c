/*
 * fsutil.h — small filesystem helpers shared by the outboxes, the local
 * media store and start-up: mkdir -p, and writing a file so that readers
 * see either nothing or all of it.
 */
#ifndef ARTISTRY_BASE_FSUTIL_H
#define ARTISTRY_BASE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/** mkdir -p: create path and its missing parents with mode. 0, or -1 with errno set. */
int fs_mkdirs(const char *path, mode_t mode);

/**
 * Write data to path atomically and durably: a hidden temporary file in the
 * same directory (".<name>.tmp-XXXXXX", so directory readers skip it) is
 * written, fsynced, given mode and renamed over path, then the directory is
 * fsynced. The directory must exist. 0, or -1 with errno set (nothing left
 * behind).
 */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif
