// Change detection for investigations (docs/investigate.md, "How changes are found"): a
// series' baseline from the window before the one asked about, the threshold it must cross,
// and the shifts and recoveries inside the window. Pure arithmetic on the points a source
// returned, so every timeline entry can be checked by hand from the evidence.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tributary::investigate {

//! One point of a series: the start of its step (unix microseconds) and the value there.
struct SeriesPoint {
  int64_t time_us = 0;
  double value = 0;
};

//! The baseline of a series and the threshold a point must exceed to count as a shift.
struct Baseline {
  //! The median of the baseline points (the mean of the two middle ones for an even count).
  double median = 0;
  //! The median absolute deviation of the baseline points: the median of |point - median|.
  double mad = 0;
  //! max(median × multiple, median + 3 × mad).
  double threshold = 0;
  //! How many points it was computed from.
  int64_t points = 0;
};

//! The baseline of the points with `baseline_start_us <= time < start_us`; nullopt when fewer
//! than `min_points` (or no) points lie there. NaN and infinite values are ignored (they do not
//! count as points). The order of the points does not matter.
std::optional<Baseline> ComputeBaseline(const std::vector<SeriesPoint>& points,
                                        int64_t baseline_start_us, int64_t start_us,
                                        double multiple, int64_t min_points = 3);

//! A crossing of the threshold inside the window.
struct Crossing {
  enum class Kind { kShift, kRecovery };
  Kind kind = Kind::kShift;
  int64_t time_us = 0;
  double value = 0;
  //! value / baseline median; nullopt when the median is 0.
  std::optional<double> ratio;
};

//! The shifts (a point above the threshold after one at or below it, or the first point of
//! the window when it is already above) and recoveries (the first point back at or below it
//! after a shift) among the points with `start_us <= time < end_us`, in time order. "Above"
//! is strictly greater than the threshold. NaN and infinite values are ignored (they neither
//! cross nor end a shift). The points need not be sorted: those of the window are read in time
//! order (equal times in their given order), so a flapping series gives a shift and a recovery
//! per flap.
std::vector<Crossing> FindCrossings(const std::vector<SeriesPoint>& points,
                                    const Baseline& baseline, int64_t start_us, int64_t end_us);

//! The step for a window: `requested_seconds` when > 0, else the smallest of 1 s, 5 s, 10 s,
//! 15 s, 30 s, 1 m, 5 m, 15 m, 30 m, 1 h, 6 h, 1 d that gives at most `max_points` points over
//! `span_us` (the largest when none does). A span gives ceil(span / step) points (one per step
//! start in [start, end)).
int64_t ChooseStepSeconds(int64_t span_us, int64_t max_points, int64_t requested_seconds);

}  // namespace tributary::investigate
