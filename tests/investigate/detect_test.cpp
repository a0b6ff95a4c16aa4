// Change detection (docs/investigate.md, "How changes are found"): every expectation below is
// computed by hand from the points in the test.
#include "investigate/detect.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace tributary::investigate {
namespace {

constexpr int64_t kSecond = 1'000'000;
// Baseline window [0, 100 s), investigated window [100 s, 200 s).
constexpr int64_t kBaselineStart = 0;
constexpr int64_t kStart = 100 * kSecond;
constexpr int64_t kEnd = 200 * kSecond;

//! Points at 10 s steps from `from_seconds`.
std::vector<SeriesPoint> PointsFrom(int64_t from_seconds, const std::vector<double>& values) {
  std::vector<SeriesPoint> points;
  for (size_t i = 0; i < values.size(); ++i) {
    points.push_back({(from_seconds + static_cast<int64_t>(i) * 10) * kSecond, values[i]});
  }
  return points;
}

Baseline MakeBaseline(double median, double mad, double threshold) {
  Baseline baseline;
  baseline.median = median;
  baseline.mad = mad;
  baseline.threshold = threshold;
  baseline.points = 3;
  return baseline;
}

TEST(DetectBaseline, OddCountMedianAndMad) {
  // 1 5 3 -> median 3; |x - 3| = 2 2 0 -> MAD 2; threshold max(3 x 2, 3 + 3 x 2) = 9.
  auto baseline = ComputeBaseline(PointsFrom(0, {1, 5, 3}), kBaselineStart, kStart, 2.0);
  ASSERT_TRUE(baseline.has_value());
  EXPECT_DOUBLE_EQ(baseline->median, 3);
  EXPECT_DOUBLE_EQ(baseline->mad, 2);
  EXPECT_DOUBLE_EQ(baseline->threshold, 9);
  EXPECT_EQ(baseline->points, 3);
}

TEST(DetectBaseline, EvenCountMedianIsTheMeanOfTheMiddleTwo) {
  // 10 1 3 2 -> sorted 1 2 3 10 -> median 2.5; |x - 2.5| = 7.5 1.5 0.5 0.5 -> sorted
  // 0.5 0.5 1.5 7.5 -> MAD 1; threshold max(2.5 x 2 = 5, 2.5 + 3 = 5.5) = 5.5.
  auto baseline = ComputeBaseline(PointsFrom(0, {10, 1, 3, 2}), kBaselineStart, kStart, 2.0);
  ASSERT_TRUE(baseline.has_value());
  EXPECT_DOUBLE_EQ(baseline->median, 2.5);
  EXPECT_DOUBLE_EQ(baseline->mad, 1);
  EXPECT_DOUBLE_EQ(baseline->threshold, 5.5);
  EXPECT_EQ(baseline->points, 4);
}

TEST(DetectBaseline, MultipleWinsWhenTheSeriesIsQuiet) {
  // 4 4 4 4 4 -> median 4, MAD 0; threshold max(4 x 3 = 12, 4 + 0) = 12.
  auto baseline = ComputeBaseline(PointsFrom(0, {4, 4, 4, 4, 4}), kBaselineStart, kStart, 3.0);
  ASSERT_TRUE(baseline.has_value());
  EXPECT_DOUBLE_EQ(baseline->median, 4);
  EXPECT_DOUBLE_EQ(baseline->mad, 0);
  EXPECT_DOUBLE_EQ(baseline->threshold, 12);
}

TEST(DetectBaseline, FewerThanMinPointsGivesNoBaseline) {
  EXPECT_FALSE(ComputeBaseline(PointsFrom(0, {1, 2}), kBaselineStart, kStart, 2.0).has_value());
  EXPECT_FALSE(ComputeBaseline({}, kBaselineStart, kStart, 2.0).has_value());
  EXPECT_FALSE(ComputeBaseline({}, kBaselineStart, kStart, 2.0, 0).has_value());
  // The minimum is a parameter: 1 2 -> median 1.5, |x - 1.5| = 0.5 0.5 -> MAD 0.5,
  // threshold max(3, 1.5 + 1.5) = 3.
  auto two = ComputeBaseline(PointsFrom(0, {1, 2}), kBaselineStart, kStart, 2.0, 2);
  ASSERT_TRUE(two.has_value());
  EXPECT_DOUBLE_EQ(two->median, 1.5);
  EXPECT_DOUBLE_EQ(two->mad, 0.5);
  EXPECT_DOUBLE_EQ(two->threshold, 3);
}

TEST(DetectBaseline, NanAndInfinityAreIgnored) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  // Finite: 1 2 6 -> median 2, |x - 2| = 1 0 4 -> MAD 1; threshold max(4, 5) = 5.
  auto baseline =
      ComputeBaseline(PointsFrom(0, {1, nan, 2, inf, -inf, 6}), kBaselineStart, kStart, 2.0);
  ASSERT_TRUE(baseline.has_value());
  EXPECT_DOUBLE_EQ(baseline->median, 2);
  EXPECT_DOUBLE_EQ(baseline->mad, 1);
  EXPECT_DOUBLE_EQ(baseline->threshold, 5);
  EXPECT_EQ(baseline->points, 3);
  // Two finite points and two NaNs are too few.
  EXPECT_FALSE(
      ComputeBaseline(PointsFrom(0, {1, nan, 2, nan}), kBaselineStart, kStart, 2.0).has_value());
}

TEST(DetectBaseline, OnlyPointsOfTheBaselineWindowCount) {
  std::vector<SeriesPoint> points = {
      {-10 * kSecond, 1000},  // before baseline_start
      {0, 1},                 // at baseline_start: in
      {50 * kSecond, 2},
      {90 * kSecond, 3},
      {kStart, 500},  // at start: already the investigated window
      {150 * kSecond, 700},
  };
  // 1 2 3 -> median 2, |x - 2| = 1 0 1 -> MAD 1; threshold max(4, 5) = 5.
  auto baseline = ComputeBaseline(points, kBaselineStart, kStart, 2.0);
  ASSERT_TRUE(baseline.has_value());
  EXPECT_DOUBLE_EQ(baseline->median, 2);
  EXPECT_DOUBLE_EQ(baseline->mad, 1);
  EXPECT_DOUBLE_EQ(baseline->threshold, 5);
  EXPECT_EQ(baseline->points, 3);
}

TEST(DetectBaseline, ZeroBaselineHasZeroThreshold) {
  auto baseline = ComputeBaseline(PointsFrom(0, {0, 0, 0, 0}), kBaselineStart, kStart, 2.0);
  ASSERT_TRUE(baseline.has_value());
  EXPECT_DOUBLE_EQ(baseline->median, 0);
  EXPECT_DOUBLE_EQ(baseline->mad, 0);
  EXPECT_DOUBLE_EQ(baseline->threshold, 0);
}

TEST(DetectCrossings, ZeroBaselineEveryPositiveValueIsAShiftWithoutRatio) {
  auto baseline = ComputeBaseline(PointsFrom(0, {0, 0, 0}), kBaselineStart, kStart, 2.0);
  ASSERT_TRUE(baseline.has_value());
  auto crossings = FindCrossings(PointsFrom(100, {0, 0, 0.001, 0}), *baseline, kStart, kEnd);
  ASSERT_EQ(crossings.size(), 2u);
  EXPECT_EQ(crossings[0].kind, Crossing::Kind::kShift);
  EXPECT_EQ(crossings[0].time_us, 120 * kSecond);
  EXPECT_DOUBLE_EQ(crossings[0].value, 0.001);
  EXPECT_FALSE(crossings[0].ratio.has_value());
  EXPECT_EQ(crossings[1].kind, Crossing::Kind::kRecovery);
  EXPECT_EQ(crossings[1].time_us, 130 * kSecond);
  EXPECT_FALSE(crossings[1].ratio.has_value());
}

TEST(DetectCrossings, ShiftAndRecoveryWithRatio) {
  // median 1, threshold 2: 2 is at the threshold (not above), 3 is the shift (ratio 3), 5
  // stays above, 2 is the recovery (ratio 2), 1 stays below.
  const Baseline baseline = MakeBaseline(1, 0, 2);
  auto crossings = FindCrossings(PointsFrom(100, {1, 1.5, 2, 3, 5, 2, 1}), baseline, kStart, kEnd);
  ASSERT_EQ(crossings.size(), 2u);
  EXPECT_EQ(crossings[0].kind, Crossing::Kind::kShift);
  EXPECT_EQ(crossings[0].time_us, 130 * kSecond);
  EXPECT_DOUBLE_EQ(crossings[0].value, 3);
  ASSERT_TRUE(crossings[0].ratio.has_value());
  EXPECT_DOUBLE_EQ(*crossings[0].ratio, 3);
  EXPECT_EQ(crossings[1].kind, Crossing::Kind::kRecovery);
  EXPECT_EQ(crossings[1].time_us, 150 * kSecond);
  EXPECT_DOUBLE_EQ(crossings[1].value, 2);
  ASSERT_TRUE(crossings[1].ratio.has_value());
  EXPECT_DOUBLE_EQ(*crossings[1].ratio, 2);
}

TEST(DetectCrossings, FirstPointAlreadyAboveIsAShiftAtStart) {
  const Baseline baseline = MakeBaseline(1, 0, 2);
  auto crossings = FindCrossings(PointsFrom(100, {4, 4, 4}), baseline, kStart, kEnd);
  ASSERT_EQ(crossings.size(), 1u);
  EXPECT_EQ(crossings[0].kind, Crossing::Kind::kShift);
  EXPECT_EQ(crossings[0].time_us, kStart);
  EXPECT_DOUBLE_EQ(*crossings[0].ratio, 4);
}

TEST(DetectCrossings, FlappingSeriesGivesAShiftAndARecoveryPerFlap) {
  const Baseline baseline = MakeBaseline(1, 0, 2);
  auto crossings =
      FindCrossings(PointsFrom(100, {3, 1, 3, 1, 3, 3, 1, 1, 3}), baseline, kStart, kEnd);
  const std::vector<std::pair<Crossing::Kind, int64_t>> expected = {
      {Crossing::Kind::kShift, 100}, {Crossing::Kind::kRecovery, 110},
      {Crossing::Kind::kShift, 120}, {Crossing::Kind::kRecovery, 130},
      {Crossing::Kind::kShift, 140}, {Crossing::Kind::kRecovery, 160},
      {Crossing::Kind::kShift, 180}};
  ASSERT_EQ(crossings.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(crossings[i].kind, expected[i].first) << "crossing " << i;
    EXPECT_EQ(crossings[i].time_us, expected[i].second * kSecond) << "crossing " << i;
  }
}

TEST(DetectCrossings, PointsOutsideTheWindowAreIgnored) {
  const Baseline baseline = MakeBaseline(1, 0, 2);
  std::vector<SeriesPoint> points = {
      {90 * kSecond, 50},               // baseline window: above, but not in [start, end)
      {kStart, 1},                      // below at start: no shift yet
      {150 * kSecond, 1},  {kEnd, 50},  // at end: outside
      {250 * kSecond, 50},              // after end
  };
  EXPECT_TRUE(FindCrossings(points, baseline, kStart, kEnd).empty());
}

TEST(DetectCrossings, UnsortedPointsAreReadInTimeOrder) {
  const Baseline baseline = MakeBaseline(1, 0, 2);
  // In time order: 100 s -> 1, 110 s -> 5 (shift), 120 s -> 1 (recovery).
  std::vector<SeriesPoint> points = {{120 * kSecond, 1}, {100 * kSecond, 1}, {110 * kSecond, 5}};
  auto crossings = FindCrossings(points, baseline, kStart, kEnd);
  ASSERT_EQ(crossings.size(), 2u);
  EXPECT_EQ(crossings[0].kind, Crossing::Kind::kShift);
  EXPECT_EQ(crossings[0].time_us, 110 * kSecond);
  EXPECT_EQ(crossings[1].kind, Crossing::Kind::kRecovery);
  EXPECT_EQ(crossings[1].time_us, 120 * kSecond);
}

TEST(DetectCrossings, NanInsideAShiftNeitherEndsNorRestartsIt) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Baseline baseline = MakeBaseline(1, 0, 2);
  auto crossings = FindCrossings(PointsFrom(100, {1, inf, 3, nan, 4, 1}), baseline, kStart, kEnd);
  ASSERT_EQ(crossings.size(), 2u);
  EXPECT_EQ(crossings[0].kind, Crossing::Kind::kShift);
  EXPECT_EQ(crossings[0].time_us, 120 * kSecond);
  EXPECT_EQ(crossings[1].kind, Crossing::Kind::kRecovery);
  EXPECT_EQ(crossings[1].time_us, 150 * kSecond);
}

TEST(DetectCrossings, ComputedBaselineEndToEnd) {
  // Baseline 0.01 0.012 0.008 0.01 -> sorted 0.008 0.01 0.01 0.012 -> median 0.01;
  // |x - 0.01| = 0 0.002 0.002 0 -> MAD 0.001; threshold max(0.02, 0.013) = 0.02.
  std::vector<SeriesPoint> points = PointsFrom(60, {0.01, 0.012, 0.008, 0.01});
  for (const SeriesPoint& point : PointsFrom(100, {0.011, 0.31, 0.25, 0.012})) {
    points.push_back(point);
  }
  auto baseline = ComputeBaseline(points, kBaselineStart, kStart, 2.0);
  ASSERT_TRUE(baseline.has_value());
  EXPECT_NEAR(baseline->median, 0.01, 1e-12);
  EXPECT_NEAR(baseline->mad, 0.001, 1e-12);
  EXPECT_NEAR(baseline->threshold, 0.02, 1e-12);
  auto crossings = FindCrossings(points, *baseline, kStart, kEnd);
  ASSERT_EQ(crossings.size(), 2u);
  EXPECT_EQ(crossings[0].time_us, 110 * kSecond);
  EXPECT_NEAR(*crossings[0].ratio, 31, 1e-9);
  EXPECT_EQ(crossings[1].kind, Crossing::Kind::kRecovery);
  EXPECT_EQ(crossings[1].time_us, 130 * kSecond);
}

TEST(DetectStep, RequestedStepWins) {
  EXPECT_EQ(ChooseStepSeconds(3600 * kSecond, 240, 7), 7);
  EXPECT_EQ(ChooseStepSeconds(3600 * kSecond, 2, 1), 1);
}

TEST(DetectStep, SmallestStepGivingAtMostMaxPoints) {
  // 60 s at 1 s = 60 points.
  EXPECT_EQ(ChooseStepSeconds(60 * kSecond, 240, 0), 1);
  // 1 h: 3600 / 10 = 360 > 240; 3600 / 15 = 240 points exactly.
  EXPECT_EQ(ChooseStepSeconds(3600 * kSecond, 240, 0), 15);
  // One microsecond more needs a 241st point at 15 s: 30 s.
  EXPECT_EQ(ChooseStepSeconds(3600 * kSecond + 1, 240, 0), 30);
  // 24 h: 1440 at 1 m, 288 at 5 m, 96 at 15 m.
  EXPECT_EQ(ChooseStepSeconds(86400 * kSecond, 240, 0), 15 * 60);
  // 100 days: 400 at 6 h, 100 at 1 d.
  EXPECT_EQ(ChooseStepSeconds(100 * 86400 * kSecond, 240, 0), 86400);
}

TEST(DetectStep, LargestStepWhenNoneFits) {
  // 365 days at 1 d is still 365 points.
  EXPECT_EQ(ChooseStepSeconds(365 * 86400 * kSecond, 240, 0), 86400);
  EXPECT_EQ(ChooseStepSeconds(3600 * kSecond, 0, 0), 86400);
}

}  // namespace
}  // namespace tributary::investigate
