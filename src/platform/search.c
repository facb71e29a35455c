/*
 * search.c — placeholder until the search engines land (keeps the build linking).
 */
#include "platform/search.h"

#include <stddef.h>

int search_sync_product(struct db *db, const char *product_id, struct db_error *err)
{
    (void)db, (void)product_id, (void)err;
    return 0;
}

int search_sync_shop(struct db *db, const char *shop_id, struct db_error *err)
{
    (void)db, (void)shop_id, (void)err;
    return 0;
}

int search_rebuild(struct db *db, int64_t *indexed, struct db_error *err)
{
    (void)db, (void)err;
    if (indexed != NULL)
        *indexed = 0;
    return 0;
}
