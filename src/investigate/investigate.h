// Investigations (docs/investigate.md): given a question, an environment, a time range and
// services, choose the project's sources tagged for them, gather evidence from each in
// parallel within one deadline (error counts and top messages from logs, error-rate and latency
// series from metrics, recent changes), find where series shift against the baseline of the
// window before, and answer with a timeline, the evidence with the exact queries run, the
// affected components and the sources that failed. Optionally a chat model summarises it.
//
// Shared by the REST route (server/investigate_api.*) and the MCP tool `investigate`.
// Thread-safety: RunInvestigation may be called concurrently; it only reads the Runtime.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "core/value.h"
#include "investigate/detect.h"
#include "orchestrator/runtime.h"

namespace tributary::investigate {

//! A parsed, validated request (the body of POST /api/v1/investigate).
struct InvestigationRequest {
  //! Empty: the config's default project (the route resolves `?project=` before).
  std::string project;
  std::string question;
  //! Empty: every environment.
  std::string environment;
  //! Empty: every service tagged on the project's sources.
  std::vector<std::string> services;
  //! [start, end) in unix microseconds (UTC).
  int64_t start_us = 0;
  int64_t end_us = 0;
  //! 0: chosen from investigate.max_points (ChooseStepSeconds).
  int64_t step_seconds = 0;
  CancelToken cancel;
};

//! Parses the JSON body (docs/investigate.md). Unknown fields, wrong types, bad or relative
//! times that do not parse, end <= start, spans over 31 days and service names outside
//! [A-Za-z0-9_.:-]{1,128} are INVALID_ARGUMENT naming the field. `now_us` resolves "now-1h".
Result<InvestigationRequest> ParseInvestigationRequest(std::string_view body, int64_t now_us);

//! One query exactly as it was sent to a source.
struct EvidenceQuery {
  //! What it is for: "error_rate of checkout", "error counts", "top error messages", "changes".
  std::string purpose;
  std::string query;
  std::vector<Value> params;
  std::map<std::string, std::string> options;
};

struct EvidenceSeries {
  //! "error_rate", "latency_p95_ms", "errors", "latency_ms", ...
  std::string signal;
  std::string service;
  //! Sorted by time; covers [baseline_start, end).
  std::vector<SeriesPoint> points;
  //! nullopt when there were too few baseline points.
  std::optional<Baseline> baseline;
};

struct TopMessage {
  std::string service;
  std::string message;
  int64_t count = 0;
  int64_t first_seen_us = 0;
  int64_t last_seen_us = 0;
};

struct ChangeRecord {
  int64_t time_us = 0;
  //! May be empty when the changes query returns no service.
  std::string service;
  std::string description;
};

//! What one source gave.
struct SourceEvidence {
  std::string source;
  //! The connector type ("prometheus", "postgres", ...).
  std::string type;
  //! "metrics", "logs" or "changes".
  std::string kind;
  //! "ok", "error" or "timeout".
  std::string status = "ok";
  Status error;
  double elapsed_ms = 0;
  //! The requested services this source was asked about.
  std::vector<std::string> services;
  std::vector<EvidenceQuery> queries;
  std::vector<EvidenceSeries> series;
  //! Logs: error lines in [start, end) and in the baseline window.
  std::optional<int64_t> errors_total;
  std::optional<int64_t> baseline_errors_total;
  std::vector<TopMessage> top_messages;
  std::vector<ChangeRecord> changes;
};

struct TimelineEntry {
  int64_t time_us = 0;
  //! "shift", "recovery" or "deploy_or_change".
  std::string kind;
  std::string service;
  std::string source;
  //! The series' signal, or "change".
  std::string signal;
  std::optional<double> value;
  std::optional<double> baseline;
  std::optional<double> threshold;
  std::optional<double> ratio;
  std::string description;
};

struct Component {
  std::string service;
  std::vector<std::string> signals;
  std::vector<std::string> sources;
  int64_t first_shift_us = 0;
};

struct SkippedSource {
  std::string source;
  std::string reason;
};

//! The model's summary (only when investigate.synthesis is configured).
struct SynthesisOutcome {
  std::string model;
  double elapsed_ms = 0;
  //! Not OK: the three fields below are absent from the answer.
  Status error;
  std::string root_cause;
  std::vector<std::string> affected_components;
  std::vector<std::string> recommended_actions;
};

struct Investigation {
  std::string id;
  InvestigationRequest request;
  int64_t baseline_start_us = 0;
  int64_t step_seconds = 0;
  std::vector<TimelineEntry> timeline;
  //! One per chosen source, in config order.
  std::vector<SourceEvidence> evidence;
  std::vector<Component> components;
  std::vector<SkippedSource> skipped;
  double elapsed_ms = 0;
  std::optional<SynthesisOutcome> synthesis;
};

//! Chooses the sources, gathers the evidence in parallel on the fan-out pool within
//! investigate.deadline_ms (each source bounded by its own limits too), detects the shifts and
//! builds the timeline, then runs the synthesis when configured. NOT_FOUND for an unknown
//! project. A failing source is not an error: it is in the evidence with status error/timeout.
Result<Investigation> RunInvestigation(const Runtime& runtime, const InvestigationRequest& request);

//! The answer's JSON (docs/investigate.md, snake_case members).
std::string InvestigationJson(const Investigation& investigation);

//! GET /api/v1/investigate/services: the project's tagged services, environments and sources.
std::string InvestigationServicesJson(const Config& config, const std::string& project);

}  // namespace tributary::investigate
