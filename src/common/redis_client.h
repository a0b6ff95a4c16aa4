// A small synchronous Redis client over hiredis: a pool of connections to one server, each
// command bounded by a timeout, for the result cache and the rate limiter shared by replicas.
//
// Redis being down must never fail a request that could be served without it, so a failed
// connect marks the server down for a short back-off (`retry_after`) during which every call
// fails at once with UNAVAILABLE instead of paying the connect timeout again; callers then fall
// back to their in-process behaviour and /readyz reports the state.
// Thread-safety: every method may be called from any thread; a connection is used by one
// thread at a time (taken from and returned to the pool).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

struct redisContext;

namespace tributary {

//! One reply, converted from hiredis' redisReply.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray };
  Type type = Type::kNil;
  //! kString and kStatus.
  std::string text;
  int64_t integer = 0;
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
};

class RedisClient {
 public:
  //! No connection is made until the first command.
  explicit RedisClient(RedisConfig config,
                       std::chrono::milliseconds retry_after = std::chrono::milliseconds(1000));
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  //! Runs one command; arguments are binary-safe. UNAVAILABLE when the server cannot be
  //! reached (or is in its back-off) or does not answer within command_timeout_ms, INTERNAL
  //! ("redis: ERR ...") for an error reply.
  Result<RedisReply> Command(const std::vector<std::string>& args);
  //! Sends the commands in one round trip and returns their replies in order. An error reply
  //! to one command is returned as that command's failure; transport errors fail the call.
  Result<std::vector<Result<RedisReply>>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  //! PING now (bypassing the back-off) and records the outcome.
  Status Ping();
  //! False while the last attempt to reach the server failed and its back-off runs.
  bool available() const;
  //! Why the server was last unreachable; OK when it answered last.
  Status last_error() const;

  //! key_prefix + `key`.
  std::string Key(std::string_view key) const;
  const RedisConfig& config() const { return config_; }

 private:
  struct Connection;
  Result<std::unique_ptr<Connection>> Acquire(bool ignore_backoff);
  void Release(std::unique_ptr<Connection> connection);
  void MarkDown(const Status& error);
  void MarkUp();
  Result<std::vector<Result<RedisReply>>> Run(const std::vector<std::vector<std::string>>& commands,
                                              bool ignore_backoff);

  RedisConfig config_;
  std::chrono::milliseconds retry_after_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::chrono::steady_clock::time_point down_until_{};
  Status last_error_;
};

}  // namespace tributary
