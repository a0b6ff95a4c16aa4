// Running one pack metric for one project: find the dataset's bindings and their sources, check
// each bound table and its columns against the source's schema, render the dialect's SQL, run
// it with the source's limits (EffectiveQueryLimits), and shape the rows into the pack's declared
// result (the spec's envelope `{data, meta}`). A dataset bound to several sources fans out:
// every source runs in parallel on the fan-out pool (orchestrator/fanout.h) with its own
// deadline, and the answers are merged by the metric's merge rule (metrics/merge.h). Shared by
// the HTTP API, the compatibility routes and the CLI.
//
// Request parameters beside the metric's own: `source=<id>` restricts the call to one bound
// source, `merge=none` answers each source's data side by side (keyed by source id) instead of
// merging (`merge=pack`, the default).
// Thread-safety: RunMetric may be called concurrently; the schema check cache is locked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "config/config.h"
#include "metrics/metric_params.h"
#include "metrics/pack.h"
#include "orchestrator/runtime.h"

namespace tributary {

struct MetricCall {
  //! Empty: the config's default project.
  std::string project;
  std::string pack;
  std::string metric;
  RawParams params;
  CancelToken cancel;
};

//! What happened at one source (meta.sources).
struct SourceOutcome {
  std::string id;
  //! "ok", "error", "timeout" or "skipped".
  std::string status;
  int64_t rows = 0;
  double elapsed_ms = 0;
  Status error;
  //! The source's query warnings (cost estimates), shown in meta.warnings.
  std::vector<QueryWarning> warnings;
};

struct MetricAnswer {
  std::string project;
  std::string pack;
  std::string metric;
  //! The `data` member: the shaped result as JSON text.
  std::string data_json;
  int64_t now = 0;
  std::optional<int64_t> from;
  std::optional<int64_t> to;
  bool cached = false;
  //! One entry per source consulted, in binding order.
  std::vector<SourceOutcome> sources;
  //! Some, but not all, sources failed: `data` holds the answer of the others.
  bool partial = false;
  //! Fields whose merged value is approximate (meta.approximate; empty when exact).
  std::vector<std::string> approximate;
  //! False with merge=none: `data` is an object keyed by source id.
  bool merged = true;
  //! Set when no source answered: `data_json` is empty and this is the (first) source error.
  //! The API answers 502, or 504 when every source timed out, with `sources` in the body.
  Status failure;
};

//! Runs the metric. NOT_FOUND (listing what exists) for an unknown project, pack, metric or
//! `source`; INVALID_ARGUMENT for bad parameters (or `merge`); CONFIG_ERROR when a binding does
//! not fit its source (missing table or column, no SQL for the source's dialect). A failing
//! source is not an error of the call: it is reported in `sources`, and in `failure` when no
//! source answered (else `partial` is set).
Result<MetricAnswer> RunMetric(const Runtime& runtime, const MetricCall& call);

//! Checks every project's dataset bindings (each source's) against the packs: each dataset is
//! one a pack reads, and `columns` renames only canonical columns. CONFIG_ERROR at the
//! binding's location.
Status CheckDatasetBindings(const Config& config, const PackCatalog& packs);

//! `{"data": ..., "meta": {...}}` (spec: "Envelope"). `meta.cached` is its last member.
std::string MetricEnvelopeJson(const MetricAnswer& answer);

//! The envelope up to where the cache's members of `meta` go: it ends inside `meta` after a
//! comma, so a result cache stores it once and appends `"cached":true,"cachedAt":...}}` per
//! hit without parsing the body again. MetricEnvelopeJson is this plus `"cached":false}}`.
std::string MetricEnvelopePrefix(const MetricAnswer& answer);

//! One rendered query of a metric: `part` is "main" or a list field's name.
struct PlannedQuery {
  //! The source it runs on (empty from PlanMetricSql).
  std::string source;
  std::string part;
  RenderedSql sql;
};

//! The SQL a metric runs for a dialect, without touching a source: `table_sql` is what
//! {{table}} becomes (see QuoteTable). For golden-file tests and `tributary metric --explain`.
Result<std::vector<PlannedQuery>> PlanMetricSql(const Pack& pack, const MetricDef& metric,
                                                const DialectSql& dialect,
                                                const ResolvedParams& params,
                                                const DatasetBinding& binding,
                                                const std::string& table_sql);

//! The SQL and parameters RunMetric would run for `call` on each bound source (or the one
//! named by `source=`), checked against the sources' schemas, without running them.
Result<std::vector<PlannedQuery>> ExplainMetric(const Runtime& runtime, const MetricCall& call);

//! A table name as the dialect's quoted identifier: each dotted part quoted on its own, or the
//! whole name as one identifier when the dialect says so (BigQuery).
std::string QuoteTable(const DialectSql& dialect, std::string_view table);
//! One identifier quoted with `quote`, the quote doubled inside.
std::string QuoteIdentifier(char quote, std::string_view name);

}  // namespace tributary
