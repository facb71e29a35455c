/*
 * fuzz_multipart.c — libFuzzer target: the multipart/form-data reader
 * (http/multipart.h) on arbitrary Content-Type values and bodies.
 *
 * Input layout: "<Content-Type value>\n<body>". The body is copied into a
 * buffer of exactly its size, so AddressSanitizer catches any read past
 * its end. Checked for every input: no crash, leak or sanitizer report;
 * every part lies inside the body, parts come in order without overlap,
 * and a failed reader stays failed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "http/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (nl == NULL || (size_t)(nl - data) > 512)
        return 0;
    struct arena a;
    arena_init(&a, 4096);
    char *ct = arena_strndup(&a, (const char *)data, (size_t)(nl - data));
    size_t len = size - (size_t)(nl - data) - 1;
    char *body = malloc(len ? len : 1);
    if (body == NULL)
        abort();
    memcpy(body, nl + 1, len);

    const char *boundary, *why;
    if (multipart_boundary(ct, &a, &boundary, &why) == MULTIPART_CT_OK) {
        struct multipart_limits lim = {.max_parts = 8, .max_header_bytes = 256, .max_headers = 8};
        struct multipart_reader r;
        struct multipart_part p;
        const char *end_of_last = body;
        int rc, n = 0;
        multipart_init(&r, body, len, boundary, &lim);
        while ((rc = multipart_next(&r, &a, &p)) == 1) {
            if (p.name == NULL || p.data < end_of_last || p.data + p.len > body + len)
                abort();
            end_of_last = p.data + p.len;
            if (++n > 8)
                abort(); /* the part limit must hold */
        }
        if (rc < 0 && (r.error == NULL || multipart_next(&r, &a, &p) != -1))
            abort();
        if (rc == 0 && multipart_next(&r, &a, &p) != 0)
            abort();
    }
    free(body);
    arena_destroy(&a);
    return 0;
}
