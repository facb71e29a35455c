/*
 * cursor.h — keyset cursors for list endpoints ({"data", "next_cursor"}).
 *
 * Lists page by keyset, never by offset: the cursor carries the sort key of
 * the last row shown, "<int>.<int>…<id>" (nints integers, then an id with
 * the list's prefix), so a page is one index range scan however deep and
 * rows inserted meanwhile neither repeat nor vanish. Most lists sort by
 * (created_at, id) and use the req_cursor_at pair.
 *
 * Cursors are readable text, not signed: a forged one can only move the
 * start of a page of rows the caller may read anyway.
 */
#ifndef ARTISTRY_HTTP_CURSOR_H
#define ARTISTRY_HTTP_CURSOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct app_error;
struct db_error;
struct db_stmt;
struct request;

/**
 * Parse ?cursor= into ints[0..nints-1] (non-negative) and *id (prefix
 * id_prefix). *present is false, and nothing else is set, without a cursor.
 * Returns -1 with invalid_cursor (400) for one this endpoint could not have
 * returned. nints is at most 4.
 */
int req_cursor(struct request *req, int nints, int64_t *ints, const char *id_prefix, const char **id, bool *present,
               struct app_error *err);

/** A cursor for the row with sort key ints[0..nints-1] and id, in the request arena. */
const char *req_cursor_make(struct request *req, int nints, const int64_t *ints, const char *id);

/** The (created_at, id) keyset: *id is NULL when there is no cursor. 0 or -1 (invalid_cursor). */
int req_cursor_at(struct request *req, const char *id_prefix, int64_t *at, const char **id, struct app_error *err);

/** The cursor after the row (at, id). */
const char *req_cursor_at_make(struct request *req, int64_t at, const char *id);

/** One list item from the statement's current row (a new reference). */
typedef json_t *(*page_row_fn)(struct request *req, struct db_stmt *st, void *ud);

/**
 * Read one page of a (created_at, id) keyset list: st is prepared and bound
 * to return at most limit + 1 rows in the list's order. The first limit
 * rows become items (row_fn) in *data, a new array; a row beyond them means
 * there is more, and *next is the cursor of the last item (created_at in
 * column at_col, id in id_col), else NULL. st is reset. 0, or -1 with dberr
 * set and *data NULL.
 */
int req_page_at(struct request *req, struct db_stmt *st, int64_t limit, int at_col, int id_col, page_row_fn row_fn,
                void *ud, json_t **data, const char **next, struct db_error *dberr);

/** Reply 200 {"data": data (stolen), "next_cursor": next or null}. */
void res_page(struct request *req, json_t *data, const char *next);

#endif
