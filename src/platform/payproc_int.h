/*
 * payproc_int.h — shared inside src/platform/payproc*.c only: the two
 * processors and small helpers for filling results.
 */
#ifndef ARTISTRY_PLATFORM_PAYPROC_INT_H
#define ARTISTRY_PLATFORM_PAYPROC_INT_H

#include "platform/payproc.h"

extern const struct payproc_ops payproc__local_ops;
extern const struct payproc_ops payproc__stripe_ops;

/** Copy src into a fixed result field (truncating, always NUL-terminated). */
void payproc__set(char *dst, size_t cap, const char *src);
#define PAYPROC_SET(field, src) payproc__set((field), sizeof(field), (src))

/** A refusal that retrying cannot change (code, message). Returns -1 (ops return 0 only when ok). */
int payproc__refused(struct payproc_result *out, const char *code, const char *message);

#endif
