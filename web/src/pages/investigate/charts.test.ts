import { describe, expect, it } from 'vitest';
import type { EvidenceSeries, TimelineEntry } from '../../api/investigate';
import { axisNumber, seriesChartOption, seriesMarkers } from './charts';

const WINDOW = {
  baseline_start: '2026-12-03T09:00:00Z',
  start: '2026-12-03T10:00:00Z',
  end: '2026-12-03T11:00:00Z',
  step_seconds: 60,
};

const SERIES: EvidenceSeries = {
  signal: 'errors',
  service: 'checkout',
  baseline: 1,
  threshold: 4,
  points: [
    ['2026-12-03T09:00:00Z', 1],
    ['2026-12-03T10:30:00Z', 40],
    ['2026-12-03T10:50:00Z', 2],
  ],
};

function entry(over: Partial<TimelineEntry>): TimelineEntry {
  return {
    time: '2026-12-03T10:30:00Z',
    kind: 'shift',
    service: 'checkout',
    source: 'logs',
    signal: 'errors',
    value: 40,
    description: 'd',
    ...over,
  };
}

const TIMELINE = [
  entry({}),
  entry({ time: '2026-12-03T10:50:00Z', kind: 'recovery', value: 2 }),
  entry({ source: 'other' }),
  entry({ signal: 'latency_ms' }),
  entry({ service: 'payments' }),
  entry({ kind: 'deploy_or_change', signal: 'errors', value: undefined }),
];

// The option is a plain object; read the single series back loosely.
type Loose = Record<string, any>;

describe('axisNumber', () => {
  it('keeps small values distinct and large ones short', () => {
    expect([0.05, 0.1, 0.15].map(axisNumber)).toEqual(['0.05', '0.1', '0.15']);
    expect(axisNumber(800)).toBe('800');
    expect(axisNumber(4000)).toBe('4K');
  });
});

describe('seriesMarkers', () => {
  it('keeps the shifts and recoveries of this source, signal and service only', () => {
    expect(seriesMarkers(TIMELINE, 'logs', SERIES).map((e) => [e.kind, e.time])).toEqual([
      ['shift', '2026-12-03T10:30:00Z'],
      ['recovery', '2026-12-03T10:50:00Z'],
    ]);
  });
});

describe('seriesChartOption', () => {
  it('plots the points over the whole window with the baseline window, lines and markers', () => {
    const opt = seriesChartOption(SERIES, 'logs', { window: WINDOW, timeline: TIMELINE }) as Loose;
    expect(opt.useUTC).toBe(true);
    expect(opt.xAxis).toMatchObject({ type: 'time', min: WINDOW.baseline_start, max: WINDOW.end });
    const s = opt.series[0];
    expect(s.name).toBe('errors of checkout');
    expect(s.data).toEqual(SERIES.points);
    expect(s.markArea.data).toEqual([[{ xAxis: WINDOW.baseline_start }, { xAxis: WINDOW.start }]]);
    expect(s.markLine.data.map((l: Loose) => [l.name, l.yAxis])).toEqual([
      ['baseline', 1],
      ['threshold', 4],
    ]);
    expect(s.markPoint.data.map((p: Loose) => [p.name, p.coord])).toEqual([
      ['shift', ['2026-12-03T10:30:00Z', 40]],
      ['recovery', ['2026-12-03T10:50:00Z', 2]],
    ]);
  });

  it('draws one line when the baseline is the threshold (a baseline of 0)', () => {
    const opt = seriesChartOption({ ...SERIES, baseline: 0, threshold: 0 }, 'logs', {
      window: WINDOW,
      timeline: [],
    }) as Loose;
    expect(opt.series[0].markLine.data.map((l: Loose) => [l.name, l.yAxis, l.label.formatter])).toEqual([
      ['baseline', 0, 'baseline = threshold 0'],
    ]);
  });

  it('draws no baseline or threshold line and no marker when there are none', () => {
    const opt = seriesChartOption({ ...SERIES, baseline: null, threshold: null }, 'logs', {
      window: WINDOW,
      timeline: [],
    }) as Loose;
    expect(opt.series[0].markLine).toBeUndefined();
    expect(opt.series[0].markPoint).toBeUndefined();
  });
});
