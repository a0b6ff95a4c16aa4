// The view state every page shares, held in the URL so a view can be shared by its link:
//   ?project=demo&source=pg&range=7d            (preset ranges: 7d, 30d, 90d)
//   ?range=custom&start=2026-11-01&end=2026-11-15
//   &refresh=1                                  (auto refresh on)
// Parsing never throws: a bad value falls back to the default and is reported in `problems`.

export const RANGE_PRESETS = ['7d', '30d', '90d'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
export const DEFAULT_PRESET: RangePreset = '30d';
/** The API's longest window (pack params `days` max 366). */
export const MAX_RANGE_DAYS = 366;

export type Range = { kind: 'preset'; preset: RangePreset } | { kind: 'custom'; start: string; end: string };

export interface ViewState {
  /** The project id; undefined means the server's default project. */
  project?: string;
  /** One source id, or undefined for "All sources". */
  source?: string;
  range: Range;
  autoRefresh: boolean;
}

export interface ParsedView {
  state: ViewState;
  /** Human-readable reasons a URL value was ignored. */
  problems: string[];
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Whether `s` is a real calendar date in YYYY-MM-DD form. */
export function isIsoDate(s: string | null | undefined): s is string {
  if (!s || !DATE_RE.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/** Days from `a` to `b` (YYYY-MM-DD), b - a. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** `date` (YYYY-MM-DD) moved by `days`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Today's UTC date (the API's calendar). */
export function utcToday(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Checks a custom range; returns the problem, or null when it is usable. */
export function customRangeProblem(start: string, end: string): string | null {
  if (!isIsoDate(start)) return `start date '${start}' is not a date (YYYY-MM-DD)`;
  if (!isIsoDate(end)) return `end date '${end}' is not a date (YYYY-MM-DD)`;
  if (daysBetween(start, end) < 0) return `start date ${start} is after end date ${end}`;
  if (daysBetween(start, end) + 1 > MAX_RANGE_DAYS) {
    return `the range ${start}..${end} is longer than ${MAX_RANGE_DAYS} days`;
  }
  return null;
}

export function parseViewState(search: URLSearchParams): ParsedView {
  const problems: string[] = [];
  const project = search.get('project') || undefined;
  const source = search.get('source') || undefined;
  let range: Range = { kind: 'preset', preset: DEFAULT_PRESET };
  const r = search.get('range');
  if (r === 'custom') {
    const start = search.get('start') ?? '';
    const end = search.get('end') ?? '';
    const problem = customRangeProblem(start, end);
    if (problem) problems.push(`${problem}; showing the last 30 days`);
    else range = { kind: 'custom', start, end };
  } else if (r) {
    if ((RANGE_PRESETS as readonly string[]).includes(r)) range = { kind: 'preset', preset: r as RangePreset };
    else problems.push(`range '${r}' is not one of 7d, 30d, 90d or custom; showing the last 30 days`);
  }
  const autoRefresh = search.get('refresh') === '1';
  return { state: { project, source, range, autoRefresh }, problems };
}

/** Writes `state` into a copy of `base` (other parameters, such as a page's own, are kept). */
export function writeViewState(state: ViewState, base: URLSearchParams = new URLSearchParams()): URLSearchParams {
  const out = new URLSearchParams(base);
  const set = (name: string, value: string | undefined) => (value ? out.set(name, value) : out.delete(name));
  set('project', state.project);
  set('source', state.source);
  if (state.range.kind === 'custom') {
    out.set('range', 'custom');
    out.set('start', state.range.start);
    out.set('end', state.range.end);
  } else {
    // The default preset stays out of the URL so plain links stay short.
    set('range', state.range.preset === DEFAULT_PRESET ? undefined : state.range.preset);
    out.delete('start');
    out.delete('end');
  }
  set('refresh', state.autoRefresh ? '1' : undefined);
  return out;
}

/** The number of days a range covers, today included for presets. */
export function rangeDays(range: Range): number {
  return range.kind === 'custom' ? daysBetween(range.start, range.end) + 1 : Number.parseInt(range.preset, 10);
}

/** The first and last date of a range, as of `today` (YYYY-MM-DD). */
export function rangeBounds(range: Range, today: string): { start: string; end: string } {
  if (range.kind === 'custom') return { start: range.start, end: range.end };
  const days = rangeDays(range);
  return { start: addDays(today, -(days - 1)), end: today };
}

export type MetricParams = Record<string, string | number>;

/** The end of a date as the metric API's `asOf` (windows counted in days end on asOf's date). */
function endOfDay(date: string): string {
  return `${date}T23:59:59Z`;
}

/**
 * The metric parameters for a range. `window` is the metric's window kind from GET /api/v1/packs:
 * "range" metrics take start/end (or days); "days" metrics take days ending on asOf's date.
 */
export function rangeParams(range: Range, window: 'range' | 'days'): MetricParams {
  if (range.kind === 'preset') return { days: rangeDays(range) };
  if (window === 'range') return { start: range.start, end: range.end };
  return { days: rangeDays(range), asOf: endOfDay(range.end) };
}

/** The same-length range just before `range` (for "change against the previous period"). */
export function previousRange(range: Range, today: string): Range {
  const { start } = rangeBounds(range, today);
  const days = rangeDays(range);
  return { kind: 'custom', start: addDays(start, -days), end: addDays(start, -1) };
}

/** A short label: "Last 7 days", or "2026-11-01 – 2026-11-15". */
export function rangeLabel(range: Range): string {
  if (range.kind === 'custom') return `${range.start} – ${range.end}`;
  return `Last ${rangeDays(range)} days`;
}
