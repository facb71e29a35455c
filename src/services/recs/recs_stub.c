/* STUB: replaced by the recommendations work. */
#include "services/recs/recs.h"

const struct service_module recs_module = {.name = "recs"};
