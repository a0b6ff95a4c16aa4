// The import routes (docs/import.md): upload, preview, confirm, events, cancel, list, and the
// removal of an imported source. The work is done by the server's ImportManager
// (server/import_manager.h), installed with Api::SetImports.
// Thread-safety: handlers are plain functions over the manager, which is thread-safe.
#pragma once

#include <memory>

#include "server/router.h"

namespace tributary {

class ImportManager;
class JsonOut;
class Runtime;

//! Adds the import routes. `imports` points at the Api's manager (null: imports are off, and
//! the routes answer 404 saying so); it must outlive the router.
void AddImportRoutes(Router& router, const std::shared_ptr<ImportManager>* imports);

//! For GET /api/v1/sources: writes the `import` object of an imported source (by catalog
//! id), or nothing when `imports` is null or has no such entry.
void WriteImportInfo(JsonOut& out, ImportManager* imports, const std::string& entry_id);
//! For GET /api/v1/sources: the catalog entries of `req`'s visible projects that are not
//! sources of the runtime yet (importing, failed), as source objects.
void WritePendingImports(JsonOut& out, ImportManager* imports, const ApiRequest& req);

}  // namespace tributary
