/*
 * products_children.c — the rows that hang off a product, written inside
 * the product's write transaction: tags and materials (normalised rows for
 * filtering), variants, images, personalization questions, the slug, and
 * the derived in_stock flag.
 *
 * Arrays in a body replace the whole set. Images and questions are deleted
 * and inserted again (nothing refers to them); variants keep their
 * identity: an item with an id updates that variant, one without inserts a
 * new variant, and variants left out are deleted — carts and reservations
 * that point at a variant go with it (their foreign keys cascade), orders
 * keep their copy of the title and price (theirs set NULL).
 *
 * Caveats: swapping two SKUs between existing variants in one request can
 * hit the (product_id, sku) unique index mid-way; that answers 409.
 */
#include <ctype.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "services/products/products_int.h"

#define SLUG_MAX 60

static int replace_terms(struct db *db, const char *product_id, enum products_query del, enum products_query ins,
                         const struct product_terms *t, struct db_error *dberr)
{
    struct db_param p[] = {DB_TEXT(product_id)};
    if (db_exec(db, products__sql(del), p, 1, dberr) < 0)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        struct db_param q[] = {DB_TEXT(product_id), DB_TEXT(t->norm[i])};
        if (db_exec(db, products__sql(ins), q, 2, dberr) < 0)
            return -1;
    }
    return 0;
}

int products__write_tags(struct db *db, const char *product_id, const struct product_input *in, struct db_error *dberr)
{
    if ((in->set & PRODUCT_IN_TAGS) &&
        replace_terms(db, product_id, PRODUCTS_Q_DELETE_TAGS, PRODUCTS_Q_INSERT_TAG, &in->tags, dberr) != 0)
        return -1;
    if ((in->set & PRODUCT_IN_MATERIALS) && replace_terms(db, product_id, PRODUCTS_Q_DELETE_MATERIALS,
                                                          PRODUCTS_Q_INSERT_MATERIAL, &in->materials, dberr) != 0)
        return -1;
    return 0;
}

/* Ids of the product's variants now, in the arena. -1 on a database error. */
static int existing_variants(struct arena *a, struct db *db, const char *product_id, const char ***ids, size_t *n,
                             struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, products__sql(PRODUCTS_Q_VARIANT_IDS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(product_id));
    size_t cap = 8;
    *ids = arena_array(a, const char *, cap);
    *n = 0;
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        if (*n == cap) {
            const char **bigger = arena_array(a, const char *, cap * 2);
            memcpy(bigger, *ids, *n * sizeof **ids);
            *ids = bigger;
            cap *= 2;
        }
        (*ids)[(*n)++] = arena_strdup(a, db_column_text(st, 0));
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

int products__check_variant_ids(struct request *req, struct db *db, const char *product_id,
                                const struct product_input *in, struct app_error *err, struct db_error *dberr)
{
    const char **ids = NULL;
    size_t n = 0;
    if (product_id != NULL && existing_variants(req->arena, db, product_id, &ids, &n, dberr) != 0)
        return -1;
    for (size_t i = 0; i < in->nvariants; i++) {
        if (in->variants[i].id == NULL)
            continue;
        bool known = false;
        for (size_t j = 0; j < n && !known; j++)
            known = strcmp(ids[j], in->variants[i].id) == 0;
        if (!known)
            app_error_add_field(err, req->arena, arena_sprintf(req->arena, "variants[%zu].id", i), "not_found",
                                "no such variant of this product (leave id out to add a variant)");
    }
    return 0;
}

int products__write_variants(struct request *req, struct db *db, const char *product_id, const struct product_input *in,
                             struct db_error *dberr)
{
    if (!(in->set & PRODUCT_IN_VARIANTS))
        return 0;
    const char **ids;
    size_t n;
    if (existing_variants(req->arena, db, product_id, &ids, &n, dberr) != 0)
        return -1;
    for (size_t j = 0; j < n; j++) {
        bool kept = false;
        for (size_t i = 0; i < in->nvariants && !kept; i++)
            kept = in->variants[i].id != NULL && strcmp(in->variants[i].id, ids[j]) == 0;
        struct db_param p[] = {DB_TEXT(ids[j]), DB_TEXT(product_id)};
        if (!kept && db_exec(db, products__sql(PRODUCTS_Q_DELETE_VARIANT), p, 2, dberr) < 0)
            return -1;
    }
    int64_t now = time_now_ms();
    for (size_t i = 0; i < in->nvariants; i++) {
        const struct product_variant_in *v = &in->variants[i];
        const char *id = v->id ? v->id : id_new(req->arena, "var");
        struct db_param p[] = {DB_TEXT(id),      DB_TEXT(product_id),      DB_TEXT(v->name),
                               DB_TEXT(v->sku),  DB_TEXT(v->options_json), DB_I64(v->modifier),
                               DB_I64(v->stock), DB_I64(v->position),      DB_I64(now)};
        enum products_query q = v->id ? PRODUCTS_Q_UPDATE_VARIANT : PRODUCTS_Q_INSERT_VARIANT;
        if (db_exec(db, products__sql(q), p, 9, dberr) < 0)
            return -1;
    }
    return 0;
}

int products__write_images(struct request *req, struct db *db, const char *product_id, const struct product_input *in,
                           struct db_error *dberr)
{
    if (!(in->set & PRODUCT_IN_IMAGES))
        return 0;
    struct db_param d[] = {DB_TEXT(product_id)};
    if (db_exec(db, products__sql(PRODUCTS_Q_DELETE_IMAGES), d, 1, dberr) < 0)
        return -1;
    int64_t now = time_now_ms();
    for (size_t i = 0; i < in->nimages; i++) {
        const struct product_image_in *im = &in->images[i];
        struct db_param p[] = {DB_TEXT(id_new(req->arena, "pim")),
                               DB_TEXT(product_id),
                               DB_TEXT(im->media_id),
                               DB_I64(im->position),
                               DB_I64(im->primary),
                               DB_TEXT(im->alt),
                               DB_I64(now)};
        if (db_exec(db, products__sql(PRODUCTS_Q_INSERT_IMAGE), p, 7, dberr) < 0)
            return -1;
    }
    return 0;
}

int products__write_questions(struct request *req, struct db *db, const char *product_id,
                              const struct product_input *in, struct db_error *dberr)
{
    if (!(in->set & PRODUCT_IN_QUESTIONS))
        return 0;
    struct db_param d[] = {DB_TEXT(product_id)};
    if (db_exec(db, products__sql(PRODUCTS_Q_DELETE_QUESTIONS), d, 1, dberr) < 0)
        return -1;
    int64_t now = time_now_ms();
    for (size_t i = 0; i < in->nquestions; i++) {
        const struct product_question_in *q = &in->questions[i];
        struct db_param p[] = {DB_TEXT(id_new(req->arena, "ppq")),
                               DB_TEXT(product_id),
                               DB_I64(i + 1),
                               DB_TEXT(q->prompt),
                               DB_TEXT(q->kind),
                               q->max_length >= 0 ? DB_I64(q->max_length) : DB_NULL,
                               DB_I64(q->required),
                               DB_I64(now)};
        if (db_exec(db, products__sql(PRODUCTS_Q_INSERT_QUESTION), p, 8, dberr) < 0)
            return -1;
    }
    return 0;
}

int products__refresh_stock(struct db *db, const char *product_id, bool *in_stock, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, products__sql(PRODUCTS_Q_REFRESH_STOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(product_id));
    int rc = db_step(st, dberr);
    bool v = rc == 1 && db_column_i64(st, 0) != 0;
    /* Step to the end so PostgreSQL and SQLite both finish the UPDATE before the statement is reused. */
    while (rc == 1)
        rc = db_step(st, dberr);
    db_reset(st);
    if (in_stock != NULL)
        *in_stock = v;
    return rc < 0 ? -1 : 0;
}

/*-----------------------------------------------------------------------------
 * Slugs
 */

static const char *slugify(struct arena *a, const char *title)
{
    char *out = arena_alloc(a, SLUG_MAX + 1);
    size_t n = 0;
    bool dash = false;
    for (const char *p = title; *p && n < SLUG_MAX; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) && c < 0x80) {
            if (dash && n > 0 && n < SLUG_MAX - 1)
                out[n++] = '-';
            dash = false;
            out[n++] = (char)tolower(c);
        } else if (c == '&' && n > 0) {
            /* "Juniper & Ash" → "juniper-and-ash" */
            if (n + 5 <= SLUG_MAX) {
                memcpy(out + n, "-and", 4);
                n += 4;
            }
            dash = true;
        } else {
            dash = true;
        }
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    if (n == 0) {
        memcpy(out, "item", 4);
        n = 4;
    }
    out[n] = '\0';
    return out;
}

int products__unique_slug(struct arena *a, struct db *db, const char *shop_id, const char *title,
                          const char *product_id, const char *fallback_id, const char **out, struct db_error *dberr)
{
    const char *base = slugify(a, title);
    for (int i = 1; i <= 10; i++) {
        const char *cand = i == 1 ? base : arena_sprintf(a, "%s-%d", base, i);
        if (i == 10) {
            /* Many products with one title: the id's random tail makes it unique. */
            size_t len = strlen(fallback_id);
            char *tail = arena_strdup(a, fallback_id + (len > 8 ? len - 8 : 0));
            for (char *p = tail; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            cand = arena_sprintf(a, "%s-%s", base, tail);
        }
        struct db_stmt *st = db_prepare(db, products__sql(PRODUCTS_Q_SLUG_TAKEN), dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(shop_id));
        db_bind(st, 2, DB_TEXT(cand));
        db_bind(st, 3, DB_TEXT(product_id));
        int rc = db_step(st, dberr);
        db_reset(st);
        if (rc < 0)
            return -1;
        if (rc == 0 || i == 10) {
            *out = cand;
            return 0;
        }
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Public (products.h)
 */

int products_refresh_stock(struct db *db, const char *product_id, struct db_error *err)
{
    return products__refresh_stock(db, product_id, NULL, err);
}

int products_touch(struct db *db, const char *product_id, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(product_id)};
    return db_exec(db, products__sql(PRODUCTS_Q_TOUCH), p, 1, err) < 0 ? -1 : 0;
}
