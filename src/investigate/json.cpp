// The JSON of an investigation and of GET /api/v1/investigate/services (docs/investigate.md).
#include <algorithm>
#include <cmath>

#include "core/json_out.h"
#include "core/time_util.h"
#include "investigate/internal.h"
#include "investigate/investigate.h"

namespace tributary::investigate {

namespace {

void WriteParam(JsonOut& out, const Value& v) {
  switch (v.type) {
    case ColumnType::kNull:
      out.Null();
      return;
    case ColumnType::kBool:
      out.Bool(v.as_bool());
      return;
    case ColumnType::kInt64:
      out.Int(v.as_int());
      return;
    case ColumnType::kDouble:
      WriteNumber(out, v.as_double());
      return;
    case ColumnType::kDate:
      out.String(FormatDate(v.as_int()));
      return;
    case ColumnType::kTimestamp:
      out.String(FormatTimestamp(v.as_int()));
      return;
    default:
      out.String(v.as_string());
      return;
  }
}

void WriteError(JsonOut& out, const Status& status) {
  out.StartObject();
  out.Key("code").String(ErrorCodeName(status.code()));
  out.Key("message").String(status.message());
  out.EndObject();
}

void WriteEvidence(JsonOut& out, const SourceEvidence& e) {
  out.StartObject();
  out.Key("source").String(e.source);
  out.Key("type").String(e.type);
  out.Key("kind").String(e.kind);
  out.Key("status").String(e.status);
  if (!e.error.ok()) {
    out.Key("error");
    WriteError(out, e.error);
  }
  out.Key("elapsed_ms").Double(std::round(e.elapsed_ms * 10) / 10);
  out.Key("services");
  WriteStrings(out, e.services);
  out.Key("queries").StartArray();
  for (const auto& q : e.queries) {
    out.StartObject();
    out.Key("purpose").String(q.purpose);
    out.Key("query").String(q.query);
    out.Key("params").StartArray();
    for (const auto& p : q.params) WriteParam(out, p);
    out.EndArray();
    out.Key("options").StartObject();
    for (const auto& [k, v] : q.options) out.Key(k).String(v);
    out.EndObject();
    out.EndObject();
  }
  out.EndArray();
  if (e.kind != "changes") {
    out.Key("series").StartArray();
    for (const auto& s : e.series) {
      out.StartObject();
      out.Key("signal").String(s.signal);
      out.Key("service").String(s.service);
      out.Key("baseline");
      if (s.baseline) {
        WriteNumber(out, s.baseline->median);
        out.Key("threshold");
        WriteNumber(out, s.baseline->threshold);
        out.Key("mad");
        WriteNumber(out, s.baseline->mad);
      } else {
        out.Null();
      }
      out.Key("points").StartArray();
      for (const auto& p : s.points) {
        out.StartArray();
        out.String(FormatTimestamp(p.time_us));
        WriteNumber(out, p.value);
        out.EndArray();
      }
      out.EndArray();
      out.EndObject();
    }
    out.EndArray();
  }
  if (e.errors_total || !e.top_messages.empty()) {
    out.Key("errors").StartObject();
    out.Key("total");
    if (e.errors_total) {
      out.Int(*e.errors_total);
    } else {
      out.Null();
    }
    out.Key("baseline_total");
    if (e.baseline_errors_total) {
      out.Int(*e.baseline_errors_total);
    } else {
      out.Null();
    }
    out.Key("top_messages").StartArray();
    for (const auto& m : e.top_messages) WriteTopMessage(out, m);
    out.EndArray();
    out.EndObject();
  }
  if (e.kind == "changes") {
    out.Key("changes").StartArray();
    for (const auto& c : e.changes) {
      out.StartObject();
      out.Key("time").String(FormatTimestamp(c.time_us));
      if (!c.service.empty()) out.Key("service").String(c.service);
      out.Key("description").String(c.description);
      out.EndObject();
    }
    out.EndArray();
  }
  out.EndObject();
}

}  // namespace

void WriteNumber(JsonOut& out, double value) {
  if (std::isfinite(value)) {
    out.Double(value);
  } else {
    out.Null();
  }
}

void WriteOptionalNumber(JsonOut& out, std::string_view key, const std::optional<double>& value) {
  if (value) WriteNumber(out.Key(key), *value);
}

void WriteStrings(JsonOut& out, const std::vector<std::string>& values) {
  out.StartArray();
  for (const std::string& value : values) out.String(value);
  out.EndArray();
}

void WriteTopMessage(JsonOut& out, const TopMessage& message) {
  out.StartObject();
  out.Key("service").String(message.service);
  out.Key("message").String(message.message);
  out.Key("count").Int(message.count);
  out.Key("first_seen").String(FormatTimestamp(message.first_seen_us));
  out.Key("last_seen").String(FormatTimestamp(message.last_seen_us));
  out.EndObject();
}

void WriteTimelineEntry(JsonOut& out, const TimelineEntry& entry) {
  out.StartObject();
  out.Key("time").String(FormatTimestamp(entry.time_us));
  out.Key("kind").String(entry.kind);
  out.Key("service").String(entry.service);
  out.Key("source").String(entry.source);
  out.Key("signal").String(entry.signal);
  WriteOptionalNumber(out, "value", entry.value);
  WriteOptionalNumber(out, "baseline", entry.baseline);
  WriteOptionalNumber(out, "threshold", entry.threshold);
  WriteOptionalNumber(out, "ratio", entry.ratio);
  out.Key("description").String(entry.description);
  out.EndObject();
}

std::string InvestigationJson(const Investigation& inv) {
  JsonOut out;
  out.StartObject();
  out.Key("id").String(inv.id);
  out.Key("project").String(inv.request.project);
  out.Key("question").String(inv.request.question);
  out.Key("context").StartObject();
  out.Key("environment");
  if (inv.request.environment.empty()) {
    out.Null();
  } else {
    out.String(inv.request.environment);
  }
  out.Key("services");
  WriteStrings(out, inv.request.services);
  out.Key("time_range").StartObject();
  out.Key("start").String(FormatTimestamp(inv.request.start_us));
  out.Key("end").String(FormatTimestamp(inv.request.end_us));
  out.EndObject();
  out.EndObject();
  out.Key("window").StartObject();
  out.Key("baseline_start").String(FormatTimestamp(inv.baseline_start_us));
  out.Key("start").String(FormatTimestamp(inv.request.start_us));
  out.Key("end").String(FormatTimestamp(inv.request.end_us));
  out.Key("step_seconds").Int(inv.step_seconds);
  out.EndObject();

  out.Key("timeline").StartArray();
  for (const auto& t : inv.timeline) WriteTimelineEntry(out, t);
  out.EndArray();

  out.Key("evidence").StartArray();
  for (const auto& e : inv.evidence) WriteEvidence(out, e);
  out.EndArray();

  out.Key("components").StartArray();
  for (const auto& c : inv.components) {
    out.StartObject();
    out.Key("service").String(c.service);
    out.Key("signals");
    WriteStrings(out, c.signals);
    out.Key("sources");
    WriteStrings(out, c.sources);
    out.Key("first_shift").String(FormatTimestamp(c.first_shift_us));
    out.EndObject();
  }
  out.EndArray();

  out.Key("failed_sources").StartArray();
  for (const auto& e : inv.evidence) {
    if (e.status == "ok") continue;
    out.StartObject();
    out.Key("source").String(e.source);
    out.Key("status").String(e.status);
    out.Key("code").String(ErrorCodeName(e.error.code()));
    out.Key("message").String(e.error.message());
    out.EndObject();
  }
  out.EndArray();

  out.Key("skipped_sources").StartArray();
  for (const auto& s : inv.skipped) {
    out.StartObject();
    out.Key("source").String(s.source);
    out.Key("reason").String(s.reason);
    out.EndObject();
  }
  out.EndArray();
  out.Key("elapsed_ms").Double(std::round(inv.elapsed_ms * 10) / 10);

  if (inv.synthesis) {
    const SynthesisOutcome& s = *inv.synthesis;
    if (s.error.ok()) {
      out.Key("root_cause").String(s.root_cause);
      out.Key("affected_components");
      WriteStrings(out, s.affected_components);
      out.Key("recommended_actions");
      WriteStrings(out, s.recommended_actions);
    }
    out.Key("synthesis").StartObject();
    out.Key("model").String(s.model);
    out.Key("elapsed_ms").Double(std::round(s.elapsed_ms * 10) / 10);
    if (!s.error.ok()) {
      out.Key("error");
      WriteError(out, s.error);
    }
    out.EndObject();
  }
  out.EndObject();
  return out.Take();
}

std::string InvestigationServicesJson(const Config& config, const std::string& project_id) {
  const ProjectConfig* project = config.FindProject(project_id);
  std::vector<std::string> services;
  std::vector<std::string> environments;
  JsonOut sources;
  sources.StartArray();
  for (const auto& source : config.sources) {
    if (!source.investigate || !project ||
        std::find(project->sources.begin(), project->sources.end(), source.id) ==
            project->sources.end()) {
      continue;
    }
    for (const auto& s : source.tags.services) {
      if (std::find(services.begin(), services.end(), s) == services.end()) services.push_back(s);
    }
    for (const auto& e : source.tags.environments) {
      if (std::find(environments.begin(), environments.end(), e) == environments.end()) {
        environments.push_back(e);
      }
    }
    sources.StartObject();
    sources.Key("id").String(source.id);
    sources.Key("type").String(source.type);
    switch (source.investigate->kind) {
      case SourceInvestigateConfig::Kind::kMetrics:
        sources.Key("kind").String("metrics");
        sources.Key("signals").StartArray();
        for (const auto& [signal, promql] : source.investigate->metrics) sources.String(signal);
        sources.EndArray();
        break;
      case SourceInvestigateConfig::Kind::kLogs:
        sources.Key("kind").String("logs");
        break;
      case SourceInvestigateConfig::Kind::kChanges:
        sources.Key("kind").String("changes");
        break;
    }
    sources.Key("services");
    WriteStrings(sources, source.tags.services);
    sources.Key("environments");
    WriteStrings(sources, source.tags.environments);
    sources.EndObject();
  }
  sources.EndArray();
  std::sort(services.begin(), services.end());
  std::sort(environments.begin(), environments.end());
  JsonOut out;
  out.StartObject();
  out.Key("project").String(project_id);
  out.Key("services");
  WriteStrings(out, services);
  out.Key("environments");
  WriteStrings(out, environments);
  out.Key("sources").Raw(sources.Take());
  out.Key("synthesis").Bool(config.investigate.synthesis.has_value());
  out.Key("deadline_ms").Int(config.investigate.deadline_ms);
  out.Key("max_points").Int(config.investigate.max_points);
  out.EndObject();
  return out.Take();
}

}  // namespace tributary::investigate
