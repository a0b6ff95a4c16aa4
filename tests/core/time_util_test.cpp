#include "core/time_util.h"

#include <gtest/gtest.h>

namespace tributary {
namespace {

TEST(TimeUtil, FormatsDatesAndTimestamps) {
  EXPECT_EQ(FormatDate(0), "1970-01-01");
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
  EXPECT_EQ(FormatDate(*ParseDate("2024-02-29")), "2024-02-29");
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(1'795'000'000'123'456), "2026-11-18T11:06:40.123456Z");
  EXPECT_EQ(FormatTimestamp(INT64_MIN), "-290308-12-21T19:59:05.224192Z");
  EXPECT_EQ(FormatTimestamp(INT64_MAX), "+294247-01-10T04:00:54.775807Z");
}

TEST(TimeUtil, ParsesTimestampsWithZones) {
  EXPECT_EQ(ParseTimestamp("2026-11-21T13:00:00Z"), ParseTimestamp("2026-11-21 14:00:00+01:00"));
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:01.5Z"), 1'500'000);
  EXPECT_EQ(*ParseTimestamp("1970-01-02"), 86'400'000'000);
  EXPECT_FALSE(ParseTimestamp("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseTimestamp("2026-11-21T25:00:00Z"));
  EXPECT_FALSE(ParseTimestamp("2026-11-21T13:00:00Zjunk"));
  EXPECT_FALSE(ParseDate("2026-1-01"));
}

}  // namespace
}  // namespace tributary
