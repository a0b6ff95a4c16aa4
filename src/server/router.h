// A small router: (method, path pattern) -> handler, with `{name}` path parameters.
//
// Patterns are matched segment by segment on the raw path, and parameters are percent-decoded
// only after matching, so an encoded '/' (%2F) stays inside its segment. The route's pattern,
// not the raw path, labels metrics so that label cardinality stays bounded.
// Thread-safety: build with Add on one thread; Match is const and safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_types.h"
#include "server/streaming.h"

namespace tributary {

//! Handles one matched request; runs on an I/O thread or, when `blocking`, on the worker pool.
using Handler = std::function<ApiResponse(const ApiRequest&)>;

//! Where a route's project (or source) comes from, for the access check (server/auth.h).
enum class ProjectFrom : uint8_t {
  //! The route names no project: the key needs the role, on any of its projects. List routes
  //! filter their answer to the caller's projects (ApiRequest::caller).
  kNone,
  //! The `{project}` path parameter.
  kPath,
  //! `?project=`, else the config's default project.
  kQueryParam,
  //! The `{id}` path parameter names a source: the key needs a project that uses it.
  kSourcePath,
  //! The JSON body's `project` and `source` (POST /api/v1/query).
  kQueryBody,
  //! For admin actions on one project or all: the JSON body's `project`, else `?project=`;
  //! neither means every project, which needs a key with `projects: ["*"]`
  //! (e.g. POST /api/v1/cache/clear).
  kProjectOrAll,
  //! The JSON body's `project`, else `?project=`, else the config's default project
  //! (POST /api/v1/investigate).
  kBodyOrQueryParam,
  //! Acts on or shows every project at once (e.g. cache statistics): needs a key with
  //! `projects: ["*"]`.
  kAll,
};

//! What a route needs from its caller; checked in one place (AdmitRequest in server/auth.h)
//! before the handler runs. The default is the safest: admin, and rate limited.
struct RouteAccess {
  enum class Need : uint8_t {
    //! Anyone, no key, not rate limited (/healthz, /readyz, /metrics).
    kPublic,
    //! Any valid key, whatever its roles (the caller's own rate-limit status).
    kAnyKey,
    kRead,
    kQuery,
    kAdmin,
    //! The `import` role, or `admin`.
    kImport,
  };
  Need need = Need::kAdmin;
  ProjectFrom project = ProjectFrom::kNone;
  //! Counts against the caller's rate-limit windows.
  bool rate_limited = true;

  static RouteAccess Public() { return {Need::kPublic, ProjectFrom::kNone, false}; }
  static RouteAccess AnyKey() { return {Need::kAnyKey, ProjectFrom::kNone, false}; }
  static RouteAccess Read(ProjectFrom from = ProjectFrom::kNone) { return {Need::kRead, from}; }
  static RouteAccess Query(ProjectFrom from) { return {Need::kQuery, from}; }
  static RouteAccess Admin(ProjectFrom from = ProjectFrom::kNone) { return {Need::kAdmin, from}; }
  static RouteAccess Import(ProjectFrom from) { return {Need::kImport, from}; }
};

//! Answers a blocking route's request on the I/O thread when that needs no waiting (a fresh
//! in-process cache hit); nullopt hands the request to the route's handler on the worker pool.
using FastHandler = std::function<std::optional<ApiResponse>(const ApiRequest&)>;

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  //! Does blocking work (source I/O): must run on the worker pool, never on an I/O thread.
  bool blocking = false;
  RouteAccess access;
  //! Optional, blocking routes only: tried first on the I/O thread, saving two thread hand-offs.
  FastHandler fast = {};
  //! Set: the body is streamed to a file (server/streaming.h) and the handler finds it in
  //! ApiRequest::upload; unset: the body is read into ApiRequest::body.
  std::optional<UploadRoute> upload = {};
};

struct RouteMatch {
  enum class Kind { kFound, kNotFound, kMethodNotAllowed, kBadPath };
  Kind kind = Kind::kNotFound;
  const Route* route = nullptr;
  //! Decoded `{name}` parameters.
  std::map<std::string, std::string> params;
  //! For kMethodNotAllowed: the methods the path accepts, for the Allow header ("GET, POST").
  std::string allow;
};

class Router {
 public:
  //! `pattern` is an absolute path whose segments are literals or `{name}`. `access` says who
  //! may call it (default: admin keys only, so a route that forgets to say is not open).
  void Add(std::string method, std::string pattern, Handler handler, bool blocking = false,
           RouteAccess access = {});
  //! Makes the route added as (method, pattern) take streamed uploads; the route must exist.
  void SetUpload(std::string_view method, std::string_view pattern, UploadRoute upload);
  //! Gives the route added as (method, pattern) a FastHandler; the route must exist.
  void SetFastPath(std::string_view method, std::string_view pattern, FastHandler fast);
  //! `path` excludes the query string.
  RouteMatch Match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace tributary
