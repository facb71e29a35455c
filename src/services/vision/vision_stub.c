/* STUB: replaced by the vision work. */
#include "services/vision/vision.h"

const struct service_module vision_module = {.name = "vision"};
