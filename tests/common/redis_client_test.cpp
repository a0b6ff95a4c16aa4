// RedisClient against the real redis-server of scripts/test-servers.sh (TRIB_TEST_REDIS_*),
// and against addresses where nothing listens, for the "Redis is down" paths.
#include "common/redis_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "support/test_redis.h"

namespace tributary {
namespace {

RedisConfig TestRedis() {
  return testing::TestRedisConfig("redis_client");
}

// Port 1 on loopback: privileged and unused, so the connect is refused at once.
RedisConfig DeadRedis() {
  RedisConfig config = TestRedis();
  config.port = 1;
  return config;
}

TEST(RedisClient, SetGetDelIsBinarySafe) {
  RedisClient client(TestRedis());
  const std::string key = client.Key("binary");
  const std::string value("a\0b\r\n\xff", 6);
  ASSERT_TRUE(client.Command({"SET", key, value}).ok());
  Result<RedisReply> got = client.Command({"GET", key});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->type, RedisReply::Type::kString);
  EXPECT_EQ(got->text, value);
  Result<RedisReply> deleted = client.Command({"DEL", key});
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->integer, 1);
  Result<RedisReply> missing = client.Command({"GET", key});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_nil());
}

TEST(RedisClient, PipelineReturnsRepliesInOrderWithPerCommandErrors) {
  RedisClient client(TestRedis());
  const std::string key = client.Key("pipeline");
  auto replies = client.Pipeline(
      {{"DEL", key}, {"RPUSH", key, "x", "y"}, {"LRANGE", key, "0", "-1"}, {"INCR", key}});
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), 4u);
  ASSERT_TRUE((*replies)[1].ok());
  EXPECT_EQ((*replies)[1]->integer, 2);
  ASSERT_TRUE((*replies)[2].ok());
  ASSERT_EQ((*replies)[2]->elements.size(), 2u);
  EXPECT_EQ((*replies)[2]->elements[1].text, "y");
  // INCR on a list is an error reply for that command only.
  EXPECT_FALSE((*replies)[3].ok());
  EXPECT_NE((*replies)[3].status().message().find("WRONGTYPE"), std::string::npos);
  EXPECT_TRUE(client.Command({"DEL", key}).ok());
}

TEST(RedisClient, WrongPasswordIsUnavailableWithoutEchoingIt) {
  RedisConfig config = TestRedis();
  config.password = "not-the-password-x7";
  RedisClient client(config);
  Result<RedisReply> reply = client.Command({"PING"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(reply.status().message().find("AUTH refused"), std::string::npos)
      << reply.status().message();
  EXPECT_EQ(reply.status().message().find("not-the-password-x7"), std::string::npos);
}

TEST(RedisClient, DownServerFailsFastDuringBackoffAndPingRetries) {
  RedisClient client(DeadRedis(), std::chrono::milliseconds(60000));
  Result<RedisReply> first = client.Command({"PING"});
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(client.available());
  EXPECT_FALSE(client.last_error().ok());
  // During the back-off no connection is attempted: the same error comes back.
  Result<RedisReply> second = client.Command({"GET", "x"});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), first.status().message());
  // Ping ignores the back-off and tries again (and fails again here).
  EXPECT_FALSE(client.Ping().ok());
}

TEST(RedisClient, CommandTimeoutIsUnavailableAndTheClientRecovers) {
  RedisConfig config = TestRedis();
  config.command_timeout_ms = 100;
  RedisClient client(config, std::chrono::milliseconds(0));
  // BLPOP on an empty list blocks for its own timeout (1 s), longer than command_timeout_ms.
  Result<RedisReply> blocked = client.Command({"BLPOP", client.Key("never-pushed"), "1"});
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(blocked.status().message().find("command_timeout_ms"), std::string::npos)
      << blocked.status().message();
  // The timed-out connection is dropped, a new one answers.
  EXPECT_TRUE(client.Ping().ok());
  EXPECT_TRUE(client.available());
  EXPECT_TRUE(client.last_error().ok());
}

}  // namespace
}  // namespace tributary
