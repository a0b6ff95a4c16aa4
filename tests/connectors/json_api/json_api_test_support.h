// A CRM-like JSON API for the json_api connector's protocol-level tests: customers held in
// the test, served from a LocalHttpServer in pages computed on each request, with every
// pagination style, bearer/basic/header auth checked by the server, filters from the query
// string, and injectable failures (429 with Retry-After, 503, slow pages, bad records).
// Thread-safety: the handler runs on the server's connection threads; the knobs are atomics
// or guarded by a mutex, set by the test thread.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_test_util.h"
#include "connectors/connector.h"
#include "connectors/registry.h"
#include "support/local_http_server.h"

namespace tributary::json_api_test {

struct Customer {
  int64_t id = 0;
  std::string email;
  std::string status;      // "active" or "closed"
  std::string created_at;  // ISO-8601
  std::string balance;     // decimal text
  bool vip = false;
  std::string signup_day;  // YYYY-MM-DD
  double score = 0;
  bool has_email = true;  // false: the contact object has no email field
};

//! `count` customers with ids 1..count, values derived from the id.
inline std::vector<Customer> MakeCustomers(int count) {
  std::vector<Customer> out;
  for (int i = 1; i <= count; ++i) {
    Customer c;
    c.id = i;
    c.email = "user" + std::to_string(i) + "@example.com";
    c.status = i % 3 == 0 ? "closed" : "active";
    c.created_at = "2026-01-" + std::string(i % 28 + 1 < 10 ? "0" : "") +
                   std::to_string(i % 28 + 1) + "T10:00:00+02:00";
    c.balance = std::to_string(i * 10) + "." + std::to_string(i % 10) + "5";
    c.vip = i % 5 == 0;
    c.signup_day =
        "2025-12-" + std::string(i % 28 + 1 < 10 ? "0" : "") + std::to_string(i % 28 + 1);
    c.score = i * 0.5;
    c.has_email = i % 7 != 0;
    out.push_back(std::move(c));
  }
  return out;
}

class CrmServer {
 public:
  explicit CrmServer(std::vector<Customer> customers, int page_size = 5);
  ~CrmServer();

  std::string url() const { return server_->url(); }
  size_t request_count() const { return server_->request_count(); }
  std::vector<testing::LocalHttpRequest> requests() const { return server_->requests(); }

  //! The Authorization header every request must carry (empty: none required).
  void RequireAuthorization(std::string value);
  //! An X-Api-Key header every request must carry (empty: none required).
  void RequireApiKey(std::string value);
  //! The next `n` requests of page 2 answer `status` (with Retry-After when `retry_after`).
  void FailPageTwo(int n, int status, std::string retry_after = "");
  //! Page 2 waits this long before answering (the server stops waiting when it stops).
  void SlowPageTwo(std::chrono::milliseconds delay) { slow_ms_ = delay.count(); }
  //! Record `id` carries this raw JSON as its "id" (e.g. "\"abc\"").
  void CorruptId(int64_t id, std::string raw_json);

  const std::vector<Customer>& customers() const { return customers_; }

 private:
  testing::LocalHttpResponse Handle(const testing::LocalHttpRequest& request);
  std::string RecordJson(const Customer& c) const;

  std::vector<Customer> customers_;
  const int page_size_;
  std::mutex mu_;
  std::string authorization_;
  std::string api_key_;
  int fail_count_ = 0;
  int fail_status_ = 0;
  std::string fail_retry_after_;
  int64_t corrupt_id_ = 0;
  std::string corrupt_raw_;
  std::atomic<int64_t> slow_ms_{0};
  std::unique_ptr<testing::LocalHttpServer> server_;
};

//! Loads `yaml` as a config (file name "cfg.yaml", environment `env`) and opens its first
//! source; the test fails (and null is returned) when either step fails.
inline std::unique_ptr<Connector> OpenSource(const std::string& yaml,
                                             std::map<std::string, std::string> env = {});

// ---- implementation (header-only: tests/ compiles only *_test.cpp and tests/support) ----

inline CrmServer::CrmServer(std::vector<Customer> customers, int page_size)
    : customers_(std::move(customers)), page_size_(page_size) {
  server_ = std::make_unique<testing::LocalHttpServer>(
      [this](const testing::LocalHttpRequest& request) { return Handle(request); });
}

inline CrmServer::~CrmServer() {
  server_->Stop();
}

inline void CrmServer::RequireAuthorization(std::string value) {
  std::lock_guard lock(mu_);
  authorization_ = std::move(value);
}

inline void CrmServer::RequireApiKey(std::string value) {
  std::lock_guard lock(mu_);
  api_key_ = std::move(value);
}

inline void CrmServer::FailPageTwo(int n, int status, std::string retry_after) {
  std::lock_guard lock(mu_);
  fail_count_ = n;
  fail_status_ = status;
  fail_retry_after_ = std::move(retry_after);
}

inline void CrmServer::CorruptId(int64_t id, std::string raw_json) {
  std::lock_guard lock(mu_);
  corrupt_id_ = id;
  corrupt_raw_ = std::move(raw_json);
}

inline std::string CrmServer::RecordJson(const Customer& c) const {
  std::string id = std::to_string(c.id);
  if (c.id == corrupt_id_) id = corrupt_raw_;
  std::string out = "{\"id\":" + id + ",\"contact\":{";
  if (c.has_email) out += "\"email\":\"" + c.email + "\",";
  out += "\"phone\":null},\"status\":\"" + c.status + "\",\"created_at\":\"" + c.created_at +
         "\",\"balance\":" + c.balance + ",\"vip\":" + (c.vip ? "true" : "false") +
         ",\"signup_day\":\"" + c.signup_day + "\",\"score\":" + std::to_string(c.score) +
         ",\"metadata\":{\"tier\":\"" + (c.vip ? "gold" : "basic") + "\",\"tags\":[\"t" +
         std::to_string(c.id % 4) + "\"]},\"labels\":[\"l" + std::to_string(c.id % 4) +
         "\",\"x\"]}";
  return out;
}

inline testing::LocalHttpResponse CrmServer::Handle(const testing::LocalHttpRequest& request) {
  testing::LocalHttpResponse response;
  std::vector<Customer> selected;
  int64_t offset = 0;
  std::string mode;
  {
    std::lock_guard lock(mu_);
    if (!authorization_.empty() && request.Header("authorization") != authorization_) {
      response.status = 401;
      response.body = "{\"error\":\"invalid credentials\",\"received\":\"" +
                      request.Header("authorization") + "\"}";
      return response;
    }
    if (!api_key_.empty() && request.Header("x-api-key") != api_key_) {
      response.status = 403;
      response.body = "{\"error\":\"bad api key " + request.Header("x-api-key") + "\"}";
      return response;
    }
    if (request.path == "/health") {
      response.body = "{\"ok\":true}";
      return response;
    }
    const size_t slash = request.path.find('/', 1);
    mode = request.path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
    if (slash == std::string::npos || request.path.substr(slash) != "/customers") {
      response.status = 404;
      response.body = "{\"error\":\"no route " + request.path + "\"}";
      return response;
    }
    const std::string status = request.Query("status");
    const std::string since = request.Query("since");
    for (const auto& c : customers_) {
      if (!status.empty() && c.status != status) continue;
      if (!since.empty() && c.created_at.substr(0, since.size()) < since) continue;
      selected.push_back(c);
    }
    if (mode == "cursor") {
      const std::string cursor = request.Query("cursor");
      offset = cursor.empty() ? 0 : std::stoll(cursor.substr(1));
    } else if (mode == "page") {
      const int64_t size = std::stoll(request.Query("per_page", "0"));
      if (size != page_size_) {
        response.status = 400;
        response.body = "{\"error\":\"per_page must be " + std::to_string(page_size_) + "\"}";
        return response;
      }
      offset = (std::stoll(request.Query("page", "1")) - 1) * page_size_;
    } else {
      offset = std::stoll(request.Query("offset", "0"));
    }
    if (offset == page_size_ && fail_count_ > 0) {
      --fail_count_;
      response.status = fail_status_;
      if (!fail_retry_after_.empty())
        response.headers.push_back({"Retry-After", fail_retry_after_});
      response.body = "{\"error\":\"try later\"}";
      return response;
    }
  }
  if (offset == page_size_ && slow_ms_.load() > 0) {
    if (!server_->WaitFor(std::chrono::milliseconds(slow_ms_.load()))) return response;
  }
  std::string records;
  const int64_t end = std::min<int64_t>(offset + page_size_, selected.size());
  {
    std::lock_guard lock(mu_);
    for (int64_t i = offset; i < end; ++i) {
      if (!records.empty()) records += ',';
      records += RecordJson(selected[i]);
    }
  }
  const bool more = end < static_cast<int64_t>(selected.size());
  // The filters travel with the next link, as real APIs do.
  std::string filters;
  for (const auto& [name, value] : request.query) {
    if (name == "offset") continue;
    filters += "&" + name + "=" + value;
  }
  response.body = "{\"data\":[" + records + "]";
  if (mode == "next") {
    response.body += ",\"links\":{\"next\":" +
                     (more ? "\"/next/customers?offset=" + std::to_string(end) + filters + "\""
                           : std::string("null")) +
                     "}";
  } else if (mode == "link" && more) {
    response.headers.push_back(
        {"Link", "<" + url() + "/link/customers?offset=" + std::to_string(end) + filters +
                     ">; rel=\"next\", <" + url() + "/link/customers>; rel=\"first\""});
  } else if (mode == "cursor") {
    response.body +=
        ",\"next_cursor\":" + (more ? "\"c" + std::to_string(end) + "\"" : std::string("\"\""));
  }
  response.body += ",\"total\":" + std::to_string(selected.size()) + "}";
  return response;
}

inline std::unique_ptr<Connector> OpenSource(const std::string& yaml,
                                             std::map<std::string, std::string> env) {
  Result<Config> config =
      LoadConfigText(yaml, "cfg.yaml", "/tmp", testing::FakeEnv(std::move(env)));
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  if (!config.ok() || config->sources.empty()) return nullptr;
  const SourceConfig& source = config->sources.front();
  const ConnectorFactory* factory = FindConnector(source.type);
  EXPECT_NE(factory, nullptr);
  if (factory == nullptr) return nullptr;
  SourceContext context{source.id, source.options, "/tmp"};
  auto connector = factory->create(context);
  Status opened = connector->Open();
  EXPECT_TRUE(opened.ok()) << opened.ToString();
  if (!opened.ok()) return nullptr;
  return connector;
}

}  // namespace tributary::json_api_test
