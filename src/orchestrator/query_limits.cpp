#include "orchestrator/query_limits.h"

namespace tributary {

QueryLimits QueryLimitsFor(const Config& config, const ProjectConfig& /*project*/,
                           const SourceConfig& /*source*/) {
  QueryLimits limits;
  limits.timeout = std::chrono::milliseconds(config.server.default_timeout_ms);
  limits.max_rows = config.server.max_row_limit;
  limits.max_bytes = config.server.max_result_bytes;
  return limits;
}

}  // namespace tributary
