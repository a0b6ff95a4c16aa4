// Pure helpers of the LLM operations page: metric parameters per window kind, chart series and
// the heatmap matrix, the tenant table's sort and the log viewer's filters <-> URL parameters.
// No React here, so Vitest covers all of it.

import { rangeDays, type MetricParams, type Range } from '../../state/view';

// ---- windows ----

/** The `anomaly_stats` metric's longest window (its `hours` param max in GET /api/v1/packs). */
export const MAX_HOURS = 720;

/**
 * Parameters for an "hours" metric covering `range`: as many hours as the range has days (capped
 * at the API's 720), ending now for a preset and at the end of the last day for a custom range.
 */
export function hoursParams(range: Range): MetricParams {
  const hours = Math.min(rangeDays(range) * 24, MAX_HOURS);
  if (range.kind === 'preset') return { hours };
  return { hours, asOf: `${range.end}T23:59:59Z` };
}

/** `iso` moved back by `hours` (ISO UTC), e.g. the previous 24 h window's asOf. */
export function hoursBefore(iso: string, hours: number): string {
  return new Date(Date.parse(iso) - hours * 3_600_000).toISOString();
}

// ---- chart series ----

/** Column-wise series from rows: x values and one number array per field (null when missing). */
export function buildSeries<Row extends object, F extends keyof Row & string>(
  rows: readonly Row[],
  xKey: keyof Row & string,
  fields: readonly F[],
): { x: string[]; series: Record<F, (number | null)[]> } {
  const series = {} as Record<F, (number | null)[]>;
  for (const f of fields) series[f] = [];
  const x: string[] = [];
  for (const row of rows) {
    x.push(String(row[xKey]));
    for (const f of fields) {
      const v = row[f];
      series[f].push(typeof v === 'number' && Number.isFinite(v) ? v : null);
    }
  }
  return { x, series };
}

/** The sum of one numeric field over rows (non-numbers count as 0). */
export function sumField<Row extends object>(rows: readonly Row[], field: keyof Row & string): number {
  let total = 0;
  for (const row of rows) {
    const v = row[field];
    if (typeof v === 'number' && Number.isFinite(v)) total += v;
  }
  return total;
}

// ---- heatmap ----

/** `usage_heatmap`'s dayOfWeek is 0 = Sunday .. 6 = Saturday (its description in /api/v1/packs). */
export const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
export const DAY_SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface HeatmapCell {
  dayOfWeek: number;
  hour: number;
  requests: number;
}

export interface HeatmapMatrix {
  /** [hour, dayOfWeek, requests] for all 7 x 24 cells (missing cells are 0), as ECharts wants. */
  cells: [number, number, number][];
  max: number;
  total: number;
  /** The busiest cell, or null when every cell is 0. */
  peak: { dayOfWeek: number; hour: number; requests: number } | null;
}

/** The full 7 x 24 grid from the metric's rows; rows outside the grid are ignored. */
export function buildHeatmapMatrix(rows: readonly HeatmapCell[]): HeatmapMatrix {
  const grid: number[][] = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const r of rows) {
    if (
      Number.isInteger(r.dayOfWeek) &&
      r.dayOfWeek >= 0 &&
      r.dayOfWeek < 7 &&
      Number.isInteger(r.hour) &&
      r.hour >= 0 &&
      r.hour < 24
    ) {
      grid[r.dayOfWeek][r.hour] += r.requests;
    }
  }
  const cells: [number, number, number][] = [];
  let max = 0;
  let total = 0;
  let peak: HeatmapMatrix['peak'] = null;
  for (let d = 0; d < 7; d++) {
    for (let h = 0; h < 24; h++) {
      const v = grid[d][h];
      cells.push([h, d, v]);
      total += v;
      if (v > max) {
        max = v;
        peak = { dayOfWeek: d, hour: h, requests: v };
      }
    }
  }
  return { cells, max, total, peak };
}

/** "14:00–15:00 UTC". */
export function hourLabel(hour: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(hour)}:00–${pad((hour + 1) % 24)}:00 UTC`;
}

// ---- log viewer filters and paging ----

export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_PAGE_SIZE = 25;
/** sample_logs' `offset` max. */
export const MAX_OFFSET = 100_000_000;
/** sample_logs' `search` param: a substring of request_id or user_id. */
export const SEARCH_RE = /^[A-Za-z0-9 _.:@/+-]{1,64}$/;

export type AnomalyFilter = 'true' | 'false';

export interface LogQuery {
  limit: number;
  offset: number;
  tenant?: string;
  model?: string;
  status?: string;
  errorType?: string;
  anomaly?: AnomalyFilter;
  search?: string;
}

/** The URL parameter of each log viewer field (prefixed: the URL also holds the shared view). */
export const LOG_URL_PARAMS = {
  limit: 'logLimit',
  offset: 'logOffset',
  tenant: 'logTenant',
  model: 'logModel',
  status: 'logStatus',
  errorType: 'logErrorType',
  anomaly: 'logAnomaly',
  search: 'logSearch',
} as const satisfies Record<keyof LogQuery, string>;

const FILTER_KEYS = ['tenant', 'model', 'status', 'errorType', 'anomaly', 'search'] as const;
export type LogFilterKey = (typeof FILTER_KEYS)[number];

/** Why a search text cannot be sent, or null when it can. */
export function searchProblem(text: string): string | null {
  if (text === '') return null;
  if (text.length > 64) return 'search is at most 64 characters';
  if (!SEARCH_RE.test(text)) return 'search may hold letters, digits, spaces and _ . : @ / + - only';
  return null;
}

/** Reads the log viewer's state from the URL; bad values fall back and are named in `problems`. */
export function parseLogQuery(search: URLSearchParams): { query: LogQuery; problems: string[] } {
  const problems: string[] = [];
  const query: LogQuery = { limit: DEFAULT_PAGE_SIZE, offset: 0 };
  const limit = search.get(LOG_URL_PARAMS.limit);
  if (limit !== null) {
    const n = Number(limit);
    if ((PAGE_SIZES as readonly number[]).includes(n)) query.limit = n;
    else problems.push(`page size '${limit}' is not one of ${PAGE_SIZES.join(', ')}; showing ${DEFAULT_PAGE_SIZE}`);
  }
  const offset = search.get(LOG_URL_PARAMS.offset);
  if (offset !== null) {
    const n = Number(offset);
    if (/^\d+$/.test(offset) && n <= MAX_OFFSET) query.offset = n;
    else problems.push(`offset '${offset}' is not a whole number from 0 to ${MAX_OFFSET}; showing the first page`);
  }
  for (const key of ['tenant', 'model', 'status', 'errorType'] as const) {
    const v = search.get(LOG_URL_PARAMS[key]);
    if (v) query[key] = v;
  }
  const anomaly = search.get(LOG_URL_PARAMS.anomaly);
  if (anomaly === 'true' || anomaly === 'false') query.anomaly = anomaly;
  else if (anomaly) problems.push(`anomaly filter '${anomaly}' is not true or false; ignored`);
  const text = search.get(LOG_URL_PARAMS.search);
  if (text) {
    const problem = searchProblem(text);
    if (problem) problems.push(`${problem}; search ignored`);
    else query.search = text;
  }
  return { query, problems };
}

/** Writes `query` into a copy of `base` (other parameters kept; defaults left out of the URL). */
export function writeLogQuery(query: LogQuery, base: URLSearchParams = new URLSearchParams()): URLSearchParams {
  const out = new URLSearchParams(base);
  const set = (name: string, value: string | undefined) => (value ? out.set(name, value) : out.delete(name));
  set(LOG_URL_PARAMS.limit, query.limit === DEFAULT_PAGE_SIZE ? undefined : String(query.limit));
  set(LOG_URL_PARAMS.offset, query.offset === 0 ? undefined : String(query.offset));
  for (const key of FILTER_KEYS) set(LOG_URL_PARAMS[key], query[key]);
  return out;
}

/** sample_logs parameters for `query` (unset filters are not sent). */
export function logMetricParams(query: LogQuery): MetricParams {
  const params: MetricParams = { limit: query.limit, offset: query.offset };
  for (const key of FILTER_KEYS) {
    const v = query[key];
    if (v) params[key] = v;
  }
  return params;
}

/** A filter change: the new filter value, back to the first page (the old offset means nothing). */
export function withFilter(query: LogQuery, key: LogFilterKey, value: string | undefined): LogQuery {
  const next: LogQuery = { ...query, offset: 0 };
  if (value) (next as unknown as Record<string, string>)[key] = value;
  else delete next[key];
  return next;
}

/** Whether any filter is set. */
export function hasFilters(query: LogQuery): boolean {
  return FILTER_KEYS.some((k) => Boolean(query[k]));
}

/** A page that came back full may have a next one; a short page is the last. */
export function hasNextPage(rowsOnPage: number, limit: number, offset: number): boolean {
  return rowsOnPage >= limit && offset + limit <= MAX_OFFSET;
}

export function previousOffset(query: LogQuery): number {
  return Math.max(0, query.offset - query.limit);
}
