// The investigation routes of the HTTP API (docs/investigate.md): POST /api/v1/investigate
// (role query; the project from the body's `project`, else `?project=`, else the default
// project) and GET /api/v1/investigate/services (role read).
// Thread-safety: the handlers are stateless and may run concurrently.
#pragma once

#include "server/router.h"

namespace tributary {

//! Adds POST /api/v1/investigate and GET /api/v1/investigate/services to `router`.
void AddInvestigateRoutes(Router& router);

}  // namespace tributary
