#include "orchestrator/query_limits.h"

#include <algorithm>

namespace tributary {

namespace {

// Lowers `value` to `cap` when the cap is set and tighter, recording where it came from.
void Tighten(int64_t& value, std::string& from, const std::optional<int64_t>& cap,
             const std::string& cap_key) {
  if (cap && *cap < value) {
    value = *cap;
    from = cap_key;
  }
}

}  // namespace

QueryLimits EffectiveQueryLimits(const Config& config, const ProjectConfig* project,
                                 const SourceConfig& source) {
  const ServerConfig& server = config.server;
  QueryLimits limits;
  limits.max_rows = server.max_row_limit;
  limits.max_rows_from = "server.max_row_limit";
  limits.max_timeout_ms = server.max_timeout_ms;
  limits.max_timeout_from = "server.max_timeout_ms";
  limits.max_bytes = server.max_result_bytes;
  std::string unused;
  if (project) {
    const std::string prefix = "projects." + project->id + ".limits.";
    Tighten(limits.max_rows, limits.max_rows_from, project->limits.max_rows, prefix + "max_rows");
    Tighten(limits.max_timeout_ms, limits.max_timeout_from, project->limits.timeout_ms,
            prefix + "timeout_ms");
    Tighten(limits.max_bytes, unused, project->limits.max_bytes, prefix + "max_bytes");
  }
  const std::string prefix = "sources." + source.id + ".limits.";
  Tighten(limits.max_rows, limits.max_rows_from, source.limits.max_rows, prefix + "max_rows");
  Tighten(limits.max_timeout_ms, limits.max_timeout_from, source.limits.timeout_ms,
          prefix + "timeout_ms");
  Tighten(limits.max_bytes, unused, source.limits.max_bytes, prefix + "max_bytes");
  // Cost thresholds: the configured ones (tightest wins) replace the defaults, so a project or
  // source can raise them as well as lower them.
  std::optional<int64_t> warn, deny;
  const std::string source_prefix = "sources." + source.id + ".limits.";
  limits.cost_deny_from = source_prefix + "cost_deny_bytes";
  auto tightest = [](std::optional<int64_t>& value, std::string* from,
                     const std::optional<int64_t>& cap, const std::string& key) {
    if (cap && (!value || *cap < *value)) {
      value = cap;
      if (from) *from = key;
    }
  };
  if (project) {
    const std::string project_prefix = "projects." + project->id + ".limits.";
    tightest(warn, nullptr, project->limits.cost_warn_bytes, "");
    tightest(deny, &limits.cost_deny_from, project->limits.cost_deny_bytes,
             project_prefix + "cost_deny_bytes");
  }
  tightest(warn, nullptr, source.limits.cost_warn_bytes, "");
  tightest(deny, &limits.cost_deny_from, source.limits.cost_deny_bytes,
           source_prefix + "cost_deny_bytes");
  limits.cost_warn_bytes = warn.value_or(QueryLimits::kDefaultCostWarnBytes);
  limits.cost_deny_bytes = deny.value_or(QueryLimits::kDefaultCostDenyBytes);
  limits.default_rows = std::min(server.default_row_limit, limits.max_rows);
  limits.default_timeout_ms = std::min(server.default_timeout_ms, limits.max_timeout_ms);
  return limits;
}

Result<RequestedLimits> ApplyRequestedLimits(const QueryLimits& limits, std::optional<int64_t> rows,
                                             std::optional<int64_t> timeout_ms) {
  RequestedLimits out;
  out.rows = rows.value_or(limits.default_rows);
  if (out.rows < 1 || out.rows > limits.max_rows) {
    return InvalidArgument("'limit' must be between 1 and " + std::to_string(limits.max_rows) +
                           " (" + limits.max_rows_from + "), got " + std::to_string(out.rows));
  }
  out.timeout_ms = timeout_ms.value_or(limits.default_timeout_ms);
  if (out.timeout_ms < 1 || out.timeout_ms > limits.max_timeout_ms) {
    return InvalidArgument("'timeoutMs' must be between 1 and " +
                           std::to_string(limits.max_timeout_ms) + " (" + limits.max_timeout_from +
                           "), got " + std::to_string(out.timeout_ms));
  }
  out.max_bytes = limits.max_bytes;
  return out;
}

}  // namespace tributary
