// Evidence from a Prometheus source: one range query per signal and service over
// [baseline_start, end) at the investigation's step (docs/investigate.md).
#include <cmath>
#include <map>
#include <string>

#include "core/time_util.h"
#include "investigate/internal.h"

namespace tributary::investigate {

namespace {

std::string Substitute(const std::string& promql, const std::string& service) {
  // `{{service}}` is the only placeholder (checked at load time); service names match
  // [A-Za-z0-9_.:-]{1,128} (checked in the request), so they cannot leave a label matcher.
  std::string out;
  size_t at = 0;
  for (size_t hit = promql.find("{{service}}"); hit != std::string::npos;
       hit = promql.find("{{service}}", at)) {
    out.append(promql, at, hit - at);
    out.append(service);
    at = hit + 11;
  }
  out.append(promql, at, std::string::npos);
  return out;
}

}  // namespace

void GatherPrometheus(const GatherContext& context, SourceEvidence& evidence) {
  const SourceInvestigateConfig& inv = *context.source->investigate;
  for (const std::string& service : context.services) {
    for (const auto& [signal, promql] : inv.metrics) {
      EvidenceQuery query;
      query.purpose = signal + " of " + service;
      query.query = Substitute(promql, service);
      query.options = {{"start", FormatTimestamp(context.baseline_start_us)},
                       {"end", FormatTimestamp(context.end_us)},
                       {"step", std::to_string(context.step_seconds) + "s"}};
      Result<QueryResult> result = RunEvidenceQuery(context, evidence, std::move(query));
      if (!result.ok()) {
        FailEvidence(context, evidence, result.status().WithContext(Cat(signal, " of ", service)));
        return;
      }
      std::optional<size_t> time_col = ColumnIndex(*result, "timestamp");
      std::optional<size_t> value_col = ColumnIndex(*result, "value");
      EvidenceSeries series;
      series.signal = signal;
      series.service = service;
      if (time_col && value_col) {
        // Several series (an expression not aggregated to one): the largest value per step,
        // the one a shift is about.
        std::map<int64_t, double> by_time;
        for (size_t row = 0; row < result->row_count(); ++row) {
          std::optional<int64_t> t = TimeOf(result->ValueAt(row, *time_col));
          std::optional<double> v = NumberOf(result->ValueAt(row, *value_col));
          if (!t || !v || !std::isfinite(*v)) continue;  // no data there: no point
          if (*t < context.baseline_start_us || *t >= context.end_us) continue;
          auto [it, inserted] = by_time.emplace(*t, *v);
          if (!inserted && *v > it->second) it->second = *v;
        }
        for (const auto& [t, v] : by_time) series.points.push_back({t, v});
      }
      evidence.series.push_back(std::move(series));
    }
  }
}

}  // namespace tributary::investigate
