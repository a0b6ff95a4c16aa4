// A small router: (method, path pattern) -> handler, with `{name}` path parameters.
//
// Patterns are matched segment by segment on the raw path, and parameters are percent-decoded
// only after matching, so an encoded '/' (%2F) stays inside its segment. The route's pattern,
// not the raw path, labels metrics so that label cardinality stays bounded.
// Thread-safety: build with Add on one thread; Match is const and safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_types.h"

namespace tributary {

//! Handles one matched request; runs on an I/O thread or, when `blocking`, on the worker pool.
using Handler = std::function<ApiResponse(const ApiRequest&)>;

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  //! Does blocking work (source I/O): must run on the worker pool, never on an I/O thread.
  bool blocking = false;
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
  //! `pattern` is an absolute path whose segments are literals or `{name}`.
  void Add(std::string method, std::string pattern, Handler handler, bool blocking = false);
  //! `path` excludes the query string.
  RouteMatch Match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace tributary
