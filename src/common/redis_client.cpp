#include "common/redis_client.h"

#include <hiredis/hiredis.h>

#include <utility>

namespace tributary {

namespace {

timeval ToTimeval(int64_t ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

RedisReply Convert(const redisReply* reply) {
  RedisReply out;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i)
        out.elements.push_back(Convert(reply->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

struct RedisClient::Connection {
  redisContext* context = nullptr;
  ~Connection() {
    if (context) redisFree(context);
  }
};

RedisClient::RedisClient(RedisConfig config, std::chrono::milliseconds retry_after)
    : config_(std::move(config)), retry_after_(retry_after) {}

RedisClient::~RedisClient() = default;

std::string RedisClient::Key(std::string_view key) const {
  std::string out = config_.key_prefix;
  out.append(key);
  return out;
}

bool RedisClient::available() const {
  std::lock_guard lock(mu_);
  return last_error_.ok() || std::chrono::steady_clock::now() >= down_until_;
}

Status RedisClient::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void RedisClient::MarkDown(const Status& error) {
  std::lock_guard lock(mu_);
  last_error_ = error;
  down_until_ = std::chrono::steady_clock::now() + retry_after_;
  // Connections opened before the failure may be dead too; new ones are made on recovery.
  idle_.clear();
}

void RedisClient::MarkUp() {
  std::lock_guard lock(mu_);
  last_error_ = Status::Ok();
}

Result<std::unique_ptr<RedisClient::Connection>> RedisClient::Acquire(bool ignore_backoff) {
  {
    std::lock_guard lock(mu_);
    if (!ignore_backoff && !last_error_.ok() && std::chrono::steady_clock::now() < down_until_) {
      return Unavailable(last_error_.message());
    }
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  const std::string where = "redis at " + config_.host + ":" + std::to_string(config_.port);
  auto connection = std::make_unique<Connection>();
  connection->context = redisConnectWithTimeout(
      config_.host.c_str(), static_cast<int>(config_.port), ToTimeval(config_.connect_timeout_ms));
  if (!connection->context) return Unavailable(where + ": cannot allocate a connection");
  if (connection->context->err) {
    return Unavailable(where + ": " + connection->context->errstr +
                       "; check that redis-server runs and redis.host/port in the config");
  }
  redisSetTimeout(connection->context, ToTimeval(config_.command_timeout_ms));
  redisEnableKeepAlive(connection->context);
  std::vector<std::vector<std::string>> setup;
  if (!config_.password.empty()) setup.push_back({"AUTH", config_.password});
  if (config_.database != 0) setup.push_back({"SELECT", std::to_string(config_.database)});
  for (const auto& command : setup) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(
        connection->context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply) return Unavailable(where + ": " + connection->context->errstr);
    if (reply->type == REDIS_REPLY_ERROR) {
      // Never echo the password; the server's reply names what is wrong.
      return Unavailable(where + ": " + command.front() +
                         " refused: " + std::string(reply->str, reply->len) +
                         "; check redis.password and redis.database");
    }
  }
  return connection;
}

void RedisClient::Release(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mu_);
  if (static_cast<int64_t>(idle_.size()) < config_.pool_size)
    idle_.push_back(std::move(connection));
}

Result<std::vector<Result<RedisReply>>> RedisClient::Run(
    const std::vector<std::vector<std::string>>& commands, bool ignore_backoff) {
  Result<std::unique_ptr<Connection>> acquired = Acquire(ignore_backoff);
  if (!acquired.ok()) {
    if (acquired.status().code() == ErrorCode::kUnavailable) MarkDown(acquired.status());
    return acquired.status();
  }
  std::unique_ptr<Connection> connection = std::move(acquired).value();
  redisContext* context = connection->context;
  for (const auto& command : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    argv.reserve(command.size());
    lengths.reserve(command.size());
    for (const auto& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      Status error = Unavailable("redis: " + std::string(context->errstr));
      MarkDown(error);
      return error;
    }
  }
  std::vector<Result<RedisReply>> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) {
      // A timed-out connection may still receive the late reply: it is dropped, not reused.
      Status error = Unavailable("redis at " + config_.host + ":" + std::to_string(config_.port) +
                                 ": " + std::string(context->errstr) + " (command_timeout_ms " +
                                 std::to_string(config_.command_timeout_ms) + ")");
      MarkDown(error);
      return error;
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR) {
      replies.push_back(Internal("redis: " + std::string(reply->str, reply->len)));
    } else {
      replies.push_back(Convert(reply.get()));
    }
  }
  MarkUp();
  Release(std::move(connection));
  return replies;
}

Result<RedisReply> RedisClient::Command(const std::vector<std::string>& args) {
  TRIB_ASSIGN_OR_RETURN(std::vector<Result<RedisReply>> replies, Run({args}, false));
  return std::move(replies.front());
}

Result<std::vector<Result<RedisReply>>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return std::vector<Result<RedisReply>>{};
  return Run(commands, false);
}

Status RedisClient::Ping() {
  Result<std::vector<Result<RedisReply>>> replies = Run({{"PING"}}, true);
  if (!replies.ok()) return replies.status();
  if (!replies->front().ok()) return replies->front().status();
  return Status::Ok();
}

}  // namespace tributary
