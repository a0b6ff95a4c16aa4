// The dashboard's admin routes for the config: what is loaded, and a reload through the same
// code path as SIGHUP (server/server.cpp installs it with Api::SetReload).
// Thread-safety: handlers are plain functions; the reload function serializes reloads itself.
#pragma once

#include <chrono>
#include <string>

#include "server/api.h"
#include "server/router.h"

namespace tributary {

//! GET /api/v1/admin/config and POST /api/v1/admin/config/reload (admin keys with
//! `projects: ["*"]`). `reload` points at the Api's hook (empty: this server cannot reload)
//! and must outlive the router.
void AddAdminRoutes(Router& router, const ReloadFunction* reload);

//! "2026-12-03T14:27:49.123Z" (UTC, always with milliseconds) for a load time.
std::string FormatLoadTime(std::chrono::system_clock::time_point at);

}  // namespace tributary
