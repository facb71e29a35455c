/*
 * openapi.c — OpenAPI generation from route tables.
 *
 * Caveats: response bodies of successful calls are described generically
 * (an object) unless a later revision of struct route carries a schema.
 */
#include "http/openapi.h"

#include <string.h>

#include "http/errors.h"
#include "http/http.h"
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>

static json_t *value_schema(enum value_type t, int64_t min, int64_t max, const char *prefix,
                            const char *const *enums, const struct field_spec *fields, bool nullable);

static json_t *object_schema(const struct field_spec *fields)
{
    json_t *props = json_object(), *req = json_array();
    for (const struct field_spec *f = fields; f != NULL && f->name != NULL; f++) {
        json_object_set_new(props, f->name,
                            value_schema(f->type, f->min, f->max, f->id_prefix, f->enum_values, f->fields, f->nullable));
        if (f->required)
            json_array_append_new(req, json_string(f->name));
    }
    json_t *o = json_pack("{s:s, s:o, s:b}", "type", "object", "properties", props, "additionalProperties", 0);
    if (json_array_size(req) > 0)
        json_object_set_new(o, "required", req);
    else
        json_decref(req);
    return o;
}

static json_t *value_schema(enum value_type t, int64_t min, int64_t max, const char *prefix,
                            const char *const *enums, const struct field_spec *fields, bool nullable)
{
    json_t *s = json_object();
    switch (t) {
    case VT_STRING:
        json_object_set_new(s, "type", json_string("string"));
        if (min > 0)
            json_object_set_new(s, "minLength", json_integer(min));
        if (max > 0)
            json_object_set_new(s, "maxLength", json_integer(max));
        break;
    case VT_INT:
    case VT_MONEY:
        json_object_set_new(s, "type", json_string("integer"));
        if (t == VT_MONEY) {
            json_object_set_new(s, "minimum", json_integer(0));
            json_object_set_new(s, "description", json_string("amount in minor units (cents)"));
        }
        if (min != 0 || max != 0) {
            json_object_set_new(s, "minimum", json_integer(min));
            json_object_set_new(s, "maximum", json_integer(max));
        }
        break;
    case VT_BOOL:
        json_object_set_new(s, "type", json_string("boolean"));
        break;
    case VT_ID:
        json_object_set_new(s, "type", json_string("string"));
        if (prefix != NULL) {
            char pat[64];
            snprintf(pat, sizeof pat, "^%s_[0-7][0-9A-HJKMNP-TV-Z]{25}$", prefix);
            json_object_set_new(s, "pattern", json_string(pat));
        }
        break;
    case VT_ENUM: {
        json_t *e = json_array();
        for (const char *const *v = enums; v != NULL && *v != NULL; v++)
            json_array_append_new(e, json_string(*v));
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "enum", e);
        break;
    }
    case VT_EMAIL:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "format", json_string("email"));
        break;
    case VT_TIME:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "format", json_string("date-time"));
        break;
    case VT_OBJECT:
        json_decref(s);
        s = fields ? object_schema(fields) : json_pack("{s:s}", "type", "object");
        break;
    case VT_ARRAY:
        json_object_set_new(s, "type", json_string("array"));
        if (fields != NULL)
            json_object_set_new(s, "items",
                                value_schema(fields[0].type, fields[0].min, fields[0].max, fields[0].id_prefix,
                                             fields[0].enum_values, fields[0].fields, false));
        if (max > 0)
            json_object_set_new(s, "maxItems", json_integer(max));
        break;
    case VT_ANY:
        break;
    }
    if (nullable) {
        json_t *ty = json_object_get(s, "type");
        if (ty != NULL && json_is_string(ty))
            json_object_set_new(s, "type", json_pack("[s,s]", json_string_value(ty), "null"));
    }
    return s;
}

/* "/api/v1/products/:id" -> "/api/v1/products/{id}" */
static char *oa_path(const char *p)
{
    size_t n = strlen(p);
    char *out = malloc(n * 2 + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == ':' && (i == 0 || p[i - 1] == '/')) {
            out[k++] = '{';
            while (i + 1 < n && p[i + 1] != '/')
                out[k++] = p[++i];
            out[k++] = '}';
        } else {
            out[k++] = p[i];
        }
    }
    out[k] = '\0';
    return out;
}

static void add_problem(json_t *responses, const char *status, const char *desc)
{
    json_object_set_new(responses, status,
                        json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", desc, "content", "application/problem+json",
                                  "schema", "$ref", "#/components/schemas/Problem"));
}

static json_t *operation(const struct route *rt, const char *module)
{
    json_t *op = json_object();
    json_object_set_new(op, "summary", json_string(rt->summary ? rt->summary : ""));
    json_object_set_new(op, "tags", json_pack("[s]", module));
    json_t *params = json_array();
    for (const struct param_spec *p = rt->params; p != NULL && p->name != NULL; p++)
        json_array_append_new(
            params, json_pack("{s:s, s:s, s:b, s:o}", "name", p->name, "in", p->source == PARAM_PATH ? "path" : "query",
                              "required", p->source == PARAM_PATH || p->required, "schema",
                              value_schema(p->type, p->min, p->max, p->id_prefix, p->enum_values, NULL, false)));
    if (rt->flags & ROUTE_IDEMPOTENT)
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s, s:i}}", "name", "Idempotency-Key", "in",
                                                "header", "required", 0, "schema", "type", "string", "maxLength", 255));
    if (json_array_size(params) > 0)
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    if (rt->flags & ROUTE_BODY_JSON)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:o}}}", "required", rt->body != NULL, "content", "application/json",
                                      "schema", rt->body ? object_schema(rt->body) : json_pack("{s:s}", "type", "object")));
    json_t *responses = json_object();
    const char *ok = rt->method == HTTP_POST ? "201" : "200";
    json_object_set_new(responses, ok, json_pack("{s:s}", "description", "Success"));
    if (rt->params != NULL)
        add_problem(responses, "400", "Invalid or unknown parameter");
    if (rt->flags & ROUTE_BODY_JSON) {
        add_problem(responses, "400", "Malformed JSON");
        add_problem(responses, "413", "Body too large");
        add_problem(responses, "415", "Content-Type is not application/json");
        add_problem(responses, "422", "Validation failed (errors[] lists each field)");
    }
    if (rt->auth >= AUTH_USER) {
        add_problem(responses, "401", "Missing or invalid bearer token");
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
    }
    if (rt->auth >= AUTH_SELLER)
        add_problem(responses, "403", "The caller's role may not call this endpoint");
    if (strchr(rt->path, ':') != NULL)
        add_problem(responses, "404", "Not found");
    add_problem(responses, "default", "Error (RFC 9457 problem details)");
    json_object_set_new(op, "responses", responses);
    return op;
}

json_t *openapi_build(const struct service_module *const *mods, size_t n, const char *version)
{
    json_t *paths = json_object();
    for (size_t i = 0; i < n; i++) {
        for (size_t r = 0; r < mods[i]->nroutes; r++) {
            const struct route *rt = &mods[i]->routes[r];
            char *p = oa_path(rt->path);
            json_t *item = json_object_get(paths, p);
            if (item == NULL) {
                item = json_object();
                json_object_set_new(paths, p, item);
            }
            char method[16];
            const char *mn = http_method_name(rt->method);
            size_t k = 0;
            for (; mn[k] && k < sizeof method - 1; k++)
                method[k] = (char)(mn[k] | 0x20);
            method[k] = '\0';
            json_object_set_new(item, method, operation(rt, mods[i]->name));
            free(p);
        }
    }
    json_t *problem = json_pack(
        "{s:s, s:[s,s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s, s:{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}}}}}",
        "type", "object", "required", "type", "title", "status", "code", "properties", "type", "type", "string",
        "title", "type", "string", "status", "type", "integer", "detail", "type", "string", "instance", "type", "string",
        "code", "type", "string", "request_id", "type", "string", "errors", "type", "array", "items", "type", "object",
        "properties", "field", "type", "string", "code", "type", "string", "message", "type", "string");
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:{s:{s:o}, s:{s:{s:s, s:s, s:s}}}}", "openapi", "3.1.0",
                     "info", "title", "Artistry Cart API", "version", version, "description",
                     "Multi-vendor marketplace for handmade goods. Errors are RFC 9457 problem details with a stable "
                     "`code`. Generated from the server's route tables.",
                     "servers", "url", "/", "paths", paths, "components", "schemas", "Problem", problem,
                     "securitySchemes", "bearer", "type", "http", "scheme", "bearer", "bearerFormat", "JWT");
}
