#include "server/admin_api.h"

#include "core/json_out.h"
#include "core/time_util.h"
#include "server/api_types.h"

namespace tributary {

namespace {

ApiResponse ConfigInfo(const ApiRequest& req, const ReloadFunction& reload) {
  const Runtime& rt = *req.runtime;
  const Config& config = rt.config();
  const bool builtin = config.builtin();
  JsonOut out;
  out.StartObject();
  out.Key("configVersion").String(config.version());
  out.Key("loadedAt").String(FormatLoadTime(rt.loaded_at()));
  out.Key("path");
  builtin ? out.Null() : out.String(config.path);
  out.Key("reloadable").Bool(!builtin && static_cast<bool>(reload));
  out.Key("projects").Int(static_cast<int64_t>(config.projects.size()));
  out.Key("sources").Int(static_cast<int64_t>(config.sources.size()));
  out.Key("version").String(TRIBUTARY_VERSION);
  out.EndObject();
  return JsonResponse(out.Take());
}

ApiResponse Reload(const ApiRequest& req, const ReloadFunction& reload) {
  if (!reload) {
    return ErrorResponse(400, "CONFIG_ERROR",
                         "this server cannot reload its config; restart it to apply changes",
                         req.request_id);
  }
  Result<ReloadOutcome> outcome = reload();
  if (!outcome.ok()) {
    // A config the operator wrote is wrong: a client error, not the server's.
    const Status& st = outcome.status();
    if (st.code() == ErrorCode::kConfigError) {
      return ErrorResponse(400, ErrorCodeName(st.code()), st.message(), req.request_id);
    }
    return ErrorResponse(st, req.request_id);
  }
  JsonOut out;
  out.StartObject();
  out.Key("reloaded").Bool(true);
  out.Key("previousVersion").String(outcome->previous_version);
  out.Key("configVersion").String(outcome->config_version);
  out.Key("loadedAt").String(FormatLoadTime(outcome->loaded_at));
  out.EndObject();
  return JsonResponse(out.Take());
}

}  // namespace

std::string FormatLoadTime(std::chrono::system_clock::time_point at) {
  // Always with milliseconds, so that the text has one width and sorts as the times do.
  const int64_t millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const int64_t seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  std::string text = FormatTimestamp(seconds * 1000000);
  text.pop_back();  // the 'Z'
  const int64_t fraction = millis - seconds * 1000;
  text.push_back('.');
  text.push_back(static_cast<char>('0' + fraction / 100));
  text.push_back(static_cast<char>('0' + fraction / 10 % 10));
  text.push_back(static_cast<char>('0' + fraction % 10));
  text.push_back('Z');
  return text;
}

void AddAdminRoutes(Router& router, const ReloadFunction* reload) {
  router.Add(
      "GET", "/api/v1/admin/config",
      [reload](const ApiRequest& req) { return ConfigInfo(req, *reload); }, /*blocking=*/false,
      RouteAccess::Admin(ProjectFrom::kAll));
  // Blocking: loading the file and opening the sources do I/O.
  router.Add(
      "POST", "/api/v1/admin/config/reload",
      [reload](const ApiRequest& req) { return Reload(req, *reload); }, /*blocking=*/true,
      RouteAccess::Admin(ProjectFrom::kAll));
}

}  // namespace tributary
