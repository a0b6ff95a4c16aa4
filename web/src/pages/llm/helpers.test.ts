import { describe, expect, it } from 'vitest';
import {
  buildHeatmapMatrix,
  buildSeries,
  DAY_NAMES,
  DEFAULT_PAGE_SIZE,
  hasFilters,
  hasNextPage,
  hourLabel,
  hoursBefore,
  hoursParams,
  logMetricParams,
  parseLogQuery,
  previousOffset,
  searchProblem,
  sumField,
  withFilter,
  writeLogQuery,
  type LogQuery,
} from './helpers';

describe('windows', () => {
  it('turns a range into hours, capped at 720, ending at the custom range end', () => {
    expect(hoursParams({ kind: 'preset', preset: '7d' })).toEqual({ hours: 168 });
    expect(hoursParams({ kind: 'preset', preset: '90d' })).toEqual({ hours: 720 });
    expect(hoursParams({ kind: 'custom', start: '2026-11-01', end: '2026-11-02' })).toEqual({
      hours: 48,
      asOf: '2026-11-02T23:59:59Z',
    });
  });

  it('moves an ISO time back by hours', () => {
    expect(hoursBefore('2026-12-03T14:45:48.969Z', 24)).toBe('2026-12-02T14:45:48.969Z');
    expect(hoursBefore('2026-03-01T00:30:00Z', 1)).toBe('2026-02-28T23:30:00.000Z');
  });
});

describe('series', () => {
  it('builds column-wise series in row order, non-numbers as null', () => {
    const rows = [
      { date: '2026-11-01', requests: 10, errors: 1 },
      { date: '2026-11-02', requests: 20, errors: Number.NaN },
    ];
    expect(buildSeries(rows, 'date', ['requests', 'errors'])).toEqual({
      x: ['2026-11-01', '2026-11-02'],
      series: { requests: [10, 20], errors: [1, null] },
    });
    expect(buildSeries([] as typeof rows, 'date', ['requests'])).toEqual({ x: [], series: { requests: [] } });
  });

  it('sums a field', () => {
    expect(sumField([{ v: 1.5 }, { v: 2 }, { v: Number.NaN }], 'v')).toBe(3.5);
    expect(sumField([] as { v: number }[], 'v')).toBe(0);
  });
});

describe('heatmap', () => {
  it('fills all 7 x 24 cells, missing ones with 0, as [hour, day, value]', () => {
    const m = buildHeatmapMatrix([
      { dayOfWeek: 0, hour: 0, requests: 5 },
      { dayOfWeek: 6, hour: 23, requests: 9 },
      { dayOfWeek: 3, hour: 14, requests: 2 },
    ]);
    expect(m.cells).toHaveLength(168);
    expect(m.cells[0]).toEqual([0, 0, 5]);
    expect(m.cells[167]).toEqual([23, 6, 9]);
    expect(m.cells[3 * 24 + 14]).toEqual([14, 3, 2]);
    expect(m.cells[1]).toEqual([1, 0, 0]);
    expect(m.max).toBe(9);
    expect(m.total).toBe(16);
    expect(m.peak).toEqual({ dayOfWeek: 6, hour: 23, requests: 9 });
  });

  it('ignores cells outside the grid and has no peak when empty', () => {
    const m = buildHeatmapMatrix([
      { dayOfWeek: 7, hour: 0, requests: 5 },
      { dayOfWeek: 0, hour: 24, requests: 5 },
    ]);
    expect(m.total).toBe(0);
    expect(m.peak).toBeNull();
  });

  it('names day 0 Sunday, as the metric describes', () => {
    expect(DAY_NAMES[0]).toBe('Sunday');
    expect(DAY_NAMES[6]).toBe('Saturday');
    expect(hourLabel(23)).toBe('23:00–00:00 UTC');
  });
});

describe('log filters <-> URL', () => {
  it('reads defaults from an empty URL', () => {
    expect(parseLogQuery(new URLSearchParams())).toEqual({
      query: { limit: DEFAULT_PAGE_SIZE, offset: 0 },
      problems: [],
    });
  });

  it('round-trips every filter and the page, keeping other parameters', () => {
    const query: LogQuery = {
      limit: 50,
      offset: 100,
      tenant: 'acme-corp',
      model: 'gpt-4o',
      status: 'error',
      errorType: 'rate_limit',
      anomaly: 'true',
      search: 'req_06',
    };
    const url = writeLogQuery(query, new URLSearchParams('range=7d&project=demo'));
    expect(url.get('range')).toBe('7d');
    expect(url.get('logStatus')).toBe('error');
    expect(url.get('logOffset')).toBe('100');
    expect(parseLogQuery(url)).toEqual({ query, problems: [] });
  });

  it('leaves defaults and cleared filters out of the URL', () => {
    const base = new URLSearchParams('logTenant=x&logOffset=25&other=1');
    const url = writeLogQuery({ limit: DEFAULT_PAGE_SIZE, offset: 0 }, base);
    expect(url.toString()).toBe('other=1');
  });

  it('rejects bad values with a reason', () => {
    const { query, problems } = parseLogQuery(
      new URLSearchParams('logLimit=7&logOffset=-3&logAnomaly=maybe&logSearch=' + encodeURIComponent("x'; drop")),
    );
    expect(query).toEqual({ limit: DEFAULT_PAGE_SIZE, offset: 0 });
    expect(problems).toHaveLength(4);
  });

  it('checks search text like the API does', () => {
    expect(searchProblem('u_acme-corp_006')).toBeNull();
    expect(searchProblem('a@b.c/d+e:f g')).toBeNull();
    expect(searchProblem('')).toBeNull();
    expect(searchProblem('x'.repeat(65))).not.toBeNull();
    expect(searchProblem('semi;colon')).not.toBeNull();
    expect(searchProblem('ünicode')).not.toBeNull();
  });

  it('sends only set filters as metric params', () => {
    expect(logMetricParams({ limit: 25, offset: 0 })).toEqual({ limit: 25, offset: 0 });
    expect(logMetricParams({ limit: 25, offset: 50, status: 'error', anomaly: 'false' })).toEqual({
      limit: 25,
      offset: 50,
      status: 'error',
      anomaly: 'false',
    });
  });

  it('goes back to the first page when a filter changes', () => {
    const q: LogQuery = { limit: 25, offset: 75, tenant: 'acme-corp' };
    expect(withFilter(q, 'status', 'error')).toEqual({ limit: 25, offset: 0, tenant: 'acme-corp', status: 'error' });
    expect(withFilter(q, 'tenant', undefined)).toEqual({ limit: 25, offset: 0 });
    expect(hasFilters(q)).toBe(true);
    expect(hasFilters({ limit: 25, offset: 0 })).toBe(false);
  });

  it('pages: next only after a full page, previous never below 0', () => {
    expect(hasNextPage(25, 25, 0)).toBe(true);
    expect(hasNextPage(24, 25, 0)).toBe(false);
    expect(hasNextPage(0, 25, 50)).toBe(false);
    expect(previousOffset({ limit: 25, offset: 50 })).toBe(25);
    expect(previousOffset({ limit: 50, offset: 25 })).toBe(0);
  });
});
