// The optional synthesis of an investigation; see synthesis.h.
#include "investigate/synthesis.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cmath>
#include <string_view>

#include "connectors/common/http_client.h"
#include "core/json_out.h"
#include "core/json_value.h"
#include "core/time_util.h"
#include "investigate/internal.h"

namespace tributary::investigate {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

//! The most of a reply kept in memory; a longer one is not a chat completion.
constexpr size_t kMaxReplyBytes = 4 << 20;

//! The parts of the prompt that are dropped to fit `max_bytes`, least important first: what
//! the timeline already says (series baselines, queries' purposes, changes, components) goes
//! before the top messages, then whole sources from the last, then the timeline.
enum Part : size_t {
  kSkippedSources,
  kSeries,
  kQueryPurposes,
  kSourceChanges,
  kComponents,
  kTopMessages,
  kSources,
  kTimeline,
  kQuestion,
  kPartCount,
};

constexpr std::array<std::string_view, kPartCount> kPartNames = {
    "skipped_sources", "series",  "query_purposes", "source_changes", "components",
    "top_messages",    "sources", "timeline",       "question"};

//! How many items of each part the prompt keeps (the question counts as one item).
using Keep = std::array<size_t, kPartCount>;

size_t ItemCount(const SourceEvidence& source, Part part) {
  switch (part) {
    case kSeries:
      return source.series.size();
    case kQueryPurposes:
      return source.queries.size();
    case kSourceChanges:
      return source.changes.size();
    case kTopMessages:
      return source.top_messages.size();
    default:
      return 0;
  }
}

//! The rank of the `item`-th item of a `part` of source `source` among the items of that part
//! of every source (0, 1, ... without gaps): first items of every source first, then second
//! items, and so on, so that each source keeps its most important items longest.
size_t RoundRobinRank(const std::vector<SourceEvidence>& evidence, Part part, size_t item,
                      size_t source) {
  size_t rank = 0;
  for (size_t other = 0; other < evidence.size(); ++other) {
    const size_t count = ItemCount(evidence[other], part);
    rank += std::min(count, item);
    if (other < source && count > item) ++rank;
  }
  return rank;
}

//! Ranks of the timeline entries: shifts, then changes, then recoveries, each in time order.
std::vector<size_t> TimelineRanks(const std::vector<TimelineEntry>& timeline) {
  std::vector<size_t> order(timeline.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto priority = [](const TimelineEntry& entry) {
    if (entry.kind == "shift") return 0;
    if (entry.kind == "deploy_or_change") return 1;
    return 2;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return priority(timeline[a]) < priority(timeline[b]);
  });
  std::vector<size_t> ranks(timeline.size());
  for (size_t rank = 0; rank < order.size(); ++rank) ranks[order[rank]] = rank;
  return ranks;
}

//! The number of items of each part in the whole prompt.
Keep PartTotals(const Investigation& investigation) {
  Keep totals{};
  totals[kSkippedSources] = investigation.skipped.size();
  for (const SourceEvidence& source : investigation.evidence) {
    totals[kSeries] += source.series.size();
    totals[kQueryPurposes] += source.queries.size();
    totals[kSourceChanges] += source.changes.size();
    totals[kTopMessages] += source.top_messages.size();
  }
  totals[kTimeline] = investigation.timeline.size();
  totals[kComponents] = investigation.components.size();
  totals[kSources] = investigation.evidence.size();
  totals[kQuestion] = investigation.request.question.empty() ? 0 : 1;
  return totals;
}

void WriteSource(JsonOut& out, const std::vector<SourceEvidence>& evidence, size_t index,
                 const Keep& keep) {
  const SourceEvidence& source = evidence[index];
  out.StartObject();
  out.Key("source").String(source.source);
  out.Key("type").String(source.type);
  out.Key("kind").String(source.kind);
  out.Key("status").String(source.status);
  if (!source.error.ok()) {
    out.Key("error").StartObject();
    out.Key("code").String(ErrorCodeName(source.error.code()));
    out.Key("message").String(source.error.message());
    out.EndObject();
  }
  if (!source.services.empty()) WriteStrings(out.Key("services"), source.services);
  auto kept = [&](Part part, size_t item) {
    return RoundRobinRank(evidence, part, item, index) < keep[part];
  };
  if (!source.queries.empty() && kept(kQueryPurposes, 0)) {
    out.Key("queries").StartArray();
    for (size_t i = 0; i < source.queries.size() && kept(kQueryPurposes, i); ++i) {
      out.String(source.queries[i].purpose);
    }
    out.EndArray();
  }
  if (source.errors_total || source.baseline_errors_total) {
    out.Key("errors").StartObject();
    if (source.errors_total) out.Key("total").Int(*source.errors_total);
    if (source.baseline_errors_total) out.Key("baseline_total").Int(*source.baseline_errors_total);
    out.EndObject();
  }
  if (!source.top_messages.empty() && kept(kTopMessages, 0)) {
    out.Key("top_messages").StartArray();
    for (size_t i = 0; i < source.top_messages.size() && kept(kTopMessages, i); ++i) {
      WriteTopMessage(out, source.top_messages[i]);
    }
    out.EndArray();
  }
  if (!source.changes.empty() && kept(kSourceChanges, 0)) {
    out.Key("changes").StartArray();
    for (size_t i = 0; i < source.changes.size() && kept(kSourceChanges, i); ++i) {
      const ChangeRecord& change = source.changes[i];
      out.StartObject();
      out.Key("time").String(FormatTimestamp(change.time_us));
      if (!change.service.empty()) out.Key("service").String(change.service);
      out.Key("description").String(change.description);
      out.EndObject();
    }
    out.EndArray();
  }
  if (!source.series.empty() && kept(kSeries, 0)) {
    // What each series is and its baseline; never its points.
    out.Key("series").StartArray();
    for (size_t i = 0; i < source.series.size() && kept(kSeries, i); ++i) {
      const EvidenceSeries& series = source.series[i];
      out.StartObject();
      out.Key("signal").String(series.signal);
      out.Key("service").String(series.service);
      if (series.baseline) {
        WriteNumber(out.Key("baseline"), series.baseline->median);
        WriteNumber(out.Key("threshold"), series.baseline->threshold);
      } else {
        out.Key("baseline").Null();
      }
      out.EndObject();
    }
    out.EndArray();
  }
  out.EndObject();
}

std::string RenderPrompt(const Investigation& investigation, const Keep& keep, const Keep& totals) {
  const InvestigationRequest& request = investigation.request;
  JsonOut out;
  out.StartObject();
  if (keep[kQuestion] > 0) out.Key("question").String(request.question);
  out.Key("context").StartObject();
  if (!request.environment.empty()) out.Key("environment").String(request.environment);
  if (!request.services.empty()) WriteStrings(out.Key("services"), request.services);
  out.EndObject();
  out.Key("window").StartObject();
  out.Key("baseline_start").String(FormatTimestamp(investigation.baseline_start_us));
  out.Key("start").String(FormatTimestamp(request.start_us));
  out.Key("end").String(FormatTimestamp(request.end_us));
  out.Key("step_seconds").Int(investigation.step_seconds);
  out.EndObject();

  if (keep[kTimeline] > 0) {
    const std::vector<size_t> ranks = TimelineRanks(investigation.timeline);
    out.Key("timeline").StartArray();
    for (size_t i = 0; i < investigation.timeline.size(); ++i) {
      if (ranks[i] >= keep[kTimeline]) continue;
      WriteTimelineEntry(out, investigation.timeline[i]);
    }
    out.EndArray();
  }

  if (keep[kComponents] > 0) {
    out.Key("components").StartArray();
    for (size_t i = 0; i < investigation.components.size() && i < keep[kComponents]; ++i) {
      const Component& component = investigation.components[i];
      out.StartObject();
      out.Key("service").String(component.service);
      WriteStrings(out.Key("signals"), component.signals);
      WriteStrings(out.Key("sources"), component.sources);
      out.Key("first_shift").String(FormatTimestamp(component.first_shift_us));
      out.EndObject();
    }
    out.EndArray();
  }

  if (keep[kSources] > 0) {
    const size_t sources = investigation.evidence.size();
    out.Key("sources").StartArray();
    for (size_t i = 0; i < sources && i < keep[kSources]; ++i) {
      WriteSource(out, investigation.evidence, i, keep);
    }
    out.EndArray();
  }

  if (keep[kSkippedSources] > 0) {
    out.Key("skipped_sources").StartArray();
    for (size_t i = 0; i < investigation.skipped.size() && i < keep[kSkippedSources]; ++i) {
      out.StartObject();
      out.Key("source").String(investigation.skipped[i].source);
      out.Key("reason").String(investigation.skipped[i].reason);
      out.EndObject();
    }
    out.EndArray();
  }

  // What was left out to fit, so that the model does not read an absence as evidence.
  bool any_omitted = false;
  for (size_t part = 0; part < kPartCount; ++part) {
    if (keep[part] >= totals[part]) continue;
    if (!any_omitted) out.Key("omitted").StartObject();
    any_omitted = true;
    out.Key(kPartNames[part]).Int(static_cast<int64_t>(totals[part] - keep[part]));
  }
  if (any_omitted) out.EndObject();
  out.EndObject();
  return out.Take();
}

constexpr std::string_view kSystemMessage =
    "You are an incident analyst. The user message is a JSON document: an on-call question and "
    "the evidence a monitoring gateway gathered deterministically for a time window (a timeline "
    "of changes: shifts where a series crossed its baseline threshold, recoveries, deploys; "
    "the components with shifts; per source its status, error totals, top error messages and "
    "recent changes; `omitted` counts parts left out for size). Answer with exactly one JSON "
    "object and nothing else: {\"root_cause\": string, \"affected_components\": [string], "
    "\"recommended_actions\": [string]}. root_cause: the most likely cause, citing the "
    "evidence (times, sources, signals, messages); say it is unknown when the evidence does not "
    "show one. affected_components: service names. recommended_actions: short, concrete next "
    "steps. Use only the evidence given; do not invent services, times or numbers.";

std::string RequestBody(const SynthesisConfig& config, const std::string& prompt) {
  JsonOut out;
  out.StartObject();
  out.Key("model").String(config.model);
  out.Key("temperature").Int(0);
  out.Key("response_format").StartObject().Key("type").String("json_object").EndObject();
  out.Key("messages").StartArray();
  out.StartObject().Key("role").String("system").Key("content").String(kSystemMessage).EndObject();
  out.StartObject().Key("role").String("user").Key("content").String(prompt).EndObject();
  out.EndArray();
  out.EndObject();
  return out.Take();
}

//! `text` with every occurrence of `secret` replaced by ***.
std::string Redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

//! The endpoint's own explanation of an HTTP error: OpenAI's {"error": {"message": ...}}, or
//! {"error": "..."}, or {"message": ...}; empty when the body has none.
std::string EndpointErrorMessage(std::string_view body) {
  boost::system::error_code ec;
  json::value root = ParseJson(body, ec);
  if (ec || !root.is_object()) return {};
  const json::object& object = root.as_object();
  if (const json::value* error = object.if_contains("error")) {
    if (error->is_string()) return std::string(error->as_string());
    if (error->is_object()) {
      if (const json::value* message = error->as_object().if_contains("message");
          message && message->is_string()) {
        return std::string(message->as_string());
      }
    }
  }
  if (const json::value* message = object.if_contains("message"); message && message->is_string())
    return std::string(message->as_string());
  return {};
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

//! The content without a Markdown code fence around it ("```json\n{...}\n```").
std::string_view StripFence(std::string_view content) {
  content = Trim(content);
  if (content.size() < 6 || !content.starts_with("```") || !content.ends_with("```")) {
    return content;
  }
  content.remove_suffix(3);
  content.remove_prefix(3);
  // The fence's info string ("json") ends at the first line break.
  const size_t newline = content.find('\n');
  if (newline == std::string_view::npos) return Trim(content);
  std::string_view info = Trim(content.substr(0, newline));
  if (!info.empty() && info.find_first_of("{[") != std::string_view::npos) return Trim(content);
  return Trim(content.substr(newline + 1));
}

Result<std::vector<std::string>> StringArray(const json::object& object, std::string_view key,
                                             const std::string& where) {
  const json::value* value = object.if_contains(key);
  if (!value || !value->is_array()) {
    return QueryError(where + " has no " + std::string(key) + " array of strings");
  }
  std::vector<std::string> strings;
  for (const json::value& item : value->as_array()) {
    if (!item.is_string()) {
      return QueryError(where + ": " + std::string(key) + " holds a " +
                        std::string(json::to_string(item.kind())) + " where strings are expected");
    }
    strings.emplace_back(item.as_string());
  }
  return strings;
}

//! Fills the three fields of `outcome` from a chat completion's body.
Status ParseReply(std::string_view body, const std::string& endpoint, SynthesisOutcome& outcome) {
  const std::string where = "the reply of " + endpoint;
  boost::system::error_code ec;
  json::value root = ParseJson(body, ec);
  if (ec || !root.is_object()) {
    return QueryError(where + " is not a JSON object (is it an OpenAI-compatible " +
                      "chat completions endpoint?)");
  }
  const json::value* choices = root.as_object().if_contains("choices");
  if (!choices || !choices->is_array() || choices->as_array().empty() ||
      !choices->as_array()[0].is_object()) {
    return QueryError(where + " has no choices[0]");
  }
  const json::value* message = choices->as_array()[0].as_object().if_contains("message");
  const json::value* content =
      message && message->is_object() ? message->as_object().if_contains("content") : nullptr;
  if (!content || !content->is_string()) {
    return QueryError(where + " has no choices[0].message.content string");
  }
  const std::string content_where = where + ": choices[0].message.content";
  json::value answer = ParseJson(StripFence(content->as_string()), ec);
  if (ec || !answer.is_object()) {
    return QueryError(content_where +
                      " is not a JSON object with root_cause, affected_components and "
                      "recommended_actions (does the model support response_format json_object?)");
  }
  const json::object& object = answer.as_object();
  const json::value* root_cause = object.if_contains("root_cause");
  if (!root_cause || !root_cause->is_string()) {
    return QueryError(content_where + " has no root_cause string");
  }
  TRIB_ASSIGN_OR_RETURN(auto affected, StringArray(object, "affected_components", content_where));
  TRIB_ASSIGN_OR_RETURN(auto actions, StringArray(object, "recommended_actions", content_where));
  outcome.root_cause = std::string(root_cause->as_string());
  outcome.affected_components = std::move(affected);
  outcome.recommended_actions = std::move(actions);
  return Status::Ok();
}

}  // namespace

std::string SynthesisPrompt(const Investigation& investigation, int64_t max_bytes) {
  const Keep totals = PartTotals(investigation);
  Keep keep = totals;
  const size_t limit = static_cast<size_t>(std::max<int64_t>(max_bytes, 0));
  std::string prompt = RenderPrompt(investigation, keep, totals);
  // Drop the least important part item by item until the prompt fits: for each part in turn,
  // the most of its items that fit with everything more important kept whole.
  for (size_t part = 0; part < kPartCount && prompt.size() > limit; ++part) {
    // Every count below `low` fits, none from `high` on does (all of them do not).
    size_t low = 0;
    size_t high = totals[part];
    std::string best;
    bool found = false;
    while (low < high) {
      const size_t mid = low + (high - low) / 2;
      keep[part] = mid;
      std::string candidate = RenderPrompt(investigation, keep, totals);
      if (candidate.size() <= limit) {
        best = std::move(candidate);
        found = true;
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    if (found) return best;
    keep[part] = 0;
    prompt = RenderPrompt(investigation, keep, totals);
  }
  // Fits, or nothing more can be dropped (the context and window are always sent).
  return prompt;
}

SynthesisOutcome Synthesize(const SynthesisConfig& config, const Investigation& investigation,
                            const CancelToken& cancel) {
  const auto started = Clock::now();
  SynthesisOutcome outcome;
  outcome.model = config.model;
  auto finish = [&](Status error) {
    outcome.error = std::move(error);
    if (!outcome.error.ok()) {
      outcome.root_cause.clear();
      outcome.affected_components.clear();
      outcome.recommended_actions.clear();
    }
    outcome.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    return outcome;
  };

  std::string base = config.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string endpoint = base + "/chat/completions";

  EnsureCurlGlobalInit();
  HttpRequest request;
  request.url = endpoint;
  request.body = RequestBody(config, SynthesisPrompt(investigation, config.max_evidence_bytes));
  // Copied from a constant: GCC 12 -O3 warns falsely on push_back of these literals here.
  static const std::vector<std::string> kJsonHeaders = {"Content-Type: application/json",
                                                        "Accept: application/json"};
  request.headers = kJsonHeaders;
  if (!config.api_key.empty()) request.headers.push_back("Authorization: Bearer " + config.api_key);
  const auto timeout = std::chrono::milliseconds(std::max<int64_t>(config.timeout_ms, 1));
  request.connect_timeout = std::min(request.connect_timeout, timeout);
  std::string body;
  bool too_large = false;
  request.on_body = [&](std::string_view chunk) {
    if (body.size() + chunk.size() > kMaxReplyBytes) {
      too_large = true;
      return false;
    }
    body.append(chunk);
    return true;
  };
  // One retry for a rate limit or an overloaded endpoint (honouring Retry-After within the
  // timeout); a transport failure is not retried: a completion is not free.
  HttpRetryPolicy retry;
  retry.max_attempts = 2;
  retry.retry_transport_errors = false;
  HttpHandle handle;
  Result<HttpResponse> response =
      PerformWithRetry(handle, request, retry, cancel, started + timeout);
  if (!response.ok()) {
    const Status& status = response.status();
    std::string message = "synthesis endpoint " + endpoint;
    ErrorCode code = status.code();
    // libcurl's own timer (set to the time left) may fire a little before our clock reaches the
    // deadline; PerformWithRetry then reports the timeout as a transport failure.
    if (code == ErrorCode::kUnavailable &&
        Clock::now() + std::chrono::milliseconds(50) >= started + timeout) {
      code = ErrorCode::kDeadlineExceeded;
    }
    switch (code) {
      case ErrorCode::kCancelled:
        return finish(Cancelled(message.append(": cancelled (").append(status.message()) + ")"));
      case ErrorCode::kDeadlineExceeded:
        return finish(DeadlineExceeded(
            message.append(" did not answer within investigate.synthesis.timeout_ms (")
                .append(std::to_string(config.timeout_ms))
                .append(" ms)")));
      default:
        return finish(Unavailable(message.append(" is unreachable: ")
                                      .append(Redact(status.message(), config.api_key))
                                      .append(" (check investigate.synthesis.url)")));
    }
  }
  if (response->status < 200 || response->status >= 300) {
    std::string message =
        "synthesis endpoint " + endpoint + " answered HTTP " + std::to_string(response->status);
    const std::string explanation = EndpointErrorMessage(response->body);
    if (!explanation.empty()) message.append(": ").append(explanation);
    if (response->status == 401 || response->status == 403) {
      message.append(" (check investigate.synthesis.api_key)");
    } else if (response->status == 404) {
      message.append(" (check investigate.synthesis.url and model)");
    }
    return finish(Unavailable(Redact(std::move(message), config.api_key)));
  }
  if (too_large) {
    return finish(QueryError("the reply of " + endpoint + " is larger than " +
                             std::to_string(kMaxReplyBytes >> 20) + " MiB"));
  }
  Status parsed = ParseReply(body, endpoint, outcome);
  if (!parsed.ok()) return finish(Status(parsed.code(), Redact(parsed.message(), config.api_key)));
  return finish(Status::Ok());
}

}  // namespace tributary::investigate
