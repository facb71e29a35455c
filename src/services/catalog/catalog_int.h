/*
 * catalog_int.h — shared inside src/services/catalog only.
 */
#ifndef ARTISTRY_SERVICES_CATALOG_INT_H
#define ARTISTRY_SERVICES_CATALOG_INT_H

#include "http/http.h"

enum catalog_query {
    CATALOG_Q_CATEGORY_TREE,
    CATALOG_Q_CATEGORY_BY_ID,
    CATALOG_Q_CATEGORY_INSERT,
    CATALOG_Q__COUNT,
};

/** SQL text of a catalog statement (static storage: usable as a cache key). */
const char *catalog__sql(enum catalog_query q);

int catalog_handle_list_categories(struct request *req, struct app_error *err);
int catalog_handle_create_category(struct request *req, struct app_error *err);

#endif
