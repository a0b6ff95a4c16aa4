import { describe, expect, it } from 'vitest';
import {
  anomalyTypesOption,
  costTrendOption,
  dailyTrafficOption,
  errorPieOption,
  heatmapOption,
  hourlyTrafficOption,
} from './charts';
import { buildHeatmapMatrix } from './helpers';

// The options are plain objects; these checks pin what each chart shows and on which axis.
type Opt = Record<string, any>;

describe('chart options', () => {
  it('hourly traffic: requests and errors on the left axis, latency on the right, time x axis', () => {
    const o = hourlyTrafficOption([
      { hour: '2026-11-01T00:00:00Z', requests: 5, errors: 1, avgLatencyMs: 900, totalTokens: 10 },
    ]) as Opt;
    expect(o.xAxis.type).toBe('time');
    expect(o.series.map((s: Opt) => [s.name, s.yAxisIndex ?? 0])).toEqual([
      ['Requests', 0],
      ['Errors', 0],
      ['Avg latency', 1],
    ]);
    expect(o.series[2].data).toEqual([['2026-11-01T00:00:00Z', 900]]);
  });

  it('daily traffic and cost trend: one category per date, in order', () => {
    const d = dailyTrafficOption([
      { date: '2026-11-01', requests: 3, errors: 1, uniqueUsers: 2, totalTokens: 9, avgLatencyMs: 1 },
      { date: '2026-11-02', requests: 4, errors: 0, uniqueUsers: 3, totalTokens: 9, avgLatencyMs: 1 },
    ]) as Opt;
    expect(d.xAxis.data).toEqual(['2026-11-01', '2026-11-02']);
    expect(d.series[0].data).toEqual([3, 4]);
    const c = costTrendOption([{ date: '2026-11-01', totalCost: 1.5, requests: 3, costPerRequest: 0.5 }]) as Opt;
    expect(c.series.map((s: Opt) => s.data)).toEqual([[1.5], [0.5]]);
    expect(c.series[1].yAxisIndex).toBe(1);
  });

  it('heatmap: Sunday first on the day axis, 168 cells, the ramp follows the theme', () => {
    const m = buildHeatmapMatrix([{ dayOfWeek: 1, hour: 9, requests: 40 }]);
    const light = heatmapOption(m, 'light') as Opt;
    const dark = heatmapOption(m, 'dark') as Opt;
    expect(light.yAxis.data[0]).toBe('Sun');
    expect(light.yAxis.inverse).toBe(true);
    expect(light.xAxis.data).toHaveLength(24);
    expect(light.series[0].data).toHaveLength(168);
    expect(light.visualMap.max).toBe(40);
    expect(dark.visualMap.inRange.color).not.toEqual(light.visualMap.inRange.color);
    // An all-zero grid still has a usable scale.
    expect((heatmapOption(buildHeatmapMatrix([])) as Opt).visualMap.max).toBe(1);
  });

  it('error pie and anomaly bars carry the API values', () => {
    const p = errorPieOption([
      { errorType: 'timeout', count: 7, percentage: 70, affectedTenants: 2, lastOccurrence: '2026-11-01T00:00:00Z' },
    ]) as Opt;
    expect(p.series[0].data).toEqual([{ name: 'timeout', value: 7, percentage: 70 }]);
    expect(p.series[0].label.formatter({ data: { percentage: 70 } })).toBe('70.0%');
    const a = anomalyTypesOption([
      { type: 'token_burst', count: 5 },
      { type: 'latency_spike', count: 2 },
    ]) as Opt;
    expect(a.yAxis.data).toEqual(['token_burst', 'latency_spike']);
    expect(a.series[0].data).toEqual([5, 2]);
  });
});
