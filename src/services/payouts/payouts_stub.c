/* STUB: replaced by the payouts work. */
#include "services/payouts/payouts.h"

const struct service_module payouts_module = {.name = "payouts"};
