// Unit tests of the Prometheus connector's query planning: times, durations, the choice of
// instant or range query, the point limit, and the form body sent to Prometheus.
#include "connectors/prometheus/prometheus_query.h"

#include <gtest/gtest.h>

namespace tributary::prometheus {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

TEST(PrometheusQueryTest, Durations) {
  EXPECT_EQ(*ParsePromDuration("15s", "step"), 15'000);
  EXPECT_EQ(*ParsePromDuration("1m", "step"), 60'000);
  EXPECT_EQ(*ParsePromDuration("1h30m", "step"), 5'400'000);
  EXPECT_EQ(*ParsePromDuration("500ms", "step"), 500);
  EXPECT_EQ(*ParsePromDuration("1d", "step"), 86'400'000);
  EXPECT_EQ(*ParsePromDuration("2w", "step"), 14LL * 86'400'000);
  EXPECT_EQ(*ParsePromDuration("60", "step"), 60'000);
  EXPECT_EQ(*ParsePromDuration("0.5", "step"), 500);
  for (const char* bad : {"", "s", "1x", "1m1h", "-5s", "1.5m", "0", "0s", "abc", "1s1s"}) {
    auto r = ParsePromDuration(bad, "option step");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("option step"), std::string::npos);
  }
}

TEST(PrometheusQueryTest, Times) {
  EXPECT_EQ(*ParsePromTime("now", kNow, "start"), kNow);
  EXPECT_EQ(*ParsePromTime("now-1h", kNow, "start"), kNow - 3'600'000);
  EXPECT_EQ(*ParsePromTime("now+5m", kNow, "start"), kNow + 300'000);
  EXPECT_EQ(*ParsePromTime("now-1h30m", kNow, "start"), kNow - 5'400'000);
  EXPECT_EQ(*ParsePromTime("1700000000", kNow, "start"), 1'700'000'000'000);
  EXPECT_EQ(*ParsePromTime("1700000000.25", kNow, "start"), 1'700'000'000'250);
  EXPECT_EQ(*ParsePromTime("2023-11-14T22:13:20Z", kNow, "start"), kNow);
  EXPECT_EQ(*ParsePromTime("2023-11-15T00:13:20+02:00", kNow, "start"), kNow);
  EXPECT_EQ(*ParsePromTime("2023-11-14T22:13:20.123Z", kNow, "start"), kNow + 123);
  for (const char* bad :
       {"", "yesterday", "now-", "now-x", "now*2", "2023-13-01T00:00:00Z", "-5", "1e9"}) {
    auto r = ParsePromTime(bad, kNow, "option start");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("RFC 3339"), std::string::npos) << bad;
  }
}

TEST(PrometheusQueryTest, FormatSeconds) {
  EXPECT_EQ(FormatPromSeconds(1'700'000'000'000), "1700000000");
  EXPECT_EQ(FormatPromSeconds(1'700'000'000'250), "1700000000.25");
  EXPECT_EQ(FormatPromSeconds(1'700'000'000'001), "1700000000.001");
  EXPECT_EQ(FormatPromSeconds(500), "0.5");
  EXPECT_EQ(FormatPromSeconds(-1500), "-1.5");
}

TEST(PrometheusQueryTest, InstantAndRangePlans) {
  PromPlanLimits limits;
  auto none = PlanPromQuery({}, kNow, limits);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->range);
  EXPECT_FALSE(none->has_time);
  EXPECT_EQ(PromFormBody("up", *none, 0), "query=up");

  auto at = PlanPromQuery({{"time", "now-1m"}}, kNow, limits);
  ASSERT_TRUE(at.ok());
  EXPECT_FALSE(at->range);
  EXPECT_EQ(at->time_ms, kNow - 60'000);
  EXPECT_EQ(PromFormBody("rate(x[1m])", *at, 1500),
            "query=rate%28x%5B1m%5D%29&time=1699999940&timeout=1500ms");

  auto range = PlanPromQuery({{"start", "now-1h"}, {"step", "1m"}}, kNow, limits);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_TRUE(range->range);
  EXPECT_EQ(range->start_ms, kNow - 3'600'000);
  EXPECT_EQ(range->end_ms, kNow);  // end defaults to now
  EXPECT_EQ(range->step_ms, 60'000);
  EXPECT_EQ(range->points, 61);
  EXPECT_EQ(PromFormBody("up", *range, 0), "query=up&start=1699996400&end=1700000000&step=60");

  limits.default_step_ms = 15'000;
  auto default_step = PlanPromQuery({{"start", "0"}, {"end", "60"}}, kNow, limits);
  ASSERT_TRUE(default_step.ok());
  EXPECT_EQ(default_step->step_ms, 15'000);
  EXPECT_EQ(default_step->points, 5);
}

TEST(PrometheusQueryTest, RejectsBadOptions) {
  PromPlanLimits limits;
  auto unknown = PlanPromQuery({{"index", "x"}}, kNow, limits);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("'index'"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("time, start, end, step"), std::string::npos);

  auto mixed = PlanPromQuery({{"time", "now"}, {"step", "1m"}}, kNow, limits);
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("cannot be combined"), std::string::npos);

  auto no_start = PlanPromQuery({{"step", "1m"}}, kNow, limits);
  ASSERT_FALSE(no_start.ok());
  EXPECT_NE(no_start.status().message().find("start=now-1h"), std::string::npos);

  auto backwards = PlanPromQuery({{"start", "now"}, {"end", "now-1h"}}, kNow, limits);
  ASSERT_FALSE(backwards.ok());
  EXPECT_NE(backwards.status().message().find("before option start"), std::string::npos);
}

TEST(PrometheusQueryTest, PointLimit) {
  PromPlanLimits limits;
  limits.max_points = 11000;
  // 11000 intervals is what Prometheus itself allows.
  EXPECT_TRUE(PlanPromQuery({{"start", "0"}, {"end", "11000"}, {"step", "1"}}, kNow, limits).ok());
  auto over = PlanPromQuery({{"start", "0"}, {"end", "11001"}, {"step", "1"}}, kNow, limits);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("max_points of 11000"), std::string::npos);
  EXPECT_NE(over.status().message().find("step=2s"), std::string::npos) << over.status().message();

  limits.max_points = 100;
  auto day = PlanPromQuery({{"start", "now-1d"}, {"step", "1m"}}, kNow, limits);
  ASSERT_FALSE(day.ok());
  EXPECT_NE(day.status().message().find("1441 points"), std::string::npos)
      << day.status().message();
  EXPECT_NE(day.status().message().find("step=864s"), std::string::npos) << day.status().message();
}

}  // namespace
}  // namespace tributary::prometheus
