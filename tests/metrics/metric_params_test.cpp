// Metric parameters and windows (spec: "Time, windows and parameters"): every window kind's
// bounds from a fixed now, and a 400-style message for every kind of bad input.
#include "metrics/metric_params.h"

#include <gtest/gtest.h>

#include "core/time_util.h"

namespace tributary {
namespace {

int64_t Ts(std::string_view iso) {
  return *ParseTimestamp(iso);
}

MetricDef Metric(WindowKind window) {
  MetricDef m;
  m.name.push_back('m');
  m.window = window;
  return m;
}

const int64_t kNow = Ts("2026-11-21T13:30:00Z");

std::string Error(const MetricDef& m, const RawParams& raw) {
  auto r = ResolveParams(m, raw, kNow);
  return r.ok() ? "(ok)" : std::string(r.status().message());
}

TEST(MetricParams, DaysWindowEndsWithTodayIncluded) {
  auto r = ResolveParams(Metric(WindowKind::kDays), {{"days", "7"}}, kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r->from, Ts("2026-11-15T00:00:00Z"));
  EXPECT_EQ(*r->to, Ts("2026-11-22T00:00:00Z"));
  auto def = ResolveParams(Metric(WindowKind::kDays), {}, kNow);
  EXPECT_EQ(*def->from, Ts("2026-10-23T00:00:00Z"));  // 30 days by default
  auto one = ResolveParams(Metric(WindowKind::kDays), {{"days", "1"}}, kNow);
  EXPECT_EQ(*one->from, Ts("2026-11-21T00:00:00Z"));
}

TEST(MetricParams, AsOfReplacesTheClock) {
  auto r = ResolveParams(Metric(WindowKind::kDays),
                         {{"days", "1"}, {"asOf", "2026-01-01T00:00:00Z"}}, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->now, Ts("2026-01-01T00:00:00Z"));
  EXPECT_EQ(*r->from, Ts("2026-01-01T00:00:00Z"));
  EXPECT_EQ(*r->to, Ts("2026-01-02T00:00:00Z"));
  EXPECT_EQ(r->values.at("now"), Value::Timestamp(Ts("2026-01-01T00:00:00Z")));
}

TEST(MetricParams, HoursAndLast24HoursEndAtNow) {
  auto h = ResolveParams(Metric(WindowKind::kHours), {{"hours", "3"}}, kNow);
  EXPECT_EQ(*h->from, Ts("2026-11-21T10:30:00Z"));
  EXPECT_EQ(*h->to, kNow);
  auto d = ResolveParams(Metric(WindowKind::kLast24Hours), {}, kNow);
  EXPECT_EQ(*d->from, Ts("2026-11-20T13:30:00Z"));
  EXPECT_EQ(*d->to, kNow);
}

TEST(MetricParams, RangeIsInclusiveOfBothDatesAndHasAPreviousWindow) {
  auto r = ResolveParams(Metric(WindowKind::kRange),
                         {{"start", "2026-11-01"}, {"end", "2026-11-07"}}, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->from, Ts("2026-11-01T00:00:00Z"));
  EXPECT_EQ(*r->to, Ts("2026-11-08T00:00:00Z"));
  EXPECT_EQ(r->values.at("prev_from"), Value::Timestamp(Ts("2026-10-25T00:00:00Z")));
  auto same_day = ResolveParams(Metric(WindowKind::kRange),
                                {{"start", "2026-11-01"}, {"end", "2026-11-01"}}, kNow);
  EXPECT_EQ(*same_day->to - *same_day->from, 24LL * 3600 * 1000000);
  // Without start and end, a range metric takes the last `days` days.
  auto days = ResolveParams(Metric(WindowKind::kRange), {{"days", "2"}}, kNow);
  EXPECT_EQ(*days->from, Ts("2026-11-20T00:00:00Z"));
}

TEST(MetricParams, BadWindowsAreClearErrors) {
  MetricDef range = Metric(WindowKind::kRange);
  EXPECT_EQ(Error(range, {{"start", "2026-11-08"}, {"end", "2026-11-01"}}),
            "parameter 'start' (2026-11-08) is after 'end' (2026-11-01); start must be on or "
            "before end");
  EXPECT_EQ(Error(range, {{"start", "2026-02-30"}, {"end", "2026-03-01"}}),
            "parameter 'start' must be a date YYYY-MM-DD, got '2026-02-30'");
  EXPECT_EQ(Error(range, {{"start", "2025-01-01"}, {"end", "2026-01-01"}}), "(ok)")
      << "366 days is allowed";
  EXPECT_NE(
      Error(range, {{"start", "2025-01-01"}, {"end", "2026-01-02"}})
          .find("the range 2025-01-01 .. 2026-01-02 spans 367 days; at most 366 days are allowed"),
      std::string::npos);
  EXPECT_EQ(Error(range, {{"start", "2026-11-01"}}),
            "parameter 'end' is missing: give both start and end (inclusive dates YYYY-MM-DD), or "
            "neither for the last 'days' days");
  EXPECT_EQ(Error(Metric(WindowKind::kDays), {{"days", "0"}}),
            "parameter 'days' must be an integer from 1 to 366, got '0'");
  EXPECT_EQ(Error(Metric(WindowKind::kDays), {{"days", "367"}}),
            "parameter 'days' must be an integer from 1 to 366, got '367'");
  EXPECT_EQ(Error(Metric(WindowKind::kDays), {{"days", "7x"}}),
            "parameter 'days' must be an integer from 1 to 366, got '7x'");
  EXPECT_EQ(Error(Metric(WindowKind::kHours), {{"hours", "721"}}),
            "parameter 'hours' must be an integer from 1 to 720, got '721'");
  EXPECT_EQ(Error(Metric(WindowKind::kDays), {{"asOf", "yesterday"}}),
            "parameter 'asOf' must be an ISO-8601 timestamp such as 2026-11-21T13:00:00Z, got "
            "'yesterday'");
}

TEST(MetricParams, UnknownAndRepeatedParametersAreErrors) {
  EXPECT_EQ(Error(Metric(WindowKind::kDays), {{"dayz", "7"}}),
            "unknown parameter 'dayz' for metric 'm'; did you mean 'days'? it accepts: days, asOf");
  EXPECT_EQ(Error(Metric(WindowKind::kDays), {{"days", "7"}, {"days", "8"}}),
            "parameter 'days' is given more than once; give it once");
  EXPECT_NE(Error(Metric(WindowKind::kLast24Hours), {{"days", "7"}}).find("it accepts: asOf"),
            std::string::npos);
  // Names the caller handles itself pass through.
  EXPECT_TRUE(ResolveParams(Metric(WindowKind::kDays), {{"source", "a"}}, kNow, {"source"}).ok());
}

MetricDef WithParams() {
  MetricDef m = Metric(WindowKind::kNone);
  PackParam limit;
  limit.name = "limit";
  limit.type = PackParam::Type::kInt;
  limit.min = 1;
  limit.max = 1000;
  limit.default_int = 100;
  PackParam currency;
  currency.name = "currency";
  currency.type = PackParam::Type::kString;
  currency.pattern = "^[A-Za-z]{3}$";
  PackParam steps;
  steps.name = "steps";
  steps.type = PackParam::Type::kList;
  steps.item_pattern = "^[a-z_]+$";
  steps.min_items = 1;
  steps.max_items = 3;
  steps.default_list = {"a", "b"};
  m.params = {limit, currency, steps};
  return m;
}

TEST(MetricParams, DeclaredParametersGetDefaultsAndBounds) {
  auto r = ResolveParams(WithParams(), {}, kNow);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->values.at("limit"), Value::Int64(100));
  EXPECT_TRUE(r->values.at("currency").is_null());
  ASSERT_EQ(r->lists.at("steps").size(), 2u);
  EXPECT_EQ(r->lists.at("steps")[1].at(""), Value::String("b"));

  auto given =
      ResolveParams(WithParams(), {{"limit", "5"}, {"currency", "USD"}, {"steps", "x, y"}}, kNow);
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  EXPECT_EQ(given->values.at("limit"), Value::Int64(5));
  EXPECT_EQ(given->values.at("currency"), Value::String("USD"));
  EXPECT_EQ(given->lists.at("steps")[1].at(""), Value::String("y"));
  EXPECT_NE(given->canonical, r->canonical);

  EXPECT_EQ(Error(WithParams(), {{"limit", "1001"}}),
            "parameter 'limit' must be an integer from 1 to 1000, got '1001'");
  EXPECT_EQ(Error(WithParams(), {{"currency", "US'D"}}),
            "parameter 'currency' must match ^[A-Za-z]{3}$, got 'US'D'");
  EXPECT_EQ(Error(WithParams(), {{"steps", "a,,b"}}),
            "parameter 'steps' has an empty item; write a comma separated list such as a,b,c");
  EXPECT_EQ(Error(WithParams(), {{"steps", "a,b,c,d"}}),
            "parameter 'steps' must have 1 to 3 items, got 4");
  EXPECT_EQ(Error(WithParams(), {{"steps", "a,B"}}),
            "parameter 'steps': item 'B' must match ^[a-z_]+$");
}

TEST(MetricParams, CanonicalFormIsTheSameForEquivalentRequests) {
  auto a = ResolveParams(WithParams(), {{"limit", "100"}}, kNow);
  auto b = ResolveParams(WithParams(), {}, kNow);
  EXPECT_EQ(a->canonical, b->canonical);
}

}  // namespace
}  // namespace tributary
