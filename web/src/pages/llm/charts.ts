// ECharts options of the LLM page's charts, built from the metric rows (no React here).

import type { ChartOption } from '../../components/Chart';
import { formatCompact, formatDuration, formatInt, formatPercent, formatUsd } from '../../format';
import { buildSeries, DAY_NAMES, DAY_SHORT, hourLabel, type HeatmapMatrix } from './helpers';
import type { AnomalyStats, CostTrend, DailyTraffic, ErrorAnalysis, HourlyTraffic } from './types';

const ERROR_COLOR = '#dc2626';
const LATENCY_COLOR = '#d97706';

// Room on top for the legend and, under it, the axis names.
const grid = { left: 8, right: 8, top: 58, bottom: 8, containLabel: true };
const legend = { top: 0, type: 'scroll' };

function valueAxis(name: string, format: (v: number) => string, position: 'left' | 'right' = 'left') {
  return {
    type: 'value',
    name,
    position,
    nameTextStyle: { align: position },
    axisLabel: { formatter: format },
    splitLine: { show: position === 'left' },
  };
}

/** Requests and errors per hour, latency on a second axis. */
export function hourlyTrafficOption(rows: readonly HourlyTraffic[]): ChartOption {
  const point = (f: 'requests' | 'errors' | 'avgLatencyMs') => rows.map((r) => [r.hour, r[f]]);
  return {
    grid,
    legend,
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time' },
    yAxis: [valueAxis('requests', formatCompact), valueAxis('latency', (v) => formatDuration(v), 'right')],
    series: [
      {
        name: 'Requests',
        type: 'line',
        showSymbol: false,
        areaStyle: { opacity: 0.15 },
        data: point('requests'),
        tooltip: { valueFormatter: formatInt },
      },
      {
        name: 'Errors',
        type: 'line',
        showSymbol: false,
        color: ERROR_COLOR,
        data: point('errors'),
        tooltip: { valueFormatter: formatInt },
      },
      {
        name: 'Avg latency',
        type: 'line',
        yAxisIndex: 1,
        showSymbol: false,
        color: LATENCY_COLOR,
        lineStyle: { type: 'dashed', width: 1 },
        data: point('avgLatencyMs'),
        tooltip: { valueFormatter: formatDuration },
      },
    ],
  };
}

/** Requests and errors per day (bars), unique users on a second axis. */
export function dailyTrafficOption(rows: readonly DailyTraffic[]): ChartOption {
  const { x, series } = buildSeries(rows, 'date', ['requests', 'errors', 'uniqueUsers']);
  return {
    grid,
    legend,
    tooltip: { trigger: 'axis', valueFormatter: formatInt },
    xAxis: { type: 'category', data: x },
    yAxis: [valueAxis('requests', formatCompact), valueAxis('users', formatCompact, 'right')],
    series: [
      { name: 'Requests', type: 'bar', data: series.requests },
      { name: 'Errors', type: 'bar', color: ERROR_COLOR, data: series.errors },
      { name: 'Unique users', type: 'line', yAxisIndex: 1, showSymbol: rows.length < 40, data: series.uniqueUsers },
    ],
  };
}

/** Total cost per day, cost per request on a second axis. */
export function costTrendOption(rows: readonly CostTrend[]): ChartOption {
  const { x, series } = buildSeries(rows, 'date', ['totalCost', 'costPerRequest']);
  return {
    grid,
    legend,
    tooltip: { trigger: 'axis', valueFormatter: formatUsd },
    xAxis: { type: 'category', data: x },
    yAxis: [valueAxis('total', (v) => formatUsd(v)), valueAxis('per request', (v) => formatUsd(v), 'right')],
    series: [
      { name: 'Total cost', type: 'bar', data: series.totalCost },
      {
        name: 'Cost per request',
        type: 'line',
        yAxisIndex: 1,
        color: LATENCY_COLOR,
        showSymbol: rows.length < 40,
        data: series.costPerRequest,
      },
    ],
  };
}

/** The heatmap's colour ramp: from the panel's own tone (few requests) to a strong blue (many). */
const HEAT_COLORS = { light: ['#eef3fc', '#1d4ed8'], dark: ['#1c2633', '#60a5fa'] };

/** The 7 x 24 grid: hours across, days down (Sunday first, as the metric numbers them). */
export function heatmapOption(matrix: HeatmapMatrix, theme: 'light' | 'dark' = 'light'): ChartOption {
  return {
    grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
    tooltip: {
      formatter: (p: { value: [number, number, number] }) =>
        `${DAY_NAMES[p.value[1]]} ${hourLabel(p.value[0])}<br/>${formatInt(p.value[2])} requests`,
    },
    xAxis: {
      type: 'category',
      name: 'hour (UTC)',
      nameLocation: 'middle',
      nameGap: 24,
      data: Array.from({ length: 24 }, (_, h) => String(h)),
      splitArea: { show: true },
    },
    yAxis: { type: 'category', inverse: true, data: [...DAY_SHORT], splitArea: { show: true } },
    visualMap: {
      min: 0,
      max: Math.max(1, matrix.max),
      calculable: false,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemHeight: 120,
      inRange: { color: HEAT_COLORS[theme] },
      formatter: (v: number) => formatCompact(v),
    },
    series: [
      {
        name: 'Requests',
        type: 'heatmap',
        data: matrix.cells,
        emphasis: { itemStyle: { borderColor: '#000', borderWidth: 1 } },
      },
    ],
  };
}

/** Errors by type as shares of all errors (the API's percentage). */
export function errorPieOption(rows: readonly ErrorAnalysis[]): ChartOption {
  return {
    tooltip: {
      trigger: 'item',
      formatter: (p: { name: string; value: number; data: { percentage: number } }) =>
        `${p.name}<br/>${formatInt(p.value)} errors (${formatPercent(p.data.percentage)})`,
    },
    legend: { bottom: 0, type: 'scroll' },
    series: [
      {
        name: 'Errors',
        type: 'pie',
        radius: ['34%', '58%'],
        center: ['50%', '44%'],
        label: {
          formatter: (p: { data: { percentage: number } }) => formatPercent(p.data.percentage),
          overflow: 'none',
        },
        data: rows.map((r) => ({ name: r.errorType, value: r.count, percentage: r.percentage })),
      },
    ],
  };
}

/** The top anomaly types as horizontal bars. */
export function anomalyTypesOption(types: AnomalyStats['topAnomalyTypes']): ChartOption {
  return {
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: formatInt },
    xAxis: { type: 'value', axisLabel: { formatter: formatCompact } },
    yAxis: { type: 'category', inverse: true, data: types.map((t) => t.type) },
    series: [
      {
        name: 'Anomalies',
        type: 'bar',
        color: LATENCY_COLOR,
        data: types.map((t) => t.count),
        label: { show: true, position: 'right' },
      },
    ],
  };
}
