// Streamed responses (Server-Sent Events) through the real HTTP server (server/streaming.h):
// several subscribers get the same events in order, heartbeats fill silences, a client that
// hangs up cancels its stream, 64 open streams leave the server responsive, shutdown ends them,
// and HEAD and HTTP/1.0 get what they can take.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "server/streaming.h"
#include "server/streaming_test_support.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

class Hub;

//! One subscriber's stream: events published to the hub queue up here until Next asks.
class HubStream final : public ResponseStream {
 public:
  HubStream(Hub* hub, uint32_t heartbeat_ms) : hub_(hub), heartbeat_ms_(heartbeat_ms) {}
  void Next(Deliver deliver) override;
  void Cancel() override;
  uint32_t heartbeat_ms() const override { return heartbeat_ms_; }

  //! Under the hub's lock.
  void Push(std::optional<std::string> piece);

 private:
  friend class Hub;
  Hub* hub_;
  uint32_t heartbeat_ms_;
  std::deque<std::optional<std::string>> queue_;
  Deliver pending_;
  bool ended_ = false;
};

//! Fans events out to every subscribed stream; counts subscriptions and cancellations.
class Hub {
 public:
  std::shared_ptr<HubStream> Subscribe(uint32_t heartbeat_ms) {
    auto s = std::make_shared<HubStream>(this, heartbeat_ms);
    std::lock_guard lock(mu_);
    streams_.push_back(s);
    ++subscribed_;
    return s;
  }
  void Publish(const std::string& event) { PushAll(event); }
  void Finish() { PushAll(std::nullopt); }
  int subscribed() const { return subscribed_.load(); }
  int cancelled() const { return cancelled_.load(); }

 private:
  friend class HubStream;
  void PushAll(std::optional<std::string> piece) {
    std::vector<std::pair<HubStream::Deliver, std::optional<std::string>>> calls;
    {
      std::lock_guard lock(mu_);
      for (auto& weak : streams_) {
        auto s = weak.lock();
        if (!s || s->ended_) continue;
        if (s->pending_) {
          calls.emplace_back(std::move(s->pending_), piece);
          s->pending_ = nullptr;
          if (!piece) s->ended_ = true;
        } else {
          s->queue_.push_back(piece);
        }
      }
    }
    // Delivered outside the lock, from this (non-I/O) thread.
    for (auto& [deliver, p] : calls) deliver(std::move(p));
  }

  std::mutex mu_;
  std::vector<std::weak_ptr<HubStream>> streams_;
  std::atomic<int> subscribed_{0};
  std::atomic<int> cancelled_{0};
};

void HubStream::Next(Deliver deliver) {
  std::optional<std::string> piece;
  {
    std::lock_guard lock(hub_->mu_);
    if (ended_) {
      piece = std::nullopt;
    } else if (queue_.empty()) {
      pending_ = std::move(deliver);
      return;
    } else {
      piece = std::move(queue_.front());
      queue_.pop_front();
      if (!piece) ended_ = true;
    }
  }
  // From inside Next, as the contract allows.
  deliver(std::move(piece));
}

void HubStream::Cancel() {
  Deliver deliver;
  {
    std::lock_guard lock(hub_->mu_);
    ++hub_->cancelled_;
    ended_ = true;
    deliver = std::move(pending_);
    pending_ = nullptr;
  }
  if (deliver) deliver(std::nullopt);
}

std::string Event(int i) {
  return "id: " + std::to_string(i) + "\nevent: progress\ndata: {\"n\":" + std::to_string(i) +
         "}\n\n";
}

class SseStream : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer() {
    std::string error;
    server_ = StreamTestServer::Start(
        "server: {read_timeout_ms: 3000}\nsources:\n  db: {type: duckdb}\nauth: none\n",
        [this](Router& r) {
          r.Add(
              "GET", "/test/events",
              [this](const ApiRequest& req) {
                ApiResponse resp;
                resp.content_type = "text/event-stream";
                uint32_t heartbeat = req.query.find("heartbeat") != std::string::npos ? 100 : 0;
                resp.stream = hub_.Subscribe(heartbeat);
                return resp;
              },
              false, RouteAccess::Public());
          r.Add(
              "GET", "/test/events-blocking",
              [this](const ApiRequest&) {
                ApiResponse resp;
                resp.content_type = "text/event-stream";
                resp.stream = hub_.Subscribe(0);
                return resp;
              },
              true, RouteAccess::Public());
          r.Add(
              "HEAD", "/test/events",
              [this](const ApiRequest&) {
                ApiResponse resp;
                resp.content_type = "text/event-stream";
                resp.stream = hub_.Subscribe(0);
                return resp;
              },
              false, RouteAccess::Public());
        },
        &error);
    ASSERT_NE(server_, nullptr) << error;
  }

  std::unique_ptr<RawConn> Subscribe(const std::string& target = "/test/events",
                                     const std::string& version = "1.1") {
    auto conn = std::make_unique<RawConn>(server_->port());
    EXPECT_TRUE(conn->connected());
    conn->Send("GET " + target + " HTTP/" + version + "\r\nHost: x\r\n\r\n");
    return conn;
  }

  Hub hub_;
  std::unique_ptr<StreamTestServer> server_;
};

TEST_F(SseStream, ThreeSubscribersGetTheSameEventsInOrder) {
  std::vector<std::unique_ptr<RawConn>> conns;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(Subscribe(i == 2 ? "/test/events-blocking" : "/test/events"));
  }
  ASSERT_TRUE(WaitUntil([&] { return hub_.subscribed() == 3; }, 10s));
  for (auto& c : conns) ASSERT_TRUE(c->ReadUntil("\r\n\r\n"));
  for (int i = 0; i < 50; ++i) hub_.Publish(Event(i));
  hub_.Finish();
  for (auto& c : conns) {
    // The chunked body's end.
    ASSERT_TRUE(c->ReadUntil("\r\n0\r\n\r\n")) << c->received();
    const std::string& text = c->received();
    EXPECT_EQ(c->StatusCode(), 200);
    EXPECT_NE(text.find("Content-Type: text/event-stream"), std::string::npos) << text;
    EXPECT_NE(text.find("Cache-Control: no-store"), std::string::npos) << text;
    EXPECT_NE(text.find("X-Accel-Buffering: no"), std::string::npos) << text;
    EXPECT_NE(text.find("Transfer-Encoding: chunked"), std::string::npos) << text;
    size_t last = 0;
    for (int i = 0; i < 50; ++i) {
      size_t at = text.find(Event(i));
      ASSERT_NE(at, std::string::npos) << "event " << i << " missing";
      EXPECT_GT(at, last) << "event " << i << " out of order";
      last = at;
    }
  }
  // Keep-alive: the connection serves the next request.
  conns[0]->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(conns[0]->ReadUntil("{\"status\":\"ok\"}"));
  EXPECT_EQ(hub_.cancelled(), 0);
}

TEST_F(SseStream, HeartbeatCommentFillsSilence) {
  auto conn = Subscribe("/test/events?heartbeat=1");
  ASSERT_TRUE(conn->ReadUntil(": keep-alive\n\n", 10s)) << conn->received();
  hub_.Publish(Event(1));
  ASSERT_TRUE(conn->ReadUntil(Event(1)));
  // Heartbeats keep coming after an event, and never inside one.
  size_t after = conn->received().size();
  ASSERT_TRUE(conn->ReadUntil(": keep-alive\n\n", 10s, after)) << conn->received();
  hub_.Publish(Event(2));
  ASSERT_TRUE(conn->ReadUntil(Event(2)));
}

TEST_F(SseStream, ClientDisconnectCancelsTheStream) {
  auto conn = Subscribe();
  ASSERT_TRUE(conn->ReadUntil("\r\n\r\n"));
  ASSERT_EQ(hub_.subscribed(), 1);
  conn->Close();
  EXPECT_TRUE(WaitUntil([&] { return hub_.cancelled() == 1; }, 10s));
  EXPECT_TRUE(WaitUntil([&] { return server_->server().open_connections() == 0; }, 10s));
}

TEST_F(SseStream, SixtyFourOpenStreamsLeaveTheServerResponsive) {
  std::vector<std::unique_ptr<RawConn>> conns;
  for (int i = 0; i < 64; ++i)
    conns.push_back(Subscribe(i % 2 ? "/test/events-blocking" : "/test/events"));
  ASSERT_TRUE(WaitUntil([&] { return hub_.subscribed() == 64; }, 20s));
  HttpClient client(server_->port(), 10s);
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = client.Get("/healthz");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  hub_.Publish(Event(7));
  for (auto& c : conns) EXPECT_TRUE(c->ReadUntil(Event(7)));
  hub_.Finish();
  for (auto& c : conns) EXPECT_TRUE(c->ReadUntil("\r\n0\r\n\r\n"));
}

TEST_F(SseStream, ShutdownEndsOpenStreams) {
  auto a = Subscribe();
  auto b = Subscribe("/test/events?heartbeat=1");
  ASSERT_TRUE(a->ReadUntil("\r\n\r\n"));
  ASSERT_TRUE(b->ReadUntil("\r\n\r\n"));
  ASSERT_EQ(server_->server().open_connections(), 2u);
  server_->server().BeginShutdown();
  EXPECT_TRUE(WaitUntil([&] { return server_->server().open_connections() == 0; }, 10s));
  EXPECT_EQ(hub_.cancelled(), 2);
  EXPECT_TRUE(a->ReadUntilClosed(10s));
  EXPECT_TRUE(b->ReadUntilClosed(10s));
}

TEST_F(SseStream, CancelInFlightEndsOpenStreams) {
  auto a = Subscribe();
  ASSERT_TRUE(a->ReadUntil("\r\n\r\n"));
  server_->server().CancelInFlight("drain time over");
  EXPECT_TRUE(WaitUntil([&] { return hub_.cancelled() == 1; }, 10s));
  EXPECT_TRUE(a->ReadUntilClosed(10s));
}

TEST_F(SseStream, HeadGetsHeadersOnlyAndCancels) {
  RawConn conn(server_->port());
  conn.Send("HEAD /test/events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(conn.ReadUntil("\r\n\r\n"));
  EXPECT_EQ(conn.StatusCode(), 200);
  EXPECT_NE(conn.received().find("text/event-stream"), std::string::npos);
  EXPECT_TRUE(WaitUntil([&] { return hub_.cancelled() == 1; }, 10s));
  // Nothing follows the headers, and the connection is still usable.
  conn.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(conn.ReadUntil("{\"status\":\"ok\"}"));
  EXPECT_EQ(conn.received().find("\r\n\r\n") + 4, conn.received().find("HTTP/1.1 200", 5));
}

TEST_F(SseStream, Http10GetsThePiecesAndACloseAtTheEnd) {
  auto conn = Subscribe("/test/events", "1.0");
  ASSERT_TRUE(conn->ReadUntil("\r\n\r\n"));
  hub_.Publish(Event(1));
  hub_.Publish(Event(2));
  hub_.Finish();
  ASSERT_TRUE(conn->ReadUntilClosed());
  EXPECT_EQ(conn->Body(), Event(1) + Event(2));
  EXPECT_EQ(conn->received().find("chunked"), std::string::npos);
}

}  // namespace
}  // namespace tributary::testing
