/*
 * users.h — the public face of the users service: profiles, preferences,
 * data export and erasure, seller applications and shops, and the admin
 * user tools. Other services need nothing from it but the module itself.
 */
#ifndef ARTISTRY_SERVICES_USERS_H
#define ARTISTRY_SERVICES_USERS_H

#include "http/http.h"

extern const struct service_module users_module;

#endif
