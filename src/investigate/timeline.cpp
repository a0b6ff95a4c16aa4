// The timeline and the affected components of an investigation, computed from the evidence
// alone (docs/investigate.md, "How changes are found").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "investigate/detect.h"
#include "investigate/internal.h"

namespace tributary::investigate {

namespace {

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void AddUnique(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

}  // namespace

void BuildTimeline(const InvestigateConfig& config, Investigation& investigation) {
  const int64_t start = investigation.request.start_us;
  const int64_t end = investigation.request.end_us;
  std::vector<TimelineEntry>& timeline = investigation.timeline;
  timeline.clear();
  for (SourceEvidence& evidence : investigation.evidence) {
    if (evidence.status != "ok") continue;
    for (EvidenceSeries& series : evidence.series) {
      std::sort(series.points.begin(), series.points.end(),
                [](const SeriesPoint& a, const SeriesPoint& b) { return a.time_us < b.time_us; });
      series.baseline = ComputeBaseline(series.points, investigation.baseline_start_us, start,
                                        config.baseline_multiple);
      if (!series.baseline) continue;
      const Baseline& baseline = *series.baseline;
      for (const Crossing& crossing : FindCrossings(series.points, baseline, start, end)) {
        TimelineEntry entry;
        entry.time_us = crossing.time_us;
        entry.kind = crossing.kind == Crossing::Kind::kShift ? "shift" : "recovery";
        entry.service = series.service;
        entry.source = evidence.source;
        entry.signal = series.signal;
        entry.value = crossing.value;
        entry.baseline = baseline.median;
        entry.threshold = baseline.threshold;
        entry.ratio = crossing.ratio;
        const std::string what = series.signal + " of " + series.service;
        if (crossing.kind == Crossing::Kind::kShift) {
          if (crossing.ratio) {
            entry.description = what + " rose to " + Number(*crossing.ratio) + "× its baseline (" +
                                Number(baseline.median) + " → " + Number(crossing.value) + ")";
          } else {
            entry.description =
                what + " rose to " + Number(crossing.value) + " from a baseline of 0";
          }
        } else {
          entry.description = what + " back at or under its threshold " +
                              Number(baseline.threshold) + " (" + Number(crossing.value) + ")";
        }
        timeline.push_back(std::move(entry));
      }
    }
    for (const ChangeRecord& change : evidence.changes) {
      if (change.time_us < start || change.time_us >= end) continue;
      TimelineEntry entry;
      entry.time_us = change.time_us;
      entry.kind = "deploy_or_change";
      entry.service = change.service;
      entry.source = evidence.source;
      entry.signal = "change";
      entry.description = change.description;
      timeline.push_back(std::move(entry));
    }
  }
  std::stable_sort(timeline.begin(), timeline.end(),
                   [](const TimelineEntry& a, const TimelineEntry& b) {
                     if (a.time_us != b.time_us) return a.time_us < b.time_us;
                     if (a.source != b.source) return a.source < b.source;
                     return a.signal < b.signal;
                   });

  std::vector<Component>& components = investigation.components;
  components.clear();
  for (const TimelineEntry& entry : timeline) {
    if (entry.kind != "shift") continue;
    auto it = std::find_if(components.begin(), components.end(),
                           [&](const Component& c) { return c.service == entry.service; });
    if (it == components.end()) {
      components.push_back({entry.service, {}, {}, entry.time_us});
      it = components.end() - 1;
    }
    AddUnique(it->signals, entry.signal);
    AddUnique(it->sources, entry.source);
  }
  // The timeline is in time order, so the components already are by first shift.
}

}  // namespace tributary::investigate
