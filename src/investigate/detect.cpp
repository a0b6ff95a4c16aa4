// Change detection (docs/investigate.md, "How changes are found"); see detect.h.
#include "investigate/detect.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace tributary::investigate {
namespace {

//! The median of `values` (the mean of the two middle values for an even count); reorders
//! them. `values` must not be empty.
double MedianOf(std::vector<double>& values) {
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  // The lower middle value is the largest of the elements before `mid`.
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return lower + (upper - lower) / 2;
}

bool InWindow(const SeriesPoint& point, int64_t from_us, int64_t to_us) {
  return point.time_us >= from_us && point.time_us < to_us && std::isfinite(point.value);
}

}  // namespace

std::optional<Baseline> ComputeBaseline(const std::vector<SeriesPoint>& points,
                                        int64_t baseline_start_us, int64_t start_us,
                                        double multiple, int64_t min_points) {
  std::vector<double> values;
  for (const SeriesPoint& point : points) {
    if (InWindow(point, baseline_start_us, start_us)) values.push_back(point.value);
  }
  if (values.empty() || static_cast<int64_t>(values.size()) < min_points) return std::nullopt;
  Baseline baseline;
  baseline.points = static_cast<int64_t>(values.size());
  baseline.median = MedianOf(values);
  for (double& value : values) value = std::fabs(value - baseline.median);
  baseline.mad = MedianOf(values);
  baseline.threshold = std::max(baseline.median * multiple, baseline.median + 3 * baseline.mad);
  return baseline;
}

std::vector<Crossing> FindCrossings(const std::vector<SeriesPoint>& points,
                                    const Baseline& baseline, int64_t start_us, int64_t end_us) {
  std::vector<SeriesPoint> window;
  for (const SeriesPoint& point : points) {
    if (InWindow(point, start_us, end_us)) window.push_back(point);
  }
  // Equal times keep their given order, so a sorted input is read exactly as given.
  std::stable_sort(window.begin(), window.end(), [](const SeriesPoint& a, const SeriesPoint& b) {
    return a.time_us < b.time_us;
  });
  std::vector<Crossing> crossings;
  bool above = false;  // The window's start counts as a point at or below the threshold.
  for (const SeriesPoint& point : window) {
    const bool now_above = point.value > baseline.threshold;
    if (now_above == above) continue;
    above = now_above;
    Crossing crossing;
    crossing.kind = now_above ? Crossing::Kind::kShift : Crossing::Kind::kRecovery;
    crossing.time_us = point.time_us;
    crossing.value = point.value;
    if (baseline.median != 0) crossing.ratio = point.value / baseline.median;
    crossings.push_back(crossing);
  }
  return crossings;
}

int64_t ChooseStepSeconds(int64_t span_us, int64_t max_points, int64_t requested_seconds) {
  if (requested_seconds > 0) return requested_seconds;
  static constexpr std::array<int64_t, 12> kSteps = {
      1, 5, 10, 15, 30, 60, 5 * 60, 15 * 60, 30 * 60, 3600, 6 * 3600, 86400};
  const int64_t span = std::max<int64_t>(span_us, 0);
  for (int64_t step : kSteps) {
    const int64_t step_us = step * 1'000'000;
    const int64_t points = span / step_us + (span % step_us != 0 ? 1 : 0);
    if (points <= max_points) return step;
  }
  return kSteps.back();
}

}  // namespace tributary::investigate
