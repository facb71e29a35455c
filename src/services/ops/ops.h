/*
 * ops.h — operations endpoints: liveness, readiness, metrics, OpenAPI.
 *
 * GET /healthz  the process is alive (no database access)
 * GET /readyz   the database answers and its schema is the binary's
 * GET /metrics  Prometheus text: HTTP, database, jobs, memory
 * GET /api/v1/openapi.json  the API description (docs/openapi.json, compiled in)
 */
#ifndef ARTISTRY_SERVICES_OPS_H
#define ARTISTRY_SERVICES_OPS_H

#include "http/http.h"

extern const struct service_module ops_module;

#endif
