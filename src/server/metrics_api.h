// The metric routes of the HTTP API: the pack catalog, the v1 metric endpoint with the spec's
// envelope, and the compatibility routes that keep dashboards written for the older
// BigQuery-only backends working unchanged (README, "Compatibility routes").
// Thread-safety: the handlers are stateless and may run concurrently.
#pragma once

#include "server/router.h"

namespace tributary {

//! Adds GET /api/v1/packs, /api/v1/projects, /api/v1/projects/{project}/metrics/{pack}/{metric}
//! and the compatibility routes to `router`.
void AddMetricRoutes(Router& router);

}  // namespace tributary
