// Turning a metric request's raw parameters (URL query or CLI) into the checked, typed values
// its SQL binds: the time window (spec: "Time, windows and parameters") and the pack-declared
// parameters. Every problem is an INVALID_ARGUMENT naming the parameter, what was given and
// the allowed range, so a 400 tells the caller exactly what to change.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "metrics/pack.h"

namespace tributary {

//! Parameters as they arrive, in order (duplicates are an error).
using RawParams = std::vector<std::pair<std::string, std::string>>;

struct ResolvedParams {
  //! "now": the server clock or asOf, in UTC micros.
  int64_t now = 0;
  //! The window [from, to) in UTC micros; unset for window `none`.
  std::optional<int64_t> from;
  std::optional<int64_t> to;
  //! Scalar values for {{@name}}: now, from, to, prev_from and declared parameters.
  std::map<std::string, Value> values;
  //! Lists for {{#name}}: declared list parameters.
  std::map<std::string, std::vector<TemplateItem>> lists;
  //! The parameters in a canonical text form (sorted, defaults applied, asOf resolved), so two
  //! requests that mean the same thing have the same key.
  std::string canonical;
};

//! The URL parameters a metric accepts: its window's, its declared ones, and asOf.
std::vector<std::string> AcceptedParams(const MetricDef& metric);

//! Checks and resolves `raw` for `metric`. `now_micros` is the server clock, replaced by asOf
//! when given. Names in `passthrough` (e.g. "source") are left to the caller, not errors.
Result<ResolvedParams> ResolveParams(const MetricDef& metric, const RawParams& raw,
                                     int64_t now_micros,
                                     const std::vector<std::string>& passthrough = {});

//! Microseconds since the epoch, now.
int64_t NowMicros();

}  // namespace tributary
