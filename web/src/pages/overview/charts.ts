// ECharts options for the overview's charts, built from the metric rows (pure, no React).

import type { ChartOption } from '../../components/Chart';
import { formatCompact, formatInt, formatPercent } from '../../format';
import type { DailySeries, FunnelStep } from './series';
import { stepLabel } from './series';

const axisLabel = { formatter: (v: number) => formatCompact(v) };

/** Users (left axis) and events (right axis) per day: two scales, events are ~10x users. */
export function dailyOption(series: DailySeries): ChartOption {
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatInt(v) },
    legend: { top: 0 },
    grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: series.dates, axisLabel: { formatter: (d: string) => d.slice(5) } },
    yAxis: [
      { type: 'value', name: 'users', axisLabel },
      { type: 'value', name: 'events', axisLabel, splitLine: { show: false } },
    ],
    series: [
      { name: 'Users', type: 'line', data: series.values.users, yAxisIndex: 0, symbolSize: 5, smooth: false },
      {
        name: 'Events',
        type: 'line',
        data: series.values.events,
        yAxisIndex: 1,
        symbolSize: 5,
        areaStyle: { opacity: 0.08 },
      },
    ],
  };
}

/** Page views per feature as horizontal bars, the largest on top. */
export function featuresOption(rows: { feature: string; views: number }[]): ChartOption {
  const sorted = [...rows].sort((a, b) => a.views - b.views);
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number) => formatInt(v) },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', axisLabel },
    yAxis: { type: 'category', data: sorted.map((r) => r.feature) },
    series: [
      {
        name: 'Page views',
        type: 'bar',
        data: sorted.map((r) => r.views),
        label: { show: true, position: 'right', formatter: (p: { value: number }) => formatCompact(p.value) },
      },
    ],
  };
}

/** The funnel in step order; each label has the users and the conversion from the step before. */
export function funnelOption(steps: FunnelStep[]): ChartOption {
  return {
    tooltip: {
      trigger: 'item',
      formatter: (p: { dataIndex: number }) => {
        const s = steps[p.dataIndex];
        return `${stepLabel(s.step)}<br/>${formatInt(s.users)} users<br/>${formatPercent(s.conversionRate)} of the step before, ${formatInt(s.dropOff)} dropped off`;
      },
    },
    series: [
      {
        name: 'Funnel',
        type: 'funnel',
        sort: 'none',
        // Labels outside, on the right: readable on every segment colour in both themes.
        left: '2%',
        width: '60%',
        top: 8,
        bottom: 8,
        minSize: '8%',
        gap: 2,
        label: {
          show: true,
          position: 'right',
          formatter: (p: { dataIndex: number }) => {
            const s = steps[p.dataIndex];
            return `${stepLabel(s.step)}: ${formatInt(s.users)}`;
          },
        },
        data: steps.map((s) => ({ name: stepLabel(s.step), value: s.users })),
      },
    ],
  };
}

/** Daily sessions (line) and conversions (bars) on their own axes. */
export function kpisOption(series: DailySeries): ChartOption {
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatInt(v) },
    legend: { top: 0 },
    grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: series.dates, axisLabel: { formatter: (d: string) => d.slice(5) } },
    yAxis: [
      { type: 'value', name: 'sessions', axisLabel },
      { type: 'value', name: 'conversions', axisLabel, splitLine: { show: false } },
    ],
    series: [
      { name: 'Sessions', type: 'line', data: series.values.sessions, yAxisIndex: 0, symbolSize: 5 },
      { name: 'Conversions', type: 'bar', data: series.values.conversions, yAxisIndex: 1, barMaxWidth: 14 },
    ],
  };
}
