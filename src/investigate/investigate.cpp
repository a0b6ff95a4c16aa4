// RunInvestigation: source selection, the parallel fan-out of the gatherers within one
// deadline, change detection and the optional synthesis (docs/investigate.md).
#include "investigate/investigate.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/time_util.h"
#include "investigate/internal.h"
#include "investigate/synthesis.h"
#include "orchestrator/fanout.h"
#include "orchestrator/query_limits.h"
#include "orchestrator/query_service.h"

namespace tributary::investigate {

namespace {

using Clock = std::chrono::steady_clock;

// A gatherer still running this long after the deadline is abandoned (it was cancelled at the
// deadline; the connectors stop well within this).
constexpr std::chrono::milliseconds kAbandonGrace{500};

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

const char* KindName(SourceInvestigateConfig::Kind kind) {
  switch (kind) {
    case SourceInvestigateConfig::Kind::kMetrics:
      return "metrics";
    case SourceInvestigateConfig::Kind::kLogs:
      return "logs";
    case SourceInvestigateConfig::Kind::kChanges:
      return "changes";
  }
  return "logs";
}

// The queries a gatherer has sent so far, readable even when the gatherer is abandoned.
struct QueryLog {
  std::mutex mu;
  std::vector<EvidenceQuery> queries;
};

thread_local QueryLog* current_log = nullptr;

void Gather(const GatherContext& context, SourceEvidence& evidence) {
  const SourceInvestigateConfig& inv = *context.source->investigate;
  switch (inv.kind) {
    case SourceInvestigateConfig::Kind::kMetrics:
      GatherPrometheus(context, evidence);
      return;
    case SourceInvestigateConfig::Kind::kLogs:
      if (context.source->type == "elasticsearch") {
        GatherLogsElasticsearch(context, evidence);
      } else {
        GatherLogsSql(context, evidence);
      }
      return;
    case SourceInvestigateConfig::Kind::kChanges:
      GatherChanges(context, evidence);
      return;
  }
}

}  // namespace

Result<QueryResult> RunEvidenceQuery(const GatherContext& context, SourceEvidence& evidence,
                                     EvidenceQuery query) {
  evidence.queries.push_back(query);
  if (current_log) {
    std::lock_guard<std::mutex> lock(current_log->mu);
    current_log->queries.push_back(query);
  }
  const Config& config = context.runtime->config();
  QueryLimits limits =
      EffectiveQueryLimits(config, config.FindProject(context.project), *context.source);
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(context.deadline - Clock::now());
  if (left.count() <= 0 || context.cancel.cancelled()) {
    return DeadlineExceeded(
        "the investigation's deadline (investigate.deadline_ms) passed before "
        "this query could start");
  }
  UserQuery user;
  user.project = context.project;
  user.source = context.source->id;
  user.sql = std::move(query.query);
  user.params = std::move(query.params);
  user.options = std::move(query.options);
  user.limit = limits.max_rows;
  user.timeout_ms = std::max<int64_t>(1, std::min<int64_t>(left.count(), limits.max_timeout_ms));
  user.cancel = context.cancel;
  return RunUserQuery(*context.runtime, user);
}

void FailEvidence(const GatherContext& context, SourceEvidence& evidence, Status status) {
  const bool late = Clock::now() >= context.deadline;
  const bool timeout = status.code() == ErrorCode::kDeadlineExceeded ||
                       (status.code() == ErrorCode::kCancelled && late);
  evidence.status = timeout ? "timeout" : "error";
  if (timeout && status.code() != ErrorCode::kDeadlineExceeded) {
    status = DeadlineExceeded("source '" + context.source->id +
                              "' did not answer within the investigation's deadline "
                              "(investigate.deadline_ms)");
  }
  evidence.error = std::move(status);
  evidence.series.clear();
  evidence.errors_total.reset();
  evidence.baseline_errors_total.reset();
  evidence.top_messages.clear();
  evidence.changes.clear();
}

std::optional<double> NumberOf(const Value& value) {
  switch (value.type) {
    case ColumnType::kInt64:
      return static_cast<double>(value.as_int());
    case ColumnType::kDouble:
      return value.as_double();
    case ColumnType::kBool:
      return value.as_bool() ? 1.0 : 0.0;
    case ColumnType::kDecimal:
    case ColumnType::kString: {
      const std::string& text = value.as_string();
      if (text.empty()) return std::nullopt;
      char* end = nullptr;
      double d = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size()) return std::nullopt;
      return d;
    }
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> TimeOf(const Value& value) {
  switch (value.type) {
    case ColumnType::kTimestamp:
      return value.as_int();
    case ColumnType::kDate:
      return value.as_int() * 86400LL * 1000000;
    case ColumnType::kInt64:
      return value.as_int() * 1000000;
    case ColumnType::kDouble:
    case ColumnType::kDecimal: {
      std::optional<double> seconds = NumberOf(value);
      if (!seconds || !std::isfinite(*seconds)) return std::nullopt;
      return static_cast<int64_t>(std::llround(*seconds * 1e6));
    }
    case ColumnType::kString:
      return ParseTimestamp(value.as_string());
    default:
      return std::nullopt;
  }
}

std::optional<size_t> ColumnIndex(const QueryResult& result, std::string_view name) {
  for (size_t i = 0; i < result.columns().size(); ++i) {
    const std::string& column = result.columns()[i].name;
    if (column.size() == name.size() &&
        std::equal(column.begin(), column.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return i;
    }
  }
  return std::nullopt;
}

std::string NewInvestigationId() {
  unsigned char bytes[8] = {};
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    const auto now = std::chrono::system_clock::now().time_since_epoch().count();
    for (size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<unsigned char>(now >> (8 * i));
  }
  std::string id = "inv_";
  char hex[3];
  for (unsigned char b : bytes) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    id.append(hex);
  }
  return id;
}

Result<Investigation> RunInvestigation(const Runtime& runtime,
                                       const InvestigationRequest& request) {
  const auto started = Clock::now();
  const Config& config = runtime.config();
  std::string project_id = request.project.empty() ? config.default_project : request.project;
  if (project_id.empty()) {
    return InvalidArgument(
        "no project named and the config has no default_project; add \"project\" to the body "
        "or ?project= to the URL");
  }
  const ProjectConfig* project = config.FindProject(project_id);
  if (!project) {
    std::string known;
    for (const auto& p : config.projects) known.append(known.empty() ? "" : ", ").append(p.id);
    return NotFound("unknown project '" + project_id + "'; known projects: " + known);
  }
  if (request.end_us <= request.start_us) {
    return InvalidArgument("the time range's end must be after its start");
  }

  Investigation inv;
  inv.id = NewInvestigationId();
  inv.request = request;
  inv.request.project = project_id;
  const int64_t span = request.end_us - request.start_us;
  inv.baseline_start_us = request.start_us - span;
  inv.step_seconds = ChooseStepSeconds(span, config.investigate.max_points, request.step_seconds);

  Selection selection = SelectSources(config, *project, inv.request);
  inv.skipped = std::move(selection.skipped);

  const auto deadline = started + std::chrono::milliseconds(config.investigate.deadline_ms);
  // Gatherers may outlive this call when abandoned past the deadline: they keep the runtime
  // (config, connectors) and their own slots alive.
  std::shared_ptr<const Runtime> keep = runtime.weak_from_this().lock();
  // A Runtime not owned by a shared_ptr (none in the server): borrowed for the call.
  if (!keep) keep = std::shared_ptr<const Runtime>(std::shared_ptr<const Runtime>(), &runtime);
  struct Slot {
    SourceEvidence evidence;
    QueryLog log;
  };
  std::vector<std::shared_ptr<Slot>> slots;
  std::vector<FanoutJob> jobs;
  for (const ChosenSource& chosen : selection.chosen) {
    auto slot = std::make_shared<Slot>();
    SourceEvidence& evidence = slot->evidence;
    evidence.source = chosen.source->id;
    evidence.type = chosen.source->type;
    evidence.kind = KindName(chosen.source->investigate->kind);
    evidence.services = chosen.services;
    GatherContext context;
    context.runtime = keep;
    context.project = project_id;
    context.source = chosen.source;
    context.services = chosen.services;
    context.baseline_start_us = inv.baseline_start_us;
    context.start_us = request.start_us;
    context.end_us = request.end_us;
    context.step_seconds = inv.step_seconds;
    context.top_messages = config.investigate.top_messages;
    context.deadline = deadline;
    if (!chosen.source->investigate->dataset.empty()) {
      auto it = project->datasets.find(chosen.source->investigate->dataset);
      if (it != project->datasets.end()) {
        for (const auto& binding : it->second) {
          if (binding.source == chosen.source->id) context.dataset = &binding;
        }
      }
    }
    slots.push_back(slot);
    jobs.push_back(
        {deadline, [slot, context](const CancelToken& token) mutable {
           const auto job_start = Clock::now();
           context.cancel = token;
           current_log = &slot->log;
           if (!context.source->investigate->dataset.empty() && !context.dataset) {
             FailEvidence(context, slot->evidence,
                          ConfigError("project '" + context.project + "' does not bind " +
                                      context.source->investigate->dataset + " to source '" +
                                      context.source->id + "'; add it to the project's datasets"));
           } else {
             Gather(context, slot->evidence);
           }
           current_log = nullptr;
           slot->evidence.elapsed_ms = MillisSince(job_start);
         }});
  }
  std::vector<FanoutEnd> ends =
      RunFanout(std::move(jobs), request.cancel, config.server.fanout_threads, kAbandonGrace);
  for (size_t i = 0; i < slots.size(); ++i) {
    if (ends[i] == FanoutEnd::kFinished) {
      inv.evidence.push_back(std::move(slots[i]->evidence));
      continue;
    }
    SourceEvidence late;
    late.source = selection.chosen[i].source->id;
    late.type = selection.chosen[i].source->type;
    late.kind = KindName(selection.chosen[i].source->investigate->kind);
    late.services = selection.chosen[i].services;
    {
      std::lock_guard<std::mutex> lock(slots[i]->log.mu);
      late.queries = slots[i]->log.queries;
    }
    late.status = "timeout";
    late.elapsed_ms = MillisSince(started);
    late.error = DeadlineExceeded("source '" + late.source + "' gave no answer within " +
                                  std::to_string(config.investigate.deadline_ms) +
                                  " ms (investigate.deadline_ms) and did not stop when cancelled");
    inv.evidence.push_back(std::move(late));
  }

  BuildTimeline(config.investigate, inv);
  inv.elapsed_ms = MillisSince(started);
  if (config.investigate.synthesis) {
    inv.synthesis = Synthesize(*config.investigate.synthesis, inv, request.cancel);
  }
  return inv;
}

}  // namespace tributary::investigate
