// The result cache's HTTP routes: statistics and clearing (v1 and the compatibility paths),
// and its part of the readiness answer.
// Thread-safety: handlers are plain functions; the cache they reach is thread-safe.
#pragma once

#include "core/json_out.h"
#include "orchestrator/runtime.h"
#include "server/router.h"

namespace tributary {

//! GET /api/v1/cache/stats, POST /api/v1/cache/clear, and the compatibility routes
//! POST /api/cache/clear, GET /api/analytics/cache/stats, POST /api/analytics/cache/clear.
void AddCacheRoutes(Router& router);

//! Writes the readiness member `"cache": {"backend", "status", "error"?}`. A cache backend
//! that is down never makes the server unready: requests are then served uncached, and this
//! member says `"status": "unavailable"` with why.
void WriteCacheReadiness(JsonOut& out, const Runtime& runtime);

}  // namespace tributary
