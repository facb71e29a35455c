/* STUB: replaced by the commissions work. */
#include "services/commissions/commissions.h"

const struct service_module commissions_module = {.name = "commissions"};
