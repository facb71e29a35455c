/*
 * fuzz_request.c — libFuzzer target: arbitrary requests through routing,
 * parameter validation and JSON body validation, over the real route
 * tables of every module.
 *
 * Input layout: "<METHOD> <path>[?query]\n<body>". The target must never
 * crash, leak or trip a sanitizer whatever the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/arena.h"
#include "base/error.h"
#include "http/http.h"
#include "http/router.h"
#include "http/validate.h"

static struct router *router;

static void build_router(void)
{
    char eb[256];
    router = router_new();
    for (size_t i = 0; i < app_all_modules_count; i++)
        if (router_add(router, app_all_modules[i]->routes, app_all_modules[i]->nroutes, eb, sizeof eb) != 0)
            abort();
}

static const struct param_spec *find_query(const struct route *rt, const char *name)
{
    for (const struct param_spec *p = rt->params; p != NULL && p->name != NULL; p++)
        if (p->source == PARAM_QUERY && strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (router == NULL)
        build_router();
    const uint8_t *nl = memchr(data, '\n', size);
    size_t line_len = nl ? (size_t)(nl - data) : size;
    if (line_len > 4096)
        return 0;
    char line[4097];
    memcpy(line, data, line_len);
    line[line_len] = '\0';
    const char *body = nl ? (const char *)nl + 1 : "";
    size_t body_len = nl ? size - line_len - 1 : 0;

    char *sp = strchr(line, ' ');
    if (sp == NULL)
        return 0;
    *sp = '\0';
    char *path = sp + 1;
    char *query = strchr(path, '?');
    if (query != NULL)
        *query++ = '\0';
    unsigned method = http_method_parse(line);
    if (method == 0)
        method = HTTP_POST;

    struct arena a;
    arena_init(&a, 4096);
    struct app_error err = {0};
    char scratch[1024];
    struct route_match m;
    if (router_match(router, method, path, scratch, sizeof scratch, &m) == 0 && m.route != NULL) {
        const struct route *rt = m.route;
        for (int i = 0; i < m.nparams; i++)
            for (const struct param_spec *p = rt->params; p != NULL && p->name != NULL; p++)
                if (p->source == PARAM_PATH && strcmp(p->name, m.param_names[i]) == 0)
                    validate_param(p, m.param_values[i], &err, &a);
        for (char *save = NULL, *kv = query ? strtok_r(query, "&", &save) : NULL; kv != NULL;
             kv = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(kv, '=');
            if (eq != NULL)
                *eq = '\0';
            const struct param_spec *p = find_query(rt, kv);
            if (p != NULL)
                validate_param(p, eq ? eq + 1 : "", &err, &a);
        }
        if (rt->body != NULL) {
            json_error_t jerr;
            json_t *j = json_loadb(body, body_len, JSON_REJECT_DUPLICATES, &jerr);
            if (j != NULL) {
                validate_body(rt->body, j, "", &err, &a);
                json_decref(j);
            }
        }
    }
    /* The free-standing checks see raw bytes too. */
    utf8_valid(body, body_len);
    if (body_len < 512) {
        char tmp[512];
        memcpy(tmp, body, body_len);
        tmp[body_len] = '\0';
        email_valid(tmp);
    }
    arena_destroy(&a);
    return 0;
}
