// Internals of the investigation engine (src/investigate/*.cpp), shared by source selection,
// the evidence gatherers, the timeline and the JSON writer. Not part of the public interface
// (investigate.h).
// Thread-safety: the functions are reentrant; a GatherContext is read-only while gathering and
// each gatherer writes only the SourceEvidence it was given.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "config/config.h"
#include "core/query_result.h"
#include "investigate/investigate.h"
#include "orchestrator/runtime.h"

namespace tributary {
class JsonOut;
}  // namespace tributary

namespace tributary::investigate {

//! The parts appended into one string (GCC 12 -O3 warns falsely on `"literal" + temporary`).
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

//! Whether `name` may be a service or environment name: [A-Za-z0-9_.:-]{1,128}.
bool IsServiceName(std::string_view name);

//! One chosen source and the services it is asked about (empty: every service it has rows
//! for; only log tables can answer that).
struct ChosenSource {
  const SourceConfig* source = nullptr;
  std::vector<std::string> services;
};

struct Selection {
  std::vector<ChosenSource> chosen;
  std::vector<SkippedSource> skipped;
};

//! The project's sources with an `investigate:` section whose tags match the request, in
//! config order; the others (with a section) in `skipped` with the reason.
Selection SelectSources(const Config& config, const ProjectConfig& project,
                        const InvestigationRequest& request);

//! Everything one gatherer needs. The runtime is shared so that a gatherer abandoned at the
//! deadline can finish on its own.
struct GatherContext {
  std::shared_ptr<const Runtime> runtime;
  std::string project;
  const SourceConfig* source = nullptr;
  //! Resolved llm_logs binding when the source reads `dataset: llm_logs`.
  const DatasetBinding* dataset = nullptr;
  std::vector<std::string> services;
  int64_t baseline_start_us = 0;
  int64_t start_us = 0;
  int64_t end_us = 0;
  int64_t step_seconds = 60;
  int64_t top_messages = 5;
  std::chrono::steady_clock::time_point deadline;
  CancelToken cancel;
};

//! Records `query` in the evidence, then runs it on the context's source (RunUserQuery: the
//! project's and source's limits, the statement guard) with a timeout of what is left before
//! the deadline (capped by the limits).
Result<QueryResult> RunEvidenceQuery(const GatherContext& context, SourceEvidence& evidence,
                                     EvidenceQuery query);

//! Marks the evidence failed: status "timeout" for DEADLINE_EXCEEDED (and CANCELLED once the
//! deadline has passed), else "error".
void FailEvidence(const GatherContext& context, SourceEvidence& evidence, Status status);

//! A numeric cell as a double (integers, doubles, decimals, numeric text); nullopt for NULL
//! and anything else.
std::optional<double> NumberOf(const Value& value);
//! A time cell as unix microseconds: TIMESTAMP, DATE, numeric unix seconds or timestamp text.
std::optional<int64_t> TimeOf(const Value& value);
//! The column's index by name (case-insensitive); nullopt when absent.
std::optional<size_t> ColumnIndex(const QueryResult& result, std::string_view name);

//! The gatherers: each fills `evidence` (queries, series, totals, messages, changes) or fails
//! it with FailEvidence.
void GatherPrometheus(const GatherContext& context, SourceEvidence& evidence);
void GatherLogsSql(const GatherContext& context, SourceEvidence& evidence);
void GatherLogsElasticsearch(const GatherContext& context, SourceEvidence& evidence);
void GatherChanges(const GatherContext& context, SourceEvidence& evidence);

//! Computes every series' baseline, then the timeline (shifts, recoveries, changes in
//! [start, end)) ordered by time, source, signal, and the components ordered by first shift.
void BuildTimeline(const InvestigateConfig& config, Investigation& investigation);

//! "inv_" and 16 random hex digits.
std::string NewInvestigationId();

//! `value`, or null when it is not finite (JSON has no NaN or infinity).
void WriteNumber(JsonOut& out, double value);

//! `"key": value` when there is a value, nothing otherwise.
void WriteOptionalNumber(JsonOut& out, std::string_view key, const std::optional<double>& value);

void WriteStrings(JsonOut& out, const std::vector<std::string>& values);

//! One of a log source's top error messages as docs/investigate.md shows it.
void WriteTopMessage(JsonOut& out, const TopMessage& message);

//! One timeline entry as docs/investigate.md shows it: the answer's and the synthesis prompt's.
void WriteTimelineEntry(JsonOut& out, const TimelineEntry& entry);

}  // namespace tributary::investigate
