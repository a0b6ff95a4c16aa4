// Merging one metric's answers from several sources into one answer, by the metric's declared
// merge rule (pack.yaml `merge`; the vocabulary is in docs/packs.md, "Merge rules"). Nothing
// here knows a metric by name: counters sum, rows with equal keys combine, averages are
// re-weighted by their declared weight field, shares and step rates are recomputed from the
// merged counts, and the metric's order and limit are applied again after the merge.
//
// The merge reads the shaped `data` JSON of each source (what a single-source answer would
// be) and writes the merged JSON with the declared field types, so an int stays an int.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "metrics/metric_params.h"
#include "metrics/pack.h"

namespace tributary {

struct MergedData {
  //! The merged `data` JSON.
  std::string json;
  //! Dotted paths of the fields whose merged value is not exact (meta.approximate): a
  //! distinct count summed over sources, an unweighted mean, a top-N that a source may have
  //! cut, and whatever is derived from those. Only fields that did combine values of two or
  //! more sources are listed; in result order.
  std::vector<std::string> approximate;
};

//! Merges `parts`, the `data` JSON of each source that answered (in source order), by
//! `metric.merge`. `params` are the request's resolved parameters (the limit and offset the
//! rule may name). INTERNAL when a part does not have the declared shape.
Result<MergedData> MergeMetricData(const MetricDef& metric, const std::vector<std::string>& parts,
                                   const ResolvedParams& params);

//! The parameters each source runs with when `metric` fans out to several sources: with an
//! offset rule, every source answers rows [0, offset + limit) so that the merge can skip
//! `offset` rows of the merged order. Unchanged otherwise.
ResolvedParams PerSourceParams(const MetricDef& metric, const ResolvedParams& params);

}  // namespace tributary
