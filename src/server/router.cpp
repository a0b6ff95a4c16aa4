#include "server/router.h"

#include <stdexcept>

#include "core/encoding.h"
#include "server/http_util.h"

namespace tributary {

namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') return segments;
  size_t start = 1;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(start));
      break;
    }
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, bool blocking,
                 RouteAccess access) {
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(handler), blocking, access, nullptr});
}

void Router::SetFastPath(std::string_view method, std::string_view pattern, FastHandler fast) {
  for (Route& route : routes_) {
    if (route.method == method && route.pattern == pattern) {
      route.fast = std::move(fast);
      return;
    }
  }
  // A programming error in the route table, caught by every server start in the tests.
  throw std::logic_error("SetFastPath: no route " + std::string(method) + " " +
                         std::string(pattern));
}

void Router::SetUpload(std::string_view method, std::string_view pattern, UploadRoute upload) {
  for (Route& route : routes_) {
    if (route.method == method && route.pattern == pattern) {
      route.upload = std::move(upload);
      return;
    }
  }
  throw std::logic_error("SetUpload: no route " + std::string(method) + " " + std::string(pattern));
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  RouteMatch out;
  std::vector<std::string_view> segments = SplitPath(path);
  if (segments.empty()) return out;
  for (const Route& route : routes_) {
    std::vector<std::string_view> pattern = SplitPath(route.pattern);
    if (pattern.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool matched = true;
    bool bad_escape = false;
    for (size_t i = 0; i < pattern.size() && matched; ++i) {
      if (IsParam(pattern[i])) {
        // An empty parameter ("/sources//tables") is not a match: ids are never empty.
        if (segments[i].empty()) {
          matched = false;
          break;
        }
        std::optional<std::string> decoded = PercentDecode(segments[i]);
        if (!decoded) {
          bad_escape = true;
          break;
        }
        params[std::string(pattern[i].substr(1, pattern[i].size() - 2))] = std::move(*decoded);
      } else if (pattern[i] != segments[i]) {
        matched = false;
      }
    }
    if (bad_escape) {
      out.kind = RouteMatch::Kind::kBadPath;
      return out;
    }
    if (!matched) continue;
    if (route.method == method) {
      out.kind = RouteMatch::Kind::kFound;
      out.route = &route;
      out.params = std::move(params);
      out.allow.clear();
      return out;
    }
    out.kind = RouteMatch::Kind::kMethodNotAllowed;
    if (out.allow.find(route.method) == std::string::npos) {
      out.allow += (out.allow.empty() ? "" : ", ") + route.method;
    }
  }
  return out;
}

}  // namespace tributary
