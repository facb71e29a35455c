/*
 * media.h — the media service: upload, serve, delete and process images.
 */
#ifndef ARTISTRY_SERVICES_MEDIA_H
#define ARTISTRY_SERVICES_MEDIA_H

#include "http/http.h"

struct db;
struct db_error;

extern const struct service_module media_module;

/**
 * Let user_id read the private media object media_id (as its owner can),
 * in the caller's transaction; `reason` says why ("message:<msg_id>").
 * Granting twice is a no-op. 0 or -1 (err set).
 */
int media_grant_read(struct db *tx, const char *media_id, const char *user_id, const char *reason,
                     struct db_error *err);

#endif
