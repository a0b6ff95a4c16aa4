// The HTTP API v1: the route table and its handlers (health, readiness, metrics, sources,
// tables, query). Handlers are plain functions of an ApiRequest; the session decides where
// they run (blocking ones on the worker pool) and how the answer is written.
// Thread-safety: an Api is immutable after construction; handlers may run concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "server/router.h"

namespace tributary {

//! What a config reload did (POST /api/v1/admin/config/reload).
struct ReloadOutcome {
  //! The first 12 characters of the fingerprints before and after (as /readyz shows them).
  std::string previous_version;
  std::string config_version;
  //! When the new runtime was built.
  std::chrono::system_clock::time_point loaded_at;
};

//! Reloads the config file the way SIGHUP does, synchronously (it blocks: call it on a
//! worker). CONFIG_ERROR, with the file:line:col of the problem, keeps the current config.
using ReloadFunction = std::function<Result<ReloadOutcome>()>;

class ImportManager;
class McpServer;

class Api {
 public:
  Api();
  ~Api();
  //! Not copyable or movable: routes hold a pointer to the reload hook below.
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  const Router& router() const { return router_; }
  //! Installs the server's reload for the admin route (server/admin_api.h). Call before the
  //! server starts: it is read without a lock. Without one the route answers that this server
  //! cannot reload.
  void SetReload(ReloadFunction reload) { reload_ = std::move(reload); }
  //! Installs the server's import manager (server/import_manager.h). Call before the server
  //! starts; without one the import routes answer that imports are off.
  void SetImports(std::shared_ptr<ImportManager> imports) { imports_ = std::move(imports); }
  ImportManager* imports() const { return imports_.get(); }
  //! The MCP server behind POST /mcp (mcp/mcp_protocol.h); `tributary mcp` uses it too.
  McpServer& mcp() const { return *mcp_; }

  //! FOR TESTS ONLY: the route table, so that a test can add routes of its own (e.g. an upload
  //! or streaming route) before the server starts. Production code never changes routes.
  Router& MutableRouterForTests() { return router_; }

 private:
  Router router_;
  ReloadFunction reload_;
  std::shared_ptr<ImportManager> imports_;
  std::unique_ptr<McpServer> mcp_;
};

//! "source 'x': UNAVAILABLE: why" for readiness reasons and logs.
std::string DescribeSourceProblem(const std::string& source_id, const Status& status);

}  // namespace tributary
