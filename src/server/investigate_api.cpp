#include "server/investigate_api.h"

#include <chrono>

#include "investigate/investigate.h"
#include "server/api_types.h"
#include "server/http_util.h"

namespace tributary {

namespace {

//! The last `?project=`, else empty.
std::string QueryProject(const ApiRequest& req) {
  std::string project;
  auto params = ParseQueryString(req.query);
  if (!params.ok()) return project;
  for (const auto& [name, value] : *params) {
    if (name == "project") project = value;
  }
  return project;
}

ApiResponse Investigate(const ApiRequest& req) {
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  Result<investigate::InvestigationRequest> request =
      investigate::ParseInvestigationRequest(req.body, now_us);
  if (!request.ok()) return ErrorResponse(request.status(), req.request_id);
  if (request->project.empty()) request->project = QueryProject(req);
  request->cancel = req.cancel;
  Result<investigate::Investigation> investigation =
      investigate::RunInvestigation(*req.runtime, *request);
  if (!investigation.ok()) return ErrorResponse(investigation.status(), req.request_id);
  return JsonResponse(investigate::InvestigationJson(*investigation));
}

ApiResponse InvestigateServices(const ApiRequest& req) {
  const Config& config = req.runtime->config();
  std::string project = QueryProject(req);
  if (project.empty()) project = config.default_project;
  if (project.empty()) {
    return ErrorResponse(InvalidArgument("no project named and the config has no "
                                         "default_project; add ?project=<id>"),
                         req.request_id);
  }
  if (!config.FindProject(project)) {
    return ErrorResponse(NotFound("unknown project '" + project + "'"), req.request_id);
  }
  return JsonResponse(investigate::InvestigationServicesJson(config, project));
}

}  // namespace

void AddInvestigateRoutes(Router& router) {
  router.Add("POST", "/api/v1/investigate", Investigate, /*blocking=*/true,
             RouteAccess::Query(ProjectFrom::kBodyOrQueryParam));
  router.Add("GET", "/api/v1/investigate/services", InvestigateServices, /*blocking=*/false,
             RouteAccess::Read(ProjectFrom::kQueryParam));
}

}  // namespace tributary
