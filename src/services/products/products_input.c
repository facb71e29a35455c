/*
 * products_input.c — the body of POST and PATCH /products[/:id] as a
 * struct product_input.
 *
 * The route's field specs have already checked types, lengths and ranges;
 * this adds the checks a spec cannot express (options are a flat object of
 * strings, SKUs and media ids are distinct, at most one primary image, a
 * file question has no max_length, tags are distinct once normalised) and
 * normalises: tags and materials trimmed for display and lowercased for
 * filtering, image positions defaulted to the array order, a text
 * question's max_length defaulted.
 *
 * Caveats: checks that need the database (category exists, media owned by
 * the seller, unit prices against the stored price, variant ids) are made
 * inside the write transaction (products_write.c).
 */
#include <stdlib.h>
#include <string.h>

#include "services/products/products_int.h"

#define DEFAULT_TEXT_MAX_LENGTH 500
#define MAX_OPTIONS 5

static const char *trimmed(struct arena *a, const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return arena_strndup(a, s, n);
}

static char *dump(struct arena *a, json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *out = arena_strdup(a, text ? text : "null");
    free(text);
    return out;
}

/* Tags or materials: display values (trimmed, first spelling kept) and normalised values, distinct. */
static void parse_terms(struct request *req, json_t *arr, const char *field, struct product_terms *t,
                        struct app_error *err)
{
    size_t n = json_array_size(arr);
    t->display = arena_array(req->arena, const char *, n + 1);
    t->norm = arena_array(req->arena, const char *, n + 1);
    t->n = 0;
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *disp = trimmed(req->arena, json_string_value(json_array_get(arr, i)));
        char *norm = products__normalize_term(req->arena, disp);
        if (norm == NULL || strchr(norm, ',') != NULL) {
            app_error_add_field(err, req->arena, arena_sprintf(req->arena, "%s[%zu]", field, i), "invalid_value",
                                "must be a non-blank word or phrase without commas");
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < t->n && !dup; j++)
            dup = strcmp(t->norm[j], norm) == 0;
        if (dup)
            continue;
        t->display[t->n] = disp;
        t->norm[t->n++] = norm;
        json_array_append_new(out, json_string(disp));
    }
    t->json = dump(req->arena, out);
    json_decref(out);
}

static void parse_variants(struct request *req, json_t *arr, struct product_input *in, struct app_error *err)
{
    size_t n = json_array_size(arr);
    in->variants = arena_array(req->arena, struct product_variant_in, n + 1);
    in->nvariants = n;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        struct product_variant_in *o = &in->variants[i];
        o->id = json_string_value(json_object_get(v, "id"));
        o->name = trimmed(req->arena, json_string_value(json_object_get(v, "name")));
        o->sku = json_string_value(json_object_get(v, "sku"));
        json_t *mod = json_object_get(json_object_get(v, "price_modifier"), "amount");
        o->modifier = mod ? json_integer_value(mod) : 0;
        o->stock = json_integer_value(json_object_get(v, "stock"));
        json_t *pos = json_object_get(v, "position");
        o->position = pos ? json_integer_value(pos) : (int64_t)i;
        json_t *opts = json_object_get(v, "options");
        const char *path = arena_sprintf(req->arena, "variants[%zu]", i);
        if (*o->name == '\0')
            app_error_add_field(err, req->arena, arena_sprintf(req->arena, "%s.name", path), "required",
                                "must not be blank");
        if (opts != NULL) {
            const char *k;
            json_t *val;
            bool ok = json_object_size(opts) <= MAX_OPTIONS;
            json_object_foreach(opts, k, val)
            {
                const char *sv = json_string_value(val);
                if (strlen(k) == 0 || strlen(k) > 40 || sv == NULL || strlen(sv) == 0 || strlen(sv) > 80)
                    ok = false;
            }
            if (!ok)
                app_error_add_field(err, req->arena, arena_sprintf(req->arena, "%s.options", path), "invalid_value",
                                    "must map at most 5 option names (1-40 characters) to values (1-80 characters)");
        }
        o->options_json = opts ? dump(req->arena, opts) : "{}";
        for (size_t j = 0; j < i; j++) {
            if (o->sku != NULL && in->variants[j].sku != NULL && strcmp(o->sku, in->variants[j].sku) == 0)
                app_error_add_field(err, req->arena, arena_sprintf(req->arena, "%s.sku", path), "duplicate",
                                    "another variant of this product has this SKU");
            if (o->id != NULL && in->variants[j].id != NULL && strcmp(o->id, in->variants[j].id) == 0)
                app_error_add_field(err, req->arena, arena_sprintf(req->arena, "%s.id", path), "duplicate",
                                    "this variant is listed twice");
        }
    }
}

static void parse_images(struct request *req, json_t *arr, struct product_input *in, struct app_error *err)
{
    size_t n = json_array_size(arr), primaries = 0;
    in->images = arena_array(req->arena, struct product_image_in, n + 1);
    in->nimages = n;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        struct product_image_in *o = &in->images[i];
        o->media_id = json_string_value(json_object_get(v, "media_id"));
        o->alt = json_string_value(json_object_get(v, "alt"));
        json_t *pos = json_object_get(v, "position");
        o->position = pos ? json_integer_value(pos) : (int64_t)i;
        o->primary = json_is_true(json_object_get(v, "is_primary"));
        primaries += o->primary;
        for (size_t j = 0; j < i; j++)
            if (strcmp(o->media_id, in->images[j].media_id) == 0)
                app_error_add_field(err, req->arena, arena_sprintf(req->arena, "images[%zu].media_id", i), "duplicate",
                                    "this image is listed twice");
    }
    if (primaries > 1)
        app_error_add_field(err, req->arena, "images", "invalid_value", "at most one image may be primary");
    /* None flagged: the first in display order is the primary image. */
    if (primaries == 0 && n > 0) {
        size_t first = 0;
        for (size_t i = 1; i < n; i++)
            if (in->images[i].position < in->images[first].position)
                first = i;
        in->images[first].primary = true;
    }
}

static void parse_questions(struct request *req, json_t *arr, struct product_input *in, struct app_error *err)
{
    size_t n = json_array_size(arr);
    in->questions = arena_array(req->arena, struct product_question_in, n + 1);
    in->nquestions = n;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        struct product_question_in *o = &in->questions[i];
        o->prompt = trimmed(req->arena, json_string_value(json_object_get(v, "prompt")));
        const char *kind = json_string_value(json_object_get(v, "kind"));
        o->kind = kind ? kind : "text";
        o->required = json_is_true(json_object_get(v, "required"));
        json_t *ml = json_object_get(v, "max_length");
        bool has_ml = ml != NULL && !json_is_null(ml);
        if (*o->prompt == '\0')
            app_error_add_field(err, req->arena, arena_sprintf(req->arena, "personalization_questions[%zu].prompt", i),
                                "required", "must not be blank");
        if (strcmp(o->kind, "file") == 0) {
            if (has_ml)
                app_error_add_field(err, req->arena,
                                    arena_sprintf(req->arena, "personalization_questions[%zu].max_length", i),
                                    "invalid_value", "a file question has no max_length");
            o->max_length = -1;
        } else {
            o->max_length = has_ml ? json_integer_value(ml) : DEFAULT_TEXT_MAX_LENGTH;
        }
    }
}

int products__input_parse(struct request *req, struct product_input *in, struct app_error *err)
{
    json_t *b = req->json;
    json_t *v;
    memset(in, 0, sizeof *in);
    in->weight_grams = -1;
    if ((v = json_object_get(b, "title")) != NULL) {
        in->set |= PRODUCT_IN_TITLE;
        in->title = trimmed(req->arena, json_string_value(v));
        if (*in->title == '\0')
            app_error_add_field(err, req->arena, "title", "required", "must not be blank");
    }
    if ((v = json_object_get(b, "description")) != NULL) {
        in->set |= PRODUCT_IN_DESCRIPTION;
        in->description = json_string_value(v);
    }
    if ((v = json_object_get(b, "price")) != NULL) {
        in->set |= PRODUCT_IN_PRICE;
        in->price_amount = json_integer_value(json_object_get(v, "amount"));
        in->currency = json_string_value(json_object_get(v, "currency"));
        if (in->currency != NULL)
            for (const char *p = in->currency; *p; p++)
                if (*p < 'A' || *p > 'Z')
                    app_error_add_field(err, req->arena, "price.currency", "invalid_format",
                                        "must be an ISO 4217 code (three upper-case letters)");
    }
    if ((v = json_object_get(b, "category_id")) != NULL) {
        in->set |= PRODUCT_IN_CATEGORY;
        in->category_id = json_string_value(v);
    }
    if ((v = json_object_get(b, "tags")) != NULL) {
        in->set |= PRODUCT_IN_TAGS;
        parse_terms(req, v, "tags", &in->tags, err);
    }
    if ((v = json_object_get(b, "materials")) != NULL) {
        in->set |= PRODUCT_IN_MATERIALS;
        parse_terms(req, v, "materials", &in->materials, err);
    }
    if ((v = json_object_get(b, "made_to_order")) != NULL) {
        in->set |= PRODUCT_IN_MADE_TO_ORDER;
        in->made_to_order = json_is_true(v);
    }
    if ((v = json_object_get(b, "processing_days")) != NULL) {
        in->set |= PRODUCT_IN_PROCESSING;
        in->processing_days = json_integer_value(v);
    }
    if ((v = json_object_get(b, "who_made")) != NULL) {
        in->set |= PRODUCT_IN_WHO_MADE;
        in->who_made = json_string_value(v);
    }
    if ((v = json_object_get(b, "weight_grams")) != NULL) {
        in->set |= PRODUCT_IN_WEIGHT;
        in->weight_grams = json_is_null(v) ? -1 : json_integer_value(v);
    }
    if ((v = json_object_get(b, "stock")) != NULL) {
        in->set |= PRODUCT_IN_STOCK;
        in->stock = json_integer_value(v);
    }
    if ((v = json_object_get(b, "variants")) != NULL) {
        in->set |= PRODUCT_IN_VARIANTS;
        parse_variants(req, v, in, err);
    }
    if ((v = json_object_get(b, "images")) != NULL) {
        in->set |= PRODUCT_IN_IMAGES;
        parse_images(req, v, in, err);
    }
    if ((v = json_object_get(b, "personalization_questions")) != NULL) {
        in->set |= PRODUCT_IN_QUESTIONS;
        parse_questions(req, v, in, err);
    }
    if ((v = json_object_get(b, "status")) != NULL) {
        in->set |= PRODUCT_IN_STATUS;
        in->status = json_string_value(v);
    }
    if ((v = json_object_get(b, "removed_reason")) != NULL) {
        in->set |= PRODUCT_IN_REMOVED_REASON;
        in->removed_reason = json_string_value(v);
    }
    if (err->nfields > 0)
        return app_error_set(err, req->arena, "validation_failed", "%zu fields are invalid; see errors", err->nfields);
    return 0;
}
