// The ECharts option of one evidence series: its points over [baseline_start, end), the baseline
// window shaded, the baseline and the threshold as lines, and the timeline's shifts and
// recoveries of that series as markers, so a reader can check each entry against the points.

import type { ChartOption } from '../../components/Chart';
import type { EvidenceSeries, InvestigationAnswer, TimelineEntry } from '../../api/investigate';
import { formatCompact, formatNumber, formatTimestamp } from '../../format';

const SHIFT_COLOR = '#dc2626';
const RECOVERY_COLOR = '#16a34a';
const BASELINE_COLOR = '#64748b';
const THRESHOLD_COLOR = '#d97706';

/** The timeline entries (shifts and recoveries) that belong to this series of this source. */
export function seriesMarkers(
  timeline: readonly TimelineEntry[],
  source: string,
  series: Pick<EvidenceSeries, 'signal' | 'service'>,
): TimelineEntry[] {
  return timeline.filter(
    (e) =>
      e.source === source &&
      e.signal === series.signal &&
      e.service === series.service &&
      (e.kind === 'shift' || e.kind === 'recovery'),
  );
}

/** Axis labels: compact for large values ("4K"), exact enough for rates ("0.05"). */
export function axisNumber(v: number): string {
  return Math.abs(v) >= 1000 ? formatCompact(v) : formatNumber(v);
}

export function seriesChartOption(
  series: EvidenceSeries,
  source: string,
  answer: Pick<InvestigationAnswer, 'window' | 'timeline'>,
): ChartOption {
  const markers = seriesMarkers(answer.timeline, source, series);
  const lines: object[] = [];
  const line = (name: string, y: number, color: string, label: string, below = false) =>
    lines.push({
      name,
      yAxis: y,
      lineStyle: { color, type: 'dashed' },
      // At the start, over the baseline window, where the shift markers never are; the baseline
      // under its line and the threshold above its own, so close lines keep readable labels.
      label: { formatter: label, position: below ? 'insideStartBottom' : 'insideStartTop', color },
    });
  const baseline = typeof series.baseline === 'number' ? series.baseline : null;
  const threshold = typeof series.threshold === 'number' ? series.threshold : null;
  if (baseline !== null && threshold !== null && baseline === threshold) {
    // A baseline of 0: every positive value crosses, one line says both.
    line('baseline', baseline, THRESHOLD_COLOR, `baseline = threshold ${formatNumber(baseline)}`);
  } else {
    if (baseline !== null) line('baseline', baseline, BASELINE_COLOR, `baseline ${formatNumber(baseline)}`, true);
    if (threshold !== null) line('threshold', threshold, THRESHOLD_COLOR, `threshold ${formatNumber(threshold)}`);
  }
  return {
    // The API's times are UTC, and so is every other time on the page.
    useUTC: true,
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      valueFormatter: (v: unknown) => (typeof v === 'number' ? formatNumber(v) : String(v)),
    },
    xAxis: {
      type: 'time',
      min: answer.window.baseline_start,
      max: answer.window.end,
      axisLabel: {
        hideOverlap: true,
        formatter: { year: '{yyyy}', month: '{MMM} {d}', day: '{MMM} {d}', hour: '{HH}:{mm}', minute: '{HH}:{mm}' },
      },
    },
    yAxis: { type: 'value', axisLabel: { formatter: axisNumber } },
    series: [
      {
        name: `${series.signal} of ${series.service}`,
        type: 'line',
        showSymbol: series.points.length < 60,
        symbolSize: 4,
        // A step without data is absent from the points (never a made-up zero); the line joins
        // the points that exist.
        data: series.points,
        markArea: {
          silent: true,
          itemStyle: { color: 'rgba(100, 116, 139, 0.12)' },
          label: {
            show: true,
            position: 'insideTop',
            formatter: 'baseline window',
            fontSize: 11,
            color: BASELINE_COLOR,
          },
          data: [[{ xAxis: answer.window.baseline_start }, { xAxis: answer.window.start }]],
        },
        markLine: lines.length > 0 ? { silent: true, symbol: 'none', data: lines } : undefined,
        markPoint:
          markers.length > 0
            ? {
                symbol: 'pin',
                symbolSize: 36,
                label: { fontSize: 10, formatter: (p: { name: string }) => (p.name === 'shift' ? '▲' : '▼') },
                data: markers.map((m) => ({
                  name: m.kind,
                  coord: [m.time, m.value ?? 0],
                  itemStyle: { color: m.kind === 'shift' ? SHIFT_COLOR : RECOVERY_COLOR },
                  tooltip: { formatter: `${m.kind} at ${formatTimestamp(m.time)}` },
                })),
              }
            : undefined,
      },
    ],
  };
}
