// Source selection for investigations: the project's sources with an `investigate:` section
// whose `tags:` match the environment and services asked about (docs/investigate.md).
#include <algorithm>
#include <string>

#include "investigate/internal.h"

namespace tributary::investigate {

namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string List(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(names[i]);
  }
  out.append("]");
  return out;
}

bool UsedBy(const ProjectConfig& project, const std::string& source) {
  return Contains(project.sources, source);
}

}  // namespace

Selection SelectSources(const Config& config, const ProjectConfig& project,
                        const InvestigationRequest& request) {
  // No services asked: every service tagged on the project's sources.
  std::vector<std::string> asked = request.services;
  if (asked.empty()) {
    for (const auto& source : config.sources) {
      if (!source.investigate || !UsedBy(project, source.id)) continue;
      for (const auto& service : source.tags.services) {
        if (!Contains(asked, service)) asked.push_back(service);
      }
    }
  }
  Selection selection;
  for (const auto& source : config.sources) {
    if (!source.investigate || !UsedBy(project, source.id)) continue;
    const SourceTags& tags = source.tags;
    if (!request.environment.empty() && !tags.environments.empty() &&
        !Contains(tags.environments, request.environment)) {
      selection.skipped.push_back(
          {source.id, Cat("tagged for environments ", List(tags.environments)) + ", not " +
                          request.environment});
      continue;
    }
    std::vector<std::string> services;
    if (tags.services.empty()) {
      services = asked;
    } else {
      for (const auto& service : asked) {
        if (Contains(tags.services, service)) services.push_back(service);
      }
      if (services.empty()) {
        selection.skipped.push_back(
            {source.id, Cat("tagged for services ", List(tags.services), ", none asked")});
        continue;
      }
    }
    const SourceInvestigateConfig& inv = *source.investigate;
    const bool per_service =
        inv.kind == SourceInvestigateConfig::Kind::kMetrics ||
        (inv.kind == SourceInvestigateConfig::Kind::kLogs && !inv.dataset.empty());
    if (per_service && services.empty()) {
      selection.skipped.push_back(
          {source.id,
           "no service to ask about: name services in the request or tag the source (tags: "
           "{services: [...]})"});
      continue;
    }
    selection.chosen.push_back({&source, std::move(services)});
  }
  return selection;
}

}  // namespace tributary::investigate
