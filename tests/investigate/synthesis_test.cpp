// The optional synthesis of an investigation (docs/investigate.md, "Synthesis"): the prompt
// built from the deterministic evidence, and the call to an OpenAI-compatible chat completions
// endpoint. No such endpoint can run here, so the tests whose names end in
// AgainstLocalOpenAiCompatibleServer talk to a local server (tests/support/local_http_server.h)
// that implements POST /v1/chat/completions: it checks the request as the API documents it and
// builds its answer from the prompt it received (never canned bytes).
#include "investigate/synthesis.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "support/local_http_server.h"

namespace tributary::investigate {
namespace {

namespace json = boost::json;
using testing::LocalHttpRequest;
using testing::LocalHttpResponse;
using testing::LocalHttpServer;
using Clock = std::chrono::steady_clock;

constexpr int64_t kMinute = 60'000'000;

//! A JSON string's text, or a note of what the value is instead (gtest cannot print a
//! json::value).
std::string Str(const json::value& value) {
  if (value.is_string()) return std::string(value.as_string());
  return "<not a string: " + json::serialize(value) + ">";
}

//! A JSON number as a double; NaN when it is not a number.
double Num(const json::value& value) {
  return value.is_number() ? value.to_number<double>() : std::numeric_limits<double>::quiet_NaN();
}

int64_t At(const char* text) {
  auto micros = ParseTimestamp(text);
  EXPECT_TRUE(micros.has_value()) << text;
  return micros.value_or(0);
}

//! A distinctive value only the raw points hold: it must never reach the prompt.
constexpr double kRawPointValue = 0.4242421;

//! The investigation of the docs' example, built by hand: a deploy of checkout at 10:30, its
//! error rate shifting at 10:31 and recovering at 10:52, payment timeouts in the logs, a failed
//! and a skipped source.
Investigation ExampleInvestigation() {
  Investigation inv;
  inv.id = "inv_test";
  inv.request.project = "shop";
  inv.request.question = "Why are checkout requests failing?";
  inv.request.environment = "prod";
  inv.request.services = {"checkout", "payments"};
  inv.request.start_us = At("2026-12-03T10:00:00Z");
  inv.request.end_us = At("2026-12-03T11:00:00Z");
  inv.baseline_start_us = At("2026-12-03T09:00:00Z");
  inv.step_seconds = 60;

  TimelineEntry deploy;
  deploy.time_us = At("2026-12-03T10:30:00Z");
  deploy.kind = "deploy_or_change";
  deploy.service = "checkout";
  deploy.source = "deploys";
  deploy.signal = "change";
  deploy.description = "deploy v2.4.1";
  TimelineEntry shift;
  shift.time_us = At("2026-12-03T10:31:00Z");
  shift.kind = "shift";
  shift.service = "checkout";
  shift.source = "prom";
  shift.signal = "error_rate";
  shift.value = 0.31;
  shift.baseline = 0.01;
  shift.threshold = 0.02;
  shift.ratio = 31.0;
  shift.description = "error_rate of checkout rose to 31x its baseline (0.01 -> 0.31)";
  TimelineEntry recovery;
  recovery.time_us = At("2026-12-03T10:52:00Z");
  recovery.kind = "recovery";
  recovery.service = "checkout";
  recovery.source = "prom";
  recovery.signal = "error_rate";
  recovery.value = 0.012;
  recovery.baseline = 0.01;
  recovery.threshold = 0.02;
  recovery.description = "error_rate of checkout back under 2x its baseline";
  inv.timeline = {deploy, shift, recovery};

  SourceEvidence prom;
  prom.source = "prom";
  prom.type = "prometheus";
  prom.kind = "metrics";
  prom.services = {"checkout"};
  prom.queries.push_back({"error_rate of checkout", "sum(rate(http_requests_total[30s]))", {}, {}});
  EvidenceSeries series;
  series.signal = "error_rate";
  series.service = "checkout";
  for (int64_t i = 0; i < 120; ++i) {
    series.points.push_back({inv.baseline_start_us + i * kMinute, kRawPointValue});
  }
  series.baseline = Baseline{0.01, 0.001, 0.02, 60};
  prom.series.push_back(series);

  SourceEvidence logs;
  logs.source = "app_logs";
  logs.type = "postgres";
  logs.kind = "logs";
  logs.services = {"checkout"};
  logs.queries.push_back({"error counts", "SELECT ...", {}, {}});
  logs.queries.push_back({"top error messages", "SELECT ...", {}, {}});
  logs.errors_total = 412;
  logs.baseline_errors_total = 3;
  logs.top_messages.push_back(
      {"checkout", "payment timeout", 380, At("2026-12-03T10:31:05Z"), At("2026-12-03T10:51:40Z")});
  logs.top_messages.push_back(
      {"checkout", "card declined", 12, At("2026-12-03T10:02:00Z"), At("2026-12-03T10:58:00Z")});

  SourceEvidence deploys;
  deploys.source = "deploys";
  deploys.type = "postgres";
  deploys.kind = "changes";
  deploys.queries.push_back({"changes", "SELECT deployed_at AS time ...", {}, {}});
  deploys.changes.push_back({At("2026-12-03T10:30:00Z"), "checkout", "deploy v2.4.1"});

  SourceEvidence old_es;
  old_es.source = "old_es";
  old_es.type = "elasticsearch";
  old_es.kind = "logs";
  old_es.status = "error";
  old_es.error = Unavailable("connection refused to 127.0.0.1:9");

  inv.evidence = {prom, logs, deploys, old_es};
  inv.components.push_back({"checkout", {"error_rate"}, {"prom"}, At("2026-12-03T10:31:00Z")});
  inv.skipped.push_back({"billing_db", "tagged for services [billing], none asked"});
  return inv;
}

//! What the local endpoint does with a well-formed request.
enum class Reply {
  kSummary,         // the three fields, built from the prompt
  kFencedSummary,   // the same inside a ```json fence
  kProse,           // content that is not JSON
  kMissingActions,  // a JSON object without recommended_actions
  kNumberInArray,   // affected_components holds a number
  kNoChoices,       // a JSON body that is not a chat completion
  kStatus,          // the HTTP status in `status` with an OpenAI error body
  kSlow,            // answers after 10 s (or when the server stops)
  kCancel,          // cancels `cancel` and then waits like kSlow
  kRateLimitOnce,   // 429 with Retry-After: 0 to the first request, then kSummary
};

//! A local stand-in for an OpenAI-compatible chat completions API: POST
//! /v1/chat/completions, Bearer key, the documented body; anything else is answered with the
//! API's error shape so that the test sees what was wrong.
class LocalChatServer {
 public:
  LocalChatServer(std::string key, std::string model, Reply reply, int status = 200)
      : key_(std::move(key)),
        model_(std::move(model)),
        reply_(reply),
        status_(status),
        server_([this](const LocalHttpRequest& request) { return Handle(request); }) {}

  std::string url() const { return server_.url() + "/v1"; }
  LocalHttpServer& server() { return server_; }
  CancelToken cancel;

  //! The user messages received, in order.
  std::vector<std::string> prompts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return prompts_;
  }

 private:
  static LocalHttpResponse Error(int status, const std::string& message) {
    json::object error{{"message", message}, {"type", "invalid_request_error"}};
    LocalHttpResponse response;
    response.status = status;
    response.body = json::serialize(json::object{{"error", error}});
    return response;
  }

  static LocalHttpResponse Completion(const std::string& model, const std::string& content) {
    json::object message{{"role", "assistant"}, {"content", content}};
    json::object choice{{"index", 0}, {"message", message}, {"finish_reason", "stop"}};
    json::object body{{"id", "chatcmpl-local"},
                      {"object", "chat.completion"},
                      {"model", model},
                      {"choices", json::array{choice}}};
    LocalHttpResponse response;
    response.body = json::serialize(body);
    return response;
  }

  LocalHttpResponse Handle(const LocalHttpRequest& request) {
    if (request.method != "POST" || request.path != "/v1/chat/completions") {
      return Error(404, "unknown route " + request.method + " " + request.path);
    }
    const std::string authorization = request.Header("authorization");
    if (key_.empty() ? !authorization.empty() : authorization != "Bearer " + key_) {
      // Like OpenAI: the message quotes the key it got.
      return Error(401, "Incorrect API key provided: " + authorization);
    }
    boost::system::error_code ec;
    json::value body = json::parse(request.body, ec);
    if (ec || !body.is_object()) return Error(400, "the body is not a JSON object");
    const json::object& object = body.as_object();
    if (request.Header("content-type") != "application/json") {
      return Error(400, "content-type is not application/json");
    }
    const json::value* model = object.if_contains("model");
    if (!model || !model->is_string() || model->as_string() != model_) {
      return Error(400, "model is not " + model_);
    }
    const json::value* temperature = object.if_contains("temperature");
    if (!temperature || !temperature->is_number() || temperature->to_number<double>() != 0) {
      return Error(400, "temperature is not 0");
    }
    const json::value* format = object.if_contains("response_format");
    if (!format || !format->is_object() || !format->as_object().contains("type") ||
        format->as_object().at("type") != "json_object") {
      return Error(400, "response_format is not {type: json_object}");
    }
    const json::value* messages = object.if_contains("messages");
    if (!messages || !messages->is_array() || messages->as_array().size() != 2) {
      return Error(400, "messages is not [system, user]");
    }
    const json::object& system = messages->as_array()[0].as_object();
    const json::object& user = messages->as_array()[1].as_object();
    if (system.at("role") != "system" || user.at("role") != "user") {
      return Error(400, "messages is not [system, user]");
    }
    const std::string instructions(system.at("content").as_string());
    for (const char* field : {"root_cause", "affected_components", "recommended_actions"}) {
      if (instructions.find(field) == std::string::npos) {
        return Error(400, std::string("the system message does not ask for ") + field);
      }
    }
    const std::string prompt(user.at("content").as_string());
    {
      std::lock_guard<std::mutex> lock(mu_);
      prompts_.push_back(prompt);
    }
    json::value evidence = json::parse(prompt, ec);
    if (ec || !evidence.is_object()) return Error(400, "the user message is not JSON");

    switch (reply_) {
      case Reply::kStatus:
        return Error(status_, "the model " + model_ + " is overloaded");
      case Reply::kSlow:
        server_.WaitFor(std::chrono::seconds(10));
        return Error(503, "too late");
      case Reply::kCancel:
        cancel.Cancel("the test cancelled the investigation");
        server_.WaitFor(std::chrono::seconds(10));
        return Error(503, "too late");
      case Reply::kRateLimitOnce:
        if (server_.request_count() == 1) {
          LocalHttpResponse limited = Error(429, "rate limit reached for " + model_);
          limited.headers.emplace_back("Retry-After", "0");
          return limited;
        }
        break;
      case Reply::kNoChoices:
        return Error(200, "no completion for " + model_);
      default:
        break;
    }
    return Completion(model_, Content(evidence.as_object()));
  }

  //! The model's answer, read off the evidence: the service and signal of the first shift of
  //! the timeline, the first top message, the components, and the first change to roll back.
  std::string Content(const json::object& evidence) const {
    std::string root_cause = "unknown";
    std::string rollback;
    if (const json::value* timeline = evidence.if_contains("timeline")) {
      for (const json::value& entry : timeline->as_array()) {
        const json::object& e = entry.as_object();
        if (Str(e.at("kind")) == "shift" && root_cause == "unknown") {
          root_cause = std::string(e.at("service").as_string()) + " " +
                       std::string(e.at("signal").as_string()) + " shifted at " +
                       std::string(e.at("time").as_string());
        }
        if (Str(e.at("kind")) == "deploy_or_change" && rollback.empty()) {
          rollback = "roll back " + std::string(e.at("description").as_string());
        }
      }
    }
    if (const json::value* sources = evidence.if_contains("sources")) {
      for (const json::value& source : sources->as_array()) {
        const json::value* top = source.as_object().if_contains("top_messages");
        if (top && !top->as_array().empty()) {
          root_cause.append(" (").append(top->as_array()[0].at("message").as_string()).append(")");
          break;
        }
      }
    }
    json::array affected;
    if (const json::value* components = evidence.if_contains("components")) {
      for (const json::value& component : components->as_array()) {
        affected.push_back(component.at("service"));
      }
    }
    json::array actions;
    if (!rollback.empty()) actions.push_back(json::value(rollback));
    json::object answer{{"root_cause", root_cause}, {"affected_components", affected}};
    switch (reply_) {
      case Reply::kProse:
        return "The root cause is " + root_cause + ".";
      case Reply::kMissingActions:
        return json::serialize(answer);
      case Reply::kNumberInArray:
        answer["affected_components"].as_array().push_back(42);
        answer["recommended_actions"] = actions;
        return json::serialize(answer);
      default:
        break;
    }
    answer["recommended_actions"] = actions;
    if (reply_ == Reply::kFencedSummary) return "```json\n" + json::serialize(answer) + "\n```";
    return json::serialize(answer);
  }

  const std::string key_;
  const std::string model_;
  const Reply reply_;
  const int status_;
  mutable std::mutex mu_;
  std::vector<std::string> prompts_;
  LocalHttpServer server_;
};

constexpr const char* kKey = "sk-local-test-0123456789abcdef";
constexpr const char* kModel = "gpt-4o-mini";

SynthesisConfig ConfigFor(const LocalChatServer& server, std::string key = kKey) {
  SynthesisConfig config;
  config.url = server.url();
  config.model = kModel;
  config.api_key = std::move(key);
  config.timeout_ms = 10'000;
  config.max_evidence_bytes = 32768;
  return config;
}

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

void ExpectNoFields(const SynthesisOutcome& outcome) {
  EXPECT_TRUE(outcome.root_cause.empty());
  EXPECT_TRUE(outcome.affected_components.empty());
  EXPECT_TRUE(outcome.recommended_actions.empty());
}

TEST(Synthesis, SummarisesEvidenceAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kSummary);
  SynthesisConfig config = ConfigFor(server);
  config.url.append("/");  // a trailing slash is not doubled
  const Investigation inv = ExampleInvestigation();
  SynthesisOutcome outcome = Synthesize(config, inv, CancelToken());
  ASSERT_TRUE(outcome.error.ok()) << outcome.error.ToString();
  EXPECT_EQ(outcome.model, kModel);
  EXPECT_GT(outcome.elapsed_ms, 0);
  EXPECT_EQ(outcome.root_cause,
            "checkout error_rate shifted at 2026-12-03T10:31:00Z (payment timeout)");
  EXPECT_EQ(outcome.affected_components, std::vector<std::string>{"checkout"});
  EXPECT_EQ(outcome.recommended_actions, std::vector<std::string>{"roll back deploy v2.4.1"});

  ASSERT_EQ(server.prompts().size(), 1u);
  const std::string prompt = server.prompts()[0];
  EXPECT_EQ(prompt, SynthesisPrompt(inv, config.max_evidence_bytes));
  for (const TimelineEntry& entry : inv.timeline) {
    EXPECT_NE(prompt.find(entry.description), std::string::npos) << entry.description;
  }
  EXPECT_NE(prompt.find("payment timeout"), std::string::npos);
  EXPECT_NE(prompt.find(inv.request.question), std::string::npos);
}

TEST(Synthesis, AcceptsAFencedJsonReplyAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kFencedSummary);
  SynthesisOutcome outcome = Synthesize(ConfigFor(server), ExampleInvestigation(), CancelToken());
  ASSERT_TRUE(outcome.error.ok()) << outcome.error.ToString();
  EXPECT_EQ(outcome.root_cause,
            "checkout error_rate shifted at 2026-12-03T10:31:00Z (payment timeout)");
  EXPECT_EQ(outcome.recommended_actions, std::vector<std::string>{"roll back deploy v2.4.1"});
}

TEST(Synthesis, SendsNoAuthorizationWithoutKeyAgainstLocalOpenAiCompatibleServer) {
  // The server refuses any Authorization header when it expects no key.
  LocalChatServer server("", kModel, Reply::kSummary);
  SynthesisOutcome outcome =
      Synthesize(ConfigFor(server, ""), ExampleInvestigation(), CancelToken());
  ASSERT_TRUE(outcome.error.ok()) << outcome.error.ToString();
  ASSERT_EQ(server.server().requests().size(), 1u);
  EXPECT_EQ(server.server().requests()[0].Header("authorization"), "");
  EXPECT_EQ(outcome.affected_components, std::vector<std::string>{"checkout"});
}

TEST(Synthesis, RejectedKeyIsUnavailableWithoutTheKeyAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server("sk-the-right-key", kModel, Reply::kSummary);
  SynthesisOutcome outcome = Synthesize(ConfigFor(server), ExampleInvestigation(), CancelToken());
  EXPECT_EQ(outcome.error.code(), ErrorCode::kUnavailable) << outcome.error.ToString();
  // The endpoint's message is kept, but the key it quotes is not.
  EXPECT_NE(outcome.error.message().find("HTTP 401"), std::string::npos);
  EXPECT_NE(outcome.error.message().find("Incorrect API key provided: Bearer ***"),
            std::string::npos)
      << outcome.error.message();
  EXPECT_EQ(outcome.error.message().find(kKey), std::string::npos) << outcome.error.message();
  EXPECT_NE(outcome.error.message().find("api_key"), std::string::npos);
  EXPECT_EQ(server.server().request_count(), 1u);  // a 401 is not retried
  ExpectNoFields(outcome);
}

TEST(Synthesis, ServerErrorIsUnavailableAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kStatus, 500);
  SynthesisOutcome outcome = Synthesize(ConfigFor(server), ExampleInvestigation(), CancelToken());
  EXPECT_EQ(outcome.error.code(), ErrorCode::kUnavailable) << outcome.error.ToString();
  EXPECT_NE(outcome.error.message().find("HTTP 500: the model gpt-4o-mini is overloaded"),
            std::string::npos)
      << outcome.error.message();
  EXPECT_NE(outcome.error.message().find(server.url() + "/chat/completions"), std::string::npos);
  // One retry for a retryable status, no more.
  EXPECT_EQ(server.server().request_count(), 2u);
  ExpectNoFields(outcome);
}

TEST(Synthesis, RateLimitIsRetriedOnceAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kRateLimitOnce);
  SynthesisOutcome outcome = Synthesize(ConfigFor(server), ExampleInvestigation(), CancelToken());
  ASSERT_TRUE(outcome.error.ok()) << outcome.error.ToString();
  EXPECT_EQ(server.server().request_count(), 2u);
  EXPECT_EQ(outcome.affected_components, std::vector<std::string>{"checkout"});
}

TEST(Synthesis, ReplyThatIsNotJsonIsQueryErrorAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kProse);
  SynthesisOutcome outcome = Synthesize(ConfigFor(server), ExampleInvestigation(), CancelToken());
  EXPECT_EQ(outcome.error.code(), ErrorCode::kQueryError) << outcome.error.ToString();
  EXPECT_NE(outcome.error.message().find("choices[0].message.content is not a JSON object"),
            std::string::npos)
      << outcome.error.message();
  ExpectNoFields(outcome);
}

TEST(Synthesis, ReplyMissingAFieldIsQueryErrorAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kMissingActions);
  SynthesisOutcome outcome = Synthesize(ConfigFor(server), ExampleInvestigation(), CancelToken());
  EXPECT_EQ(outcome.error.code(), ErrorCode::kQueryError) << outcome.error.ToString();
  EXPECT_NE(outcome.error.message().find("has no recommended_actions array of strings"),
            std::string::npos)
      << outcome.error.message();
  // Nothing of a partial answer is kept.
  ExpectNoFields(outcome);
}

TEST(Synthesis, ReplyWithANonStringComponentIsQueryErrorAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kNumberInArray);
  SynthesisOutcome outcome = Synthesize(ConfigFor(server), ExampleInvestigation(), CancelToken());
  EXPECT_EQ(outcome.error.code(), ErrorCode::kQueryError) << outcome.error.ToString();
  EXPECT_NE(outcome.error.message().find("affected_components holds a"), std::string::npos)
      << outcome.error.message();
  ExpectNoFields(outcome);
}

TEST(Synthesis, BodyThatIsNoChatCompletionIsQueryErrorAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kNoChoices);
  SynthesisOutcome outcome = Synthesize(ConfigFor(server), ExampleInvestigation(), CancelToken());
  EXPECT_EQ(outcome.error.code(), ErrorCode::kQueryError) << outcome.error.ToString();
  EXPECT_NE(outcome.error.message().find("has no choices[0]"), std::string::npos)
      << outcome.error.message();
}

TEST(Synthesis, SlowServerIsDeadlineExceededAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kSlow);
  SynthesisConfig config = ConfigFor(server);
  config.timeout_ms = 300;
  const auto start = Clock::now();
  SynthesisOutcome outcome = Synthesize(config, ExampleInvestigation(), CancelToken());
  const int64_t elapsed = MillisSince(start);
  EXPECT_EQ(outcome.error.code(), ErrorCode::kDeadlineExceeded) << outcome.error.ToString();
  EXPECT_NE(outcome.error.message().find("timeout_ms (300 ms)"), std::string::npos)
      << outcome.error.message();
  // About timeout_ms, far from the server's 10 s (generous bounds for a loaded machine).
  EXPECT_GE(elapsed, 250);
  EXPECT_LT(elapsed, 5000);
  ExpectNoFields(outcome);
}

TEST(Synthesis, CancelAbortsTheCallAgainstLocalOpenAiCompatibleServer) {
  // The server cancels the token once it holds the request, then keeps the call open.
  LocalChatServer server(kKey, kModel, Reply::kCancel);
  const auto start = Clock::now();
  SynthesisOutcome outcome = Synthesize(ConfigFor(server), ExampleInvestigation(), server.cancel);
  EXPECT_EQ(outcome.error.code(), ErrorCode::kCancelled) << outcome.error.ToString();
  EXPECT_NE(outcome.error.message().find("the test cancelled the investigation"), std::string::npos)
      << outcome.error.message();
  EXPECT_LT(MillisSince(start), 5000);
  ExpectNoFields(outcome);
}

TEST(Synthesis, AlreadyCancelledSendsNothingAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kSummary);
  CancelToken cancel;
  cancel.Cancel("deadline of the investigation");
  SynthesisOutcome outcome = Synthesize(ConfigFor(server), ExampleInvestigation(), cancel);
  EXPECT_EQ(outcome.error.code(), ErrorCode::kCancelled) << outcome.error.ToString();
  EXPECT_EQ(server.server().request_count(), 0u);
}

TEST(Synthesis, UnreachableEndpointIsUnavailable) {
  std::string url;
  {
    LocalHttpServer closed([](const LocalHttpRequest&) { return LocalHttpResponse{}; });
    url = closed.url();
  }
  SynthesisConfig config;
  config.url = url + "/v1";
  config.model = kModel;
  config.api_key = kKey;
  config.timeout_ms = 5000;
  SynthesisOutcome outcome = Synthesize(config, ExampleInvestigation(), CancelToken());
  EXPECT_EQ(outcome.error.code(), ErrorCode::kUnavailable) << outcome.error.ToString();
  EXPECT_NE(outcome.error.message().find("investigate.synthesis.url"), std::string::npos)
      << outcome.error.message();
  EXPECT_EQ(outcome.error.message().find(kKey), std::string::npos);
}

//! An investigation whose prompt is far larger than a few KiB: many sources, messages, shifts.
Investigation LargeInvestigation() {
  Investigation inv = ExampleInvestigation();
  for (int i = 0; i < 40; ++i) {
    const std::string service = "svc" + std::to_string(i);
    TimelineEntry shift;
    // After checkout's shift at 10:31, which stays the first one.
    shift.time_us = inv.request.start_us + 31 * kMinute + (i + 1) * 10'000'000;
    shift.kind = i % 2 == 0 ? "shift" : "recovery";
    shift.service = service;
    shift.source = "prom";
    shift.signal = "latency_p95_ms";
    shift.value = 100 + i;
    shift.baseline = 10;
    shift.threshold = 20;
    shift.description = "latency_p95_ms of " + service + " crossed its threshold, entry " +
                        std::to_string(i) + " with some more words to take room";
    inv.timeline.push_back(shift);
    SourceEvidence logs;
    logs.source = "logs" + std::to_string(i);
    logs.type = "duckdb";
    logs.kind = "logs";
    logs.services = {service};
    logs.errors_total = i;
    logs.baseline_errors_total = 0;
    for (int m = 0; m < 5; ++m) {
      logs.top_messages.push_back({service,
                                   "message " + std::to_string(m) + " of " + service + ": " +
                                       std::string(80, static_cast<char>('a' + m)),
                                   100 - m, inv.request.start_us, inv.request.end_us});
    }
    logs.queries.push_back({"error counts", "SELECT ...", {}, {}});
    inv.evidence.push_back(logs);
    inv.skipped.push_back({"skipped" + std::to_string(i), "tagged for environment staging"});
  }
  std::stable_sort(
      inv.timeline.begin(), inv.timeline.end(),
      [](const TimelineEntry& a, const TimelineEntry& b) { return a.time_us < b.time_us; });
  return inv;
}

//! Every string in `value`, recursively.
void CollectStrings(const json::value& value, std::vector<std::string>& out) {
  if (value.is_string()) out.emplace_back(value.as_string());
  if (value.is_array()) {
    for (const json::value& item : value.as_array()) CollectStrings(item, out);
  }
  if (value.is_object()) {
    for (const auto& member : value.as_object()) CollectStrings(member.value(), out);
  }
}

TEST(SynthesisPrompt, HoldsTheEvidenceButNeverRawPoints) {
  const Investigation inv = ExampleInvestigation();
  const std::string prompt = SynthesisPrompt(inv, 1 << 20);
  boost::system::error_code ec;
  json::value root = json::parse(prompt, ec);
  ASSERT_FALSE(ec) << prompt;
  const json::object& o = root.as_object();
  EXPECT_EQ(Str(o.at("question")), "Why are checkout requests failing?");
  EXPECT_EQ(Str(o.at("context").at("environment")), "prod");
  EXPECT_EQ(Str(o.at("window").at("baseline_start")), "2026-12-03T09:00:00Z");
  EXPECT_EQ(Str(o.at("window").at("start")), "2026-12-03T10:00:00Z");
  EXPECT_EQ(Str(o.at("window").at("end")), "2026-12-03T11:00:00Z");
  EXPECT_EQ(Num(o.at("window").at("step_seconds")), 60);
  ASSERT_EQ(o.at("timeline").as_array().size(), 3u);
  EXPECT_EQ(Str(o.at("timeline").as_array()[1].at("time")), "2026-12-03T10:31:00Z");
  EXPECT_EQ(Num(o.at("timeline").as_array()[1].at("ratio")), 31.0);
  EXPECT_FALSE(o.at("timeline").as_array()[2].as_object().contains("ratio"));
  EXPECT_EQ(Str(o.at("components").as_array()[0].at("first_shift")), "2026-12-03T10:31:00Z");
  const json::array& sources = o.at("sources").as_array();
  ASSERT_EQ(sources.size(), 4u);
  EXPECT_EQ(Num(sources[0].at("series").as_array()[0].at("threshold")), 0.02);
  EXPECT_EQ(Num(sources[1].at("errors").at("total")), 412);
  EXPECT_EQ(Num(sources[1].at("errors").at("baseline_total")), 3);
  EXPECT_EQ(Str(sources[1].at("top_messages").as_array()[0].at("message")), "payment timeout");
  EXPECT_EQ(Num(sources[1].at("top_messages").as_array()[0].at("count")), 380);
  EXPECT_EQ(Str(sources[1].at("queries").as_array()[1]), "top error messages");
  EXPECT_EQ(Str(sources[2].at("changes").as_array()[0].at("description")), "deploy v2.4.1");
  EXPECT_EQ(Str(sources[3].at("status")), "error");
  EXPECT_EQ(Str(sources[3].at("error").at("code")), "UNAVAILABLE");
  EXPECT_EQ(Str(o.at("skipped_sources").as_array()[0].at("source")), "billing_db");
  EXPECT_FALSE(o.contains("omitted"));
  // Queries' purposes only, never the query text or the points.
  EXPECT_EQ(prompt.find("sum(rate("), std::string::npos);
  EXPECT_EQ(prompt.find("0.4242421"), std::string::npos);
  EXPECT_EQ(prompt.find("points"), std::string::npos);
}

TEST(SynthesisPrompt, CutToMaxBytesStaysValidJsonWithWholeStrings) {
  const Investigation inv = LargeInvestigation();
  const std::string full = SynthesisPrompt(inv, 1 << 20);
  ASSERT_GT(full.size(), 20000u);
  std::vector<std::string> full_strings;
  CollectStrings(json::parse(full), full_strings);
  const std::string smallest = SynthesisPrompt(inv, 0);
  for (int64_t max = static_cast<int64_t>(smallest.size()); max < static_cast<int64_t>(full.size());
       max += 997) {
    const std::string prompt = SynthesisPrompt(inv, max);
    EXPECT_LE(static_cast<int64_t>(prompt.size()), max);
    boost::system::error_code ec;
    json::value root = json::parse(prompt, ec);
    ASSERT_FALSE(ec) << "max " << max << ": " << prompt;
    ASSERT_TRUE(root.as_object().contains("omitted")) << "max " << max;
    // Every string is one of the full prompt's strings (nothing cut mid-way), apart from the
    // keys and the part names of `omitted`, which CollectStrings does not see.
    std::vector<std::string> strings;
    CollectStrings(root, strings);
    for (const std::string& text : strings) {
      EXPECT_NE(std::find(full_strings.begin(), full_strings.end(), text), full_strings.end())
          << "max " << max << ": '" << text << "' is not a whole string of the evidence";
    }
  }
  // Nothing to drop but the window and the context: sent as they are, still valid JSON.
  json::value tiny = json::parse(smallest);
  EXPECT_TRUE(tiny.as_object().contains("window"));
  EXPECT_FALSE(tiny.as_object().contains("timeline"));
  EXPECT_EQ(Num(tiny.at("omitted").at("question")), 1);
}

TEST(SynthesisPrompt, DropsTheLeastImportantPartsFirst) {
  const Investigation inv = LargeInvestigation();
  const std::string full = SynthesisPrompt(inv, 1 << 20);
  json::value whole = json::parse(full);
  // Room for everything but about half of the top messages.
  int64_t max = static_cast<int64_t>(full.size());
  for (const json::value& source : whole.at("sources").as_array()) {
    if (const json::value* top = source.as_object().if_contains("top_messages")) {
      for (size_t i = 2; i < top->as_array().size(); ++i) {
        max -= static_cast<int64_t>(json::serialize(top->as_array()[i]).size()) + 1;
      }
    }
  }
  max -= static_cast<int64_t>(json::serialize(whole.at("skipped_sources")).size());
  const std::string prompt = SynthesisPrompt(inv, max);
  ASSERT_LE(static_cast<int64_t>(prompt.size()), max);
  json::value cut = json::parse(prompt);
  const json::object& omitted = cut.at("omitted").as_object();
  // The less important parts went whole, the top messages partly, the rest stayed.
  EXPECT_EQ(Num(omitted.at("skipped_sources")), static_cast<int64_t>(inv.skipped.size()));
  EXPECT_TRUE(omitted.contains("series"));
  EXPECT_TRUE(omitted.contains("query_purposes"));
  EXPECT_TRUE(omitted.contains("source_changes"));
  EXPECT_TRUE(omitted.contains("components"));
  EXPECT_TRUE(omitted.contains("top_messages"));
  EXPECT_FALSE(omitted.contains("timeline"));
  EXPECT_FALSE(omitted.contains("sources"));
  EXPECT_EQ(cut.at("timeline").as_array().size(), inv.timeline.size());
  EXPECT_EQ(cut.at("question").as_string(), inv.request.question);
  // Round robin: every log source still has its most frequent message.
  for (const json::value& source : cut.at("sources").as_array()) {
    if (Str(source.at("kind")) != "logs" || Str(source.at("status")) != "ok") continue;
    const json::value* top = source.as_object().if_contains("top_messages");
    ASSERT_NE(top, nullptr) << json::serialize(source);
    EXPECT_GE(top->as_array().size(), 1u);
  }
}

TEST(SynthesisPrompt, ShiftsOutliveRecoveriesWhenTheTimelineIsCut) {
  const Investigation inv = LargeInvestigation();
  size_t shifts = 0;
  for (const TimelineEntry& entry : inv.timeline) shifts += entry.kind == "shift" ? 1 : 0;
  // At every size that cuts the timeline, recoveries go before any shift does.
  const size_t full = SynthesisPrompt(inv, 1 << 20).size();
  int cuts = 0;
  for (int64_t max = 600; max < static_cast<int64_t>(full); max += 250) {
    json::value cut = json::parse(SynthesisPrompt(inv, max));
    const json::object& omitted = cut.at("omitted").as_object();
    if (!omitted.contains("timeline") || !cut.as_object().contains("timeline")) continue;
    ++cuts;
    size_t kept_shifts = 0;
    size_t kept_recoveries = 0;
    int64_t previous = 0;
    for (const json::value& entry : cut.at("timeline").as_array()) {
      kept_shifts += Str(entry.at("kind")) == "shift" ? 1 : 0;
      kept_recoveries += Str(entry.at("kind")) == "recovery" ? 1 : 0;
      const int64_t time = At(std::string(entry.at("time").as_string()).c_str());
      EXPECT_GE(time, previous) << "the kept entries stay in time order";
      previous = time;
    }
    if (kept_recoveries > 0) {
      EXPECT_EQ(kept_shifts, shifts) << "max " << max;
    }
  }
  EXPECT_GT(cuts, 3);
}

TEST(Synthesis, PromptRespectsMaxEvidenceBytesAgainstLocalOpenAiCompatibleServer) {
  LocalChatServer server(kKey, kModel, Reply::kSummary);
  SynthesisConfig config = ConfigFor(server);
  config.max_evidence_bytes = 4096;
  const Investigation inv = LargeInvestigation();
  SynthesisOutcome outcome = Synthesize(config, inv, CancelToken());
  ASSERT_TRUE(outcome.error.ok()) << outcome.error.ToString();
  ASSERT_EQ(server.prompts().size(), 1u);
  const std::string prompt = server.prompts()[0];
  EXPECT_LE(prompt.size(), 4096u);
  EXPECT_GT(prompt.size(), 3000u);  // cut to fit, not emptied
  // The server read the first shift out of the cut prompt.
  EXPECT_EQ(outcome.root_cause.rfind("checkout error_rate shifted at 2026-12-03T10:31:00Z", 0), 0u)
      << outcome.root_cause;
}

}  // namespace
}  // namespace tributary::investigate
