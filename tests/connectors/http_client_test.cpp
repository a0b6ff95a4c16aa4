// The shared libcurl client's retry rules, against a local HTTP server (tests/support/
// local_http_server.h): which statuses are retried, Retry-After, backoff, deadline, cancel.
#include "connectors/common/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "support/local_http_server.h"

namespace tributary {
namespace {

using testing::LocalHttpRequest;
using testing::LocalHttpResponse;
using testing::LocalHttpServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

HttpRetryPolicy FastPolicy(int attempts) {
  HttpRetryPolicy policy;
  policy.max_attempts = attempts;
  policy.initial_backoff = milliseconds(20);
  policy.max_backoff = milliseconds(100);
  return policy;
}

HttpRequest Get(const std::string& url) {
  HttpRequest request;
  request.url = url;
  request.post = false;
  return request;
}

TEST(HttpRetryTest, RetriesServiceUnavailableUntilSuccess) {
  std::atomic<int> calls{0};
  LocalHttpServer server([&](const LocalHttpRequest&) {
    LocalHttpResponse response;
    if (++calls < 3) {
      response.status = 503;
      response.body = R"({"error":"overloaded"})";
    } else {
      response.body = R"({"ok":true})";
      response.headers.emplace_back("X-Answer", "42");
    }
    return response;
  });
  HttpHandle handle;
  auto result = PerformWithRetry(handle, Get(server.url() + "/x"), FastPolicy(4), CancelToken(),
                                 Clock::now() + milliseconds(10000));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, R"({"ok":true})");
  EXPECT_EQ(result->attempts, 3);
  EXPECT_EQ(result->Header("x-answer"), "42");
  EXPECT_EQ(calls.load(), 3);
}

TEST(HttpRetryTest, GivesUpAfterMaxAttemptsWithTheLastAnswer) {
  std::atomic<int> calls{0};
  LocalHttpServer server([&](const LocalHttpRequest&) {
    ++calls;
    LocalHttpResponse response;
    response.status = 502;
    response.body = "bad gateway " + std::to_string(calls.load());
    return response;
  });
  HttpHandle handle;
  auto result = PerformWithRetry(handle, Get(server.url()), FastPolicy(3), CancelToken(),
                                 Clock::now() + milliseconds(10000));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->status, 502);
  EXPECT_EQ(result->body, "bad gateway 3");
  EXPECT_EQ(calls.load(), 3);
}

TEST(HttpRetryTest, ClientErrorsAreNotRetried) {
  for (int status : {400, 401, 403, 404}) {
    std::atomic<int> calls{0};
    LocalHttpServer server([&](const LocalHttpRequest&) {
      ++calls;
      LocalHttpResponse response;
      response.status = status;
      return response;
    });
    HttpHandle handle;
    auto result = PerformWithRetry(handle, Get(server.url()), FastPolicy(4), CancelToken(),
                                   Clock::now() + milliseconds(10000));
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->status, status);
    EXPECT_EQ(calls.load(), 1) << status;
  }
}

TEST(HttpRetryTest, HonoursRetryAfterSeconds) {
  std::atomic<int> calls{0};
  LocalHttpServer server([&](const LocalHttpRequest&) {
    LocalHttpResponse response;
    if (++calls == 1) {
      response.status = 429;
      response.headers.emplace_back("Retry-After", "1");
    }
    return response;
  });
  HttpHandle handle;
  const auto start = Clock::now();
  auto result = PerformWithRetry(handle, Get(server.url()), FastPolicy(4), CancelToken(),
                                 Clock::now() + milliseconds(10000));
  const int64_t elapsed = MillisSince(start);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(calls.load(), 2);
  // The jittered backoff alone would have waited at most 100 ms.
  EXPECT_GE(elapsed, 950) << "Retry-After: 1 was not honoured";
}

TEST(HttpRetryTest, RetryAfterBeyondTheDeadlineReturnsTheAnswer) {
  std::atomic<int> calls{0};
  LocalHttpServer server([&](const LocalHttpRequest&) {
    ++calls;
    LocalHttpResponse response;
    response.status = 429;
    response.headers.emplace_back("Retry-After", "30");
    response.body = R"({"error":"quota"})";
    return response;
  });
  HttpHandle handle;
  const auto start = Clock::now();
  auto result = PerformWithRetry(handle, Get(server.url()), FastPolicy(4), CancelToken(),
                                 Clock::now() + milliseconds(2000));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 429);
  EXPECT_EQ(result->body, R"({"error":"quota"})");
  EXPECT_EQ(calls.load(), 1);
  EXPECT_LT(MillisSince(start), 1500) << "waited although the wait could not fit the deadline";
}

TEST(HttpRetryTest, CancelDuringBackoffStopsAtOnce) {
  LocalHttpServer server([&](const LocalHttpRequest&) {
    LocalHttpResponse response;
    response.status = 503;
    response.headers.emplace_back("Retry-After", "5");
    return response;
  });
  HttpHandle handle;
  CancelToken cancel;
  std::thread canceller([cancel] {
    std::this_thread::sleep_for(milliseconds(300));
    cancel.Cancel("client went away");
  });
  const auto start = Clock::now();
  auto result = PerformWithRetry(handle, Get(server.url()), FastPolicy(4), cancel,
                                 Clock::now() + milliseconds(20000));
  canceller.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kCancelled);
  EXPECT_NE(result.status().message().find("client went away"), std::string::npos);
  EXPECT_LT(MillisSince(start), 2000);
}

TEST(HttpRetryTest, CancelDuringASlowResponseAbortsTheTransfer) {
  LocalHttpServer server([&](const LocalHttpRequest&) {
    server.WaitFor(milliseconds(10000));
    return LocalHttpResponse{};
  });
  HttpHandle handle;
  CancelToken cancel;
  std::thread canceller([cancel] {
    std::this_thread::sleep_for(milliseconds(300));
    cancel.Cancel("cancelled by the test");
  });
  const auto start = Clock::now();
  auto result = PerformWithRetry(handle, Get(server.url()), FastPolicy(4), cancel,
                                 Clock::now() + milliseconds(20000));
  canceller.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kCancelled);
  EXPECT_LT(MillisSince(start), 3000);
  server.Stop();
}

TEST(HttpRetryTest, TransportFailuresEndUnavailableAfterTheRetries) {
  // A port with nothing listening: bind a server, note its port, stop it.
  std::string url;
  {
    LocalHttpServer gone([](const LocalHttpRequest&) { return LocalHttpResponse{}; });
    url = gone.url();
  }
  HttpHandle handle;
  HttpRetryPolicy policy = FastPolicy(3);
  auto retried =
      PerformWithRetry(handle, Get(url), policy, CancelToken(), Clock::now() + milliseconds(5000));
  ASSERT_FALSE(retried.ok());
  EXPECT_EQ(retried.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(retried.status().message().find("connection refused"), std::string::npos)
      << retried.status().message();
}

TEST(HttpRetryTest, DeadlineBoundsEveryAttempt) {
  LocalHttpServer server([&](const LocalHttpRequest&) {
    server.WaitFor(milliseconds(10000));
    return LocalHttpResponse{};
  });
  HttpHandle handle;
  const auto start = Clock::now();
  auto result = PerformWithRetry(handle, Get(server.url()), FastPolicy(4), CancelToken(),
                                 Clock::now() + milliseconds(500));
  ASSERT_FALSE(result.ok());
  EXPECT_LT(MillisSince(start), 3000) << "an attempt outlived the deadline";
  server.Stop();
}

TEST(HttpRetryTest, MethodsHeadersAndBody) {
  LocalHttpServer server([&](const LocalHttpRequest& request) {
    LocalHttpResponse response;
    response.body = request.method + " " + request.path + " " + request.Query("q") + " " +
                    request.Header("x-token") + " " + request.body;
    return response;
  });
  HttpHandle handle;
  HttpRequest request = Get(server.url() + "/a%20b?q=x%26y");
  request.method = "DELETE";
  request.body = "payload";
  request.headers.push_back("X-Token: t1");
  auto result = handle.Perform(request, nullptr);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->body, "DELETE /a b x&y t1 payload");
}

TEST(HttpClientTest, PoolBoundsConcurrentRequests) {
  LocalHttpServer server([&](const LocalHttpRequest& request) {
    if (request.path == "/slow") server.WaitFor(milliseconds(1500));
    LocalHttpResponse response;
    response.body = request.path;
    return response;
  });
  HttpClientOptions options;
  options.source_id = "pooled";
  options.max_connections = 1;
  HttpClient client(options);
  std::optional<Result<HttpResponse>> slow;
  std::thread runner([&] {
    slow.emplace(client.Perform(Get(server.url() + "/slow"), CancelToken(),
                                Clock::now() + milliseconds(10000)));
  });
  std::this_thread::sleep_for(milliseconds(300));
  auto waited =
      client.Perform(Get(server.url() + "/fast"), CancelToken(), Clock::now() + milliseconds(300));
  ASSERT_FALSE(waited.ok()) << "a second request ran on a pool of one";
  EXPECT_EQ(waited.status().code(), ErrorCode::kResourceExhausted) << waited.status().ToString();
  runner.join();
  ASSERT_TRUE(slow.has_value() && slow->ok());
  EXPECT_EQ((*slow)->body, "/slow");
  auto after =
      client.Perform(Get(server.url() + "/fast"), CancelToken(), Clock::now() + milliseconds(5000));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->body, "/fast");
  EXPECT_EQ(client.stats().open, 1);
}

TEST(HttpRetryTest, ParseRetryAfter) {
  EXPECT_EQ(ParseRetryAfter("120"), milliseconds(120000));
  EXPECT_EQ(ParseRetryAfter(" 0 "), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter(""), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), milliseconds(0));
  auto future = ParseRetryAfter("Fri, 31 Dec 2100 23:59:59 GMT");
  ASSERT_TRUE(future.has_value());
  EXPECT_GT(future->count(), int64_t{365} * 24 * 3600 * 1000);
}

}  // namespace
}  // namespace tributary
