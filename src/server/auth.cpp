#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>
#include <cctype>

#include "core/encoding.h"
#include "core/json_out.h"
#include "core/json_value.h"
#include "core/text.h"
#include "server/http_util.h"
#include "server/query_body.h"

namespace tributary {

bool Caller::SeesSource(const Config& config, std::string_view source) const {
  if (!key || key->all_projects) return true;
  for (const auto& project : key->projects) {
    const ProjectConfig* p = config.FindProject(project);
    if (p && std::find(p->sources.begin(), p->sources.end(), source) != p->sources.end()) {
      return true;
    }
  }
  return false;
}

namespace {

RedisClient* RedisOf(const ApiRequest& req) {
  return req.runtime ? req.runtime->redis().get() : nullptr;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

ApiResponse Unauthenticated(std::string_view message, bool invalid_token,
                            std::string_view request_id) {
  ApiResponse r = ErrorResponse(401, "UNAUTHENTICATED", message, request_id);
  r.headers.emplace_back("WWW-Authenticate",
                         invalid_token ? R"(Bearer realm="tributary", error="invalid_token")"
                                       : R"(Bearer realm="tributary")");
  return r;
}

ApiResponse Forbidden(std::string_view message, std::string_view request_id) {
  return ErrorResponse(PermissionDenied(std::string(message)), request_id);
}

//! The key whose digest matches, comparing against every key in constant time each.
const ApiKeyConfig* FindKey(const AuthConfig& auth, std::string_view presented) {
  const std::array<unsigned char, 32> digest = KeySha256(presented);
  const ApiKeyConfig* found = nullptr;
  for (const auto& key : auth.keys) {
    // No early exit: the time taken does not depend on which key (if any) matched.
    if (CRYPTO_memcmp(digest.data(), key.digest.data(), digest.size()) == 0) found = &key;
  }
  return found;
}

std::optional<RouteAccess::Need> NeedOf(Role role) {
  switch (role) {
    case Role::kRead:
      return RouteAccess::Need::kRead;
    case Role::kQuery:
      return RouteAccess::Need::kQuery;
    case Role::kAdmin:
      return RouteAccess::Need::kAdmin;
    case Role::kImport:
      return RouteAccess::Need::kImport;
  }
  return std::nullopt;
}

std::optional<Role> RoleOf(RouteAccess::Need need) {
  for (Role role : kAllRoles) {
    if (NeedOf(role) == need) return role;
  }
  return std::nullopt;
}

//! Every `?project=` value of the raw query string (none when malformed: the handler refuses
//! the request then). All of them are checked, whichever one a handler reads.
std::vector<std::string> ProjectParams(const ApiRequest& req) {
  std::vector<std::string> projects;
  auto params = ParseQueryString(req.query);
  if (!params.ok()) return projects;
  for (const auto& [name, value] : *params) {
    if (name == "project") projects.push_back(value);
  }
  return projects;
}

//! What a request targets, for the access check and the rate-limit bucket.
struct Target {
  //! kMissingProject: `?project=` was needed (the config has no default project) and is absent.
  //! kAllProjects: the request acts on every project.
  enum class Kind { kNone, kProject, kDefaultProject, kSource, kMissingProject, kAllProjects };
  Kind kind = Kind::kNone;
  //! The project or source; with several `?project=` values, the last (the one handlers use).
  std::string id;
  //! The other `?project=` values, checked as well.
  std::vector<std::string> also = {};
};

Target TargetOf(const Route& route, const ApiRequest& req) {
  const Config& config = req.runtime->config();
  auto path_param = [&](const char* name) {
    auto it = req.path_params.find(name);
    return it == req.path_params.end() ? std::string() : it->second;
  };
  switch (route.access.project) {
    case ProjectFrom::kNone:
      return {};
    case ProjectFrom::kPath:
      return {Target::Kind::kProject, path_param("project")};
    case ProjectFrom::kBodyOrQueryParam: {
      boost::system::error_code ec;
      boost::json::value body = ParseJson(req.body, ec);
      if (!ec && body.is_object()) {
        if (const boost::json::value* p = body.get_object().if_contains("project");
            p && !p->is_null()) {
          // Not a string: still checked, as no project a key can hold.
          return {Target::Kind::kProject, p->is_string() ? std::string(p->get_string()) : "\x01"};
        }
      }
      [[fallthrough]];
    }
    case ProjectFrom::kQueryParam: {
      std::vector<std::string> projects = ProjectParams(req);
      if (!projects.empty()) {
        std::string last = projects.back();
        projects.pop_back();
        return {Target::Kind::kProject, last, projects};
      }
      if (config.default_project.empty()) return {Target::Kind::kMissingProject, ""};
      return {Target::Kind::kDefaultProject, config.default_project};
    }
    case ProjectFrom::kSourcePath:
      return {Target::Kind::kSource, path_param("id")};
    case ProjectFrom::kAll:
      return {Target::Kind::kAllProjects, ""};
    case ProjectFrom::kProjectOrAll: {
      boost::system::error_code ec;
      boost::json::value body = ParseJson(req.body, ec);
      if (!ec && body.is_object()) {
        if (const boost::json::value* p = body.get_object().if_contains("project")) {
          // Not a string: still checked, as no project a key can hold.
          return {Target::Kind::kProject, p->is_string() ? std::string(p->get_string()) : "\x01"};
        }
      }
      std::vector<std::string> projects = ProjectParams(req);
      if (!projects.empty()) {
        std::string last = projects.back();
        projects.pop_back();
        return {Target::Kind::kProject, last, projects};
      }
      return {Target::Kind::kAllProjects, ""};
    }
    case ProjectFrom::kQueryBody: {
      std::optional<QueryTarget> target = PeekQueryTarget(req.body, config);
      if (!target) return {};
      if (!target->project.empty()) return {Target::Kind::kProject, target->project};
      if (!target->source.empty()) return {Target::Kind::kSource, target->source};
      return {};
    }
  }
  return {};
}

}  // namespace

std::string ProjectOfSource(const Config& config, const Caller& caller, std::string_view source) {
  auto uses = [&](const ProjectConfig& p) {
    return std::find(p.sources.begin(), p.sources.end(), source) != p.sources.end();
  };
  if (const ProjectConfig* d = config.FindProject(config.default_project);
      d && uses(*d) && caller.SeesProject(d->id)) {
    return d->id;
  }
  for (const auto& p : config.projects) {
    if (uses(p) && caller.SeesProject(p.id)) return p.id;
  }
  return {};
}

namespace {

std::string ProjectOfTarget(const Config& config, const Caller& caller, const Target& target) {
  switch (target.kind) {
    case Target::Kind::kNone:
    case Target::Kind::kMissingProject:
    case Target::Kind::kAllProjects:
      return {};
    case Target::Kind::kProject:
    case Target::Kind::kDefaultProject:
      return config.FindProject(target.id) ? target.id : std::string();
    case Target::Kind::kSource:
      return ProjectOfSource(config, caller, target.id);
  }
  return {};
}

std::string Bucket(const Caller& caller, std::string_view project) {
  std::string bucket = caller.identity;
  bucket.append("|").append(project);
  return bucket;
}

void WriteWindows(JsonOut& out, const RateDecision& decision) {
  out.Key("windows").StartArray();
  for (const auto& w : decision.windows) {
    out.StartObject();
    out.Key("window").String(w.name);
    out.Key("windowSeconds").Int(w.window_ms / 1000);
    out.Key("limit").Int(w.limit);
    out.Key("used").Int(w.used);
    out.Key("remaining").Int(w.remaining);
    out.Key("resetSeconds").Int((w.reset_ms + 999) / 1000);
    out.EndObject();
  }
  out.EndArray();
}

ApiResponse RateLimitStatus(const ApiRequest& req) {
  const Config& config = req.runtime->config();
  RateLimiter* limiter = req.rate_limiter;
  JsonOut out;
  out.StartObject();
  out.Key("caller").String(req.caller.identity);
  bool shared = false;
  out.Key("buckets").StartArray();
  auto bucket = [&](const std::string& project) {
    out.StartObject();
    out.Key("project");
    project.empty() ? out.Null() : out.String(project);
    RateDecision d;
    if (limiter) {
      d = limiter->Peek(Bucket(req.caller, project), RateLimitsFor(config, project), RedisOf(req));
    }
    shared = shared || d.shared;
    WriteWindows(out, d);
    out.EndObject();
  };
  bucket("");
  for (const auto& project : config.projects) {
    if (req.caller.SeesProject(project.id)) bucket(project.id);
  }
  out.EndArray();
  out.Key("shared").Bool(shared);
  out.EndObject();
  return JsonResponse(out.Take());
}

}  // namespace

RateLimitSettings RateLimitsFor(const Config& config, std::string_view project) {
  if (const ProjectConfig* p = config.FindProject(project); p && p->rate_limits) {
    return *p->rate_limits;
  }
  if (config.rate_limits) return *config.rate_limits;
  if (config.auth.mode == AuthConfig::Mode::kUnset) return {0, 0};
  return {};
}

std::string RequestProject(const Route& route, const ApiRequest& req) {
  return ProjectOfTarget(req.runtime->config(), req.caller, TargetOf(route, req));
}

Admission AdmitRequest(const Route& route, ApiRequest& req, RateLimiter* limiter) {
  Admission admission;
  const Config& config = req.runtime->config();
  const RouteAccess& access = route.access;
  req.caller = Caller{};
  req.caller.identity = "address:" + req.client_address;
  req.rate_limiter = limiter;
  if (access.need == RouteAccess::Need::kPublic) return admission;

  Target target = TargetOf(route, req);
  if (config.auth.enabled()) {
    std::string_view header = TrimBlanks(req.Header("authorization"));
    if (header.empty()) {
      admission.denial = Unauthenticated(
          "this route needs an API key; send the header Authorization: Bearer <key>", false,
          req.request_id);
      return admission;
    }
    if (!StartsWithNoCase(header, "bearer ") || TrimBlanks(header.substr(7)).empty()) {
      admission.denial = Unauthenticated(
          "the Authorization header is not of the form 'Bearer <key>'; send Authorization: "
          "Bearer <key>",
          false, req.request_id);
      return admission;
    }
    const ApiKeyConfig* key = FindKey(config.auth, TrimBlanks(header.substr(7)));
    if (!key) {
      admission.denial = Unauthenticated(
          "unknown API key; check the key sent in Authorization: Bearer <key>, or ask the "
          "operator for one",
          true, req.request_id);
      return admission;
    }
    req.caller.key = key;
    req.caller.identity = "key:" + key->name;
    const std::string who = "API key '" + key->name + "'";
    // Importing writes files and sources, so an admin key may do it too.
    const bool import_by_admin =
        access.need == RouteAccess::Need::kImport && key->HasRole(Role::kAdmin);
    if (std::optional<Role> role = RoleOf(access.need);
        role && !key->HasRole(*role) && !import_by_admin) {
      admission.denial = Forbidden(
          who + " does not have the '" + std::string(RoleName(*role)) + "' role this route needs" +
              (*role == Role::kImport ? " (or 'admin')" : "") + "; use a key with that role",
          req.request_id);
      return admission;
    }
    // The same answer, without the id, whether the project or source exists or not.
    switch (target.kind) {
      case Target::Kind::kNone:
        break;
      case Target::Kind::kAllProjects:
        if (!key->all_projects) {
          admission.denial =
              Forbidden(who +
                            " may act on its own projects only; name one with \"project\" (or "
                            "?project=), or use a key with projects: [\"*\"]",
                        req.request_id);
          return admission;
        }
        break;
      case Target::Kind::kMissingProject:
        // Answered here: the handler's message would list every project of the config.
        admission.denial = ErrorResponse(
            InvalidArgument("name the project with ?project=<id>: the config names no "
                            "default_project (GET /api/v1/projects lists the key's projects)"),
            req.request_id);
        return admission;
      case Target::Kind::kProject:
        if (!key->HasProject(target.id) ||
            std::any_of(target.also.begin(), target.also.end(),
                        [&](const std::string& p) { return !key->HasProject(p); })) {
          admission.denial =
              Forbidden(who + " may not access the project this request names", req.request_id);
          return admission;
        }
        break;
      case Target::Kind::kDefaultProject:
        if (!key->HasProject(target.id)) {
          admission.denial = Forbidden(
              who +
                  " may not access the default project; name one of the key's projects with "
                  "?project=",
              req.request_id);
          return admission;
        }
        break;
      case Target::Kind::kSource:
        if (!req.caller.SeesSource(config, target.id)) {
          admission.denial =
              Forbidden(who + " may not access the source this request names", req.request_id);
          return admission;
        }
        break;
    }
  }

  if (!access.rate_limited || !limiter) return admission;
  const std::string project = ProjectOfTarget(config, req.caller, target);
  RateDecision decision =
      limiter->Hit(Bucket(req.caller, project), RateLimitsFor(config, project), RedisOf(req));
  admission.headers = decision.Headers();
  if (!decision.allowed) {
    const WindowState* full = nullptr;
    for (const auto& w : decision.windows) {
      if (w.used >= w.limit && (!full || w.window_ms > full->window_ms)) full = &w;
    }
    std::string message = "rate limit exceeded";
    if (full) {
      message += ": " + std::to_string(full->limit) + " requests per " + full->name;
    }
    message += project.empty() ? std::string() : " for project '" + project + "'";
    message += "; retry after " + std::to_string((decision.retry_after_ms + 999) / 1000) +
               " s (Retry-After), or ask the operator for higher rate_limits";
    ApiResponse r = ErrorResponse(429, "RATE_LIMITED", message, req.request_id);
    r.headers = admission.headers;
    admission.denial = std::move(r);
  }
  return admission;
}

bool IsLoopbackHost(const std::string& host) {
  const std::string lower = AsciiLower(host);
  if (lower == "localhost" || lower == "localhost.") return true;
  boost::system::error_code ec;
  boost::asio::ip::address address = boost::asio::ip::make_address(host, ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
        .is_loopback();
  }
  return address.is_loopback();
}

Status CheckListenAllowed(const Config& config, const std::string& host) {
  if (config.auth.mode != AuthConfig::Mode::kUnset || IsLoopbackHost(host)) return Status::Ok();
  return ConfigError(
      "refusing to listen on '" + host +
      "' without API keys: every project's data and raw SQL on every source would be open to "
      "anyone who can reach that address. Add API keys (auth: {keys: [{name, sha256, projects, "
      "roles}]}; `tributary hash-key` prints a key and its sha256 line), listen on a loopback "
      "address such as 127.0.0.1, or write `auth: none` in " +
      config.path +
      " to serve without authentication on purpose (e.g. behind an authenticating "
      "proxy)");
}

void AddAccessRoutes(Router& router) {
  router.Add("GET", "/api/v1/rate-limit/status", RateLimitStatus, /*blocking=*/true,
             RouteAccess::AnyKey());
  router.Add("GET", "/api/analytics/rate-limit/status", RateLimitStatus, /*blocking=*/true,
             RouteAccess::AnyKey());
}

std::string NewApiKey() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  std::string key = "trib_";
  key.append(Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes)));
  return key;
}

}  // namespace tributary
