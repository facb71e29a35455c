/*
 * commissions.h — custom commissions: a buyer's request, sellers'
 * proposals with milestones, acceptance, and milestone delivery and
 * approval (see README.md in this directory). Funding, release and
 * disputes of a milestone's money are the escrow service's.
 */
#ifndef ARTISTRY_SERVICES_COMMISSIONS_H
#define ARTISTRY_SERVICES_COMMISSIONS_H

#include "http/http.h"

extern const struct service_module commissions_module;

#endif
