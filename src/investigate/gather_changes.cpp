// Evidence from a `changes:` query (deployments, config changes): the configured read-only
// query with the window's start and end as its two parameters (docs/investigate.md).
#include <algorithm>
#include <string>

#include "investigate/internal.h"

namespace tributary::investigate {

void GatherChanges(const GatherContext& context, SourceEvidence& evidence) {
  EvidenceQuery query;
  query.purpose = "changes";
  query.query = context.source->investigate->changes_sql;
  query.params = {Value::Timestamp(context.start_us), Value::Timestamp(context.end_us)};
  Result<QueryResult> result = RunEvidenceQuery(context, evidence, std::move(query));
  if (!result.ok()) {
    FailEvidence(context, evidence, result.status());
    return;
  }
  auto time_col = ColumnIndex(*result, "time");
  auto description_col = ColumnIndex(*result, "description");
  auto service_col = ColumnIndex(*result, "service");
  if (!time_col || !description_col) {
    FailEvidence(context, evidence,
                 QueryError("source '" + context.source->id +
                            "': the changes query must return the columns time and description "
                            "(and may return service); rename its columns with AS"));
    return;
  }
  for (size_t row = 0; row < result->row_count(); ++row) {
    std::optional<int64_t> t = TimeOf(result->ValueAt(row, *time_col));
    if (!t || *t < context.start_us || *t >= context.end_us) continue;
    ChangeRecord change;
    change.time_us = *t;
    Value description = result->ValueAt(row, *description_col);
    if (description.type == ColumnType::kString) change.description = description.as_string();
    if (service_col) {
      Value service = result->ValueAt(row, *service_col);
      if (service.type == ColumnType::kString) change.service = service.as_string();
    }
    // A change of a service not asked about is not evidence for this question.
    if (!change.service.empty() && !context.services.empty() &&
        std::find(context.services.begin(), context.services.end(), change.service) ==
            context.services.end()) {
      continue;
    }
    evidence.changes.push_back(std::move(change));
  }
  std::stable_sort(
      evidence.changes.begin(), evidence.changes.end(),
      [](const ChangeRecord& a, const ChangeRecord& b) { return a.time_us < b.time_us; });
}

}  // namespace tributary::investigate
