// The Investigate page's pure logic (no React): the form's URL state, the window presets turned
// into the request's time range, and the answer turned into what the page shows (timeline
// groups, value-vs-baseline text, queries, synthesis). Everything here is unit-tested.

import type {
  EvidenceQuery,
  InvestigateServicesAnswer,
  InvestigationAnswer,
  InvestigationBody,
  SourceEvidence,
  TimelineEntry,
} from '../../api/investigate';
import { formatNumber, formatTimestamp } from '../../format';

// ---- the form and its URL ----

export const WINDOW_PRESETS = ['15m', '1h', '6h', '24h'] as const;
export type WindowPreset = (typeof WINDOW_PRESETS)[number];
export type WindowChoice = WindowPreset | 'custom';
export const DEFAULT_WINDOW: WindowPreset = '1h';

const PRESET_SECONDS: Record<WindowPreset, number> = { '15m': 900, '1h': 3600, '6h': 21600, '24h': 86400 };
const PRESET_LABELS: Record<WindowPreset, string> = {
  '15m': 'Last 15 min',
  '1h': 'Last 1 h',
  '6h': 'Last 6 h',
  '24h': 'Last 24 h',
};

export function presetLabel(preset: WindowPreset): string {
  return PRESET_LABELS[preset];
}

/** The API's longest window (docs/investigate.md: at most 31 days). */
export const MAX_WINDOW_DAYS = 31;
/** The API's bound on the question (4 KiB). */
export const MAX_QUESTION_BYTES = 4096;
/** Service and environment names the API accepts. */
export const NAME_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface InvestigateForm {
  /** Empty: every service tagged on the project's sources. */
  services: string[];
  /** Empty: every environment. */
  environment: string;
  window: WindowChoice;
  /** Custom window bounds, UTC, as a datetime-local value ("2026-12-03T10:00" or with seconds). */
  from: string;
  to: string;
  question: string;
}

export const EMPTY_FORM: InvestigateForm = {
  services: [],
  environment: '',
  window: DEFAULT_WINDOW,
  from: '',
  to: '',
  question: '',
};

/** The page's own URL parameters (distinct from the shell's range/start/end). */
export const URL_PARAMS = ['services', 'env', 'window', 'from', 'to', 'q', 'at'] as const;

export interface ParsedInvestigateUrl {
  form: InvestigateForm;
  /**
   * When the shown investigation was run (ISO, whole seconds): presets count back from it, so a
   * shared link reproduces the same window. Null: nothing has been run yet.
   */
  at: string | null;
  problems: string[];
}

/** Reads the form and the run time from the URL; a bad value falls back and is reported. */
export function parseInvestigateUrl(search: URLSearchParams): ParsedInvestigateUrl {
  const problems: string[] = [];
  const services: string[] = [];
  for (const s of (search.get('services') ?? '').split(',')) {
    const name = s.trim();
    if (!name) continue;
    if (!NAME_RE.test(name)) problems.push(`service '${name}' is not a valid name; ignored`);
    else if (!services.includes(name)) services.push(name);
  }
  let environment = search.get('env') ?? '';
  if (environment && !NAME_RE.test(environment)) {
    problems.push(`environment '${environment}' is not a valid name; using every environment`);
    environment = '';
  }
  let window: WindowChoice = DEFAULT_WINDOW;
  const w = search.get('window');
  if (w === 'custom' || (WINDOW_PRESETS as readonly string[]).includes(w ?? '')) window = w as WindowChoice;
  else if (w) problems.push(`window '${w}' is not one of ${WINDOW_PRESETS.join(', ')} or custom; using the last 1 h`);
  let at = search.get('at');
  if (at !== null && parseUtc(at) === null) {
    problems.push(`run time '${at}' is not a timestamp; run again`);
    at = null;
  }
  return {
    form: {
      services,
      environment,
      window,
      from: search.get('from') ?? '',
      to: search.get('to') ?? '',
      question: search.get('q') ?? '',
    },
    at,
    problems,
  };
}

/** Writes the form and the run time into a copy of `base` (the shell's parameters are kept). */
export function writeInvestigateUrl(
  form: InvestigateForm,
  at: string | null,
  base: URLSearchParams = new URLSearchParams(),
): URLSearchParams {
  const out = new URLSearchParams(base);
  const set = (name: string, value: string | null | undefined) => (value ? out.set(name, value) : out.delete(name));
  set('services', form.services.join(','));
  set('env', form.environment);
  set('window', form.window === DEFAULT_WINDOW ? null : form.window);
  set('from', form.window === 'custom' ? form.from : null);
  set('to', form.window === 'custom' ? form.to : null);
  set('q', form.question.trim());
  set('at', at);
  return out;
}

/**
 * A UTC timestamp from an RFC 3339 string or a datetime-local value (no zone: read as UTC, the
 * API's zone), in ms; null when it does not parse.
 */
export function parseUtc(s: string): number | null {
  const t = s.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(t)) return null;
  const zoned = /(Z|[+-]\d{2}:\d{2})$/.test(t) ? t : `${t}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? null : ms;
}

/** ms as RFC 3339 UTC, whole seconds: "2026-12-03T10:00:00Z". */
export function isoSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** ms as a datetime-local input value in UTC: "2026-12-03T10:00". */
export function toLocalInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

export type WindowResult = { start: string; end: string } | { problem: string };

/** The request's time range: a preset counts back from `at`; custom is the form's UTC bounds. */
export function windowRange(form: InvestigateForm, at: string): WindowResult {
  if (form.window !== 'custom') {
    const end = parseUtc(at);
    if (end === null) return { problem: `run time '${at}' is not a timestamp` };
    return { start: isoSeconds(end - PRESET_SECONDS[form.window] * 1000), end: isoSeconds(end) };
  }
  const start = parseUtc(form.from);
  const end = parseUtc(form.to);
  if (!form.from) return { problem: 'pick the start of the custom window' };
  if (start === null) return { problem: `start '${form.from}' is not a date and time` };
  if (!form.to) return { problem: 'pick the end of the custom window' };
  if (end === null) return { problem: `end '${form.to}' is not a date and time` };
  if (end <= start) return { problem: 'the end of the window must be after its start' };
  if (end - start > MAX_WINDOW_DAYS * 86_400_000)
    return { problem: `the window is longer than ${MAX_WINDOW_DAYS} days` };
  return { start: isoSeconds(start), end: isoSeconds(end) };
}

export type BodyResult = { body: InvestigationBody } | { problem: string };

/** The POST /api/v1/investigate body for the form, run at `at`, on `project`. */
export function buildInvestigationBody(form: InvestigateForm, project: string | undefined, at: string): BodyResult {
  const range = windowRange(form, at);
  if ('problem' in range) return range;
  const question = form.question.trim();
  if (new TextEncoder().encode(question).length > MAX_QUESTION_BYTES) {
    return { problem: `the question is longer than ${MAX_QUESTION_BYTES} bytes` };
  }
  const body: InvestigationBody = { context: { time_range: range } };
  if (project) body.project = project;
  if (question) body.question = question;
  if (form.environment) body.context.environment = form.environment;
  if (form.services.length > 0) body.context.services = [...form.services];
  return { body };
}

/** The services a picker offers: the tagged ones, then any chosen one no source is tagged for. */
export function serviceChoices(answer: InvestigateServicesAnswer | undefined, chosen: string[]): string[] {
  const all = [...(answer?.services ?? [])];
  for (const s of chosen) if (!all.includes(s)) all.push(s);
  return all;
}

/** No source of the project takes part in investigations: the page explains how to tag one. */
export function noSourcesTagged(answer: InvestigateServicesAnswer): boolean {
  return answer.sources.length === 0;
}

// ---- the answer ----

const KIND_LABELS: Record<string, string> = {
  shift: 'Shift',
  recovery: 'Recovery',
  deploy_or_change: 'Deploy or change',
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

/** "0.31 vs baseline 0.01 (threshold 0.02, 31×)"; null when the entry carries no value. */
export function valueVsBaseline(e: Pick<TimelineEntry, 'value' | 'baseline' | 'threshold' | 'ratio'>): string | null {
  if (typeof e.value !== 'number') return null;
  let text = formatNumber(e.value);
  if (typeof e.baseline === 'number') text += ` vs baseline ${formatNumber(e.baseline)}`;
  const extra: string[] = [];
  if (typeof e.threshold === 'number') extra.push(`threshold ${formatNumber(e.threshold)}`);
  if (typeof e.ratio === 'number') extra.push(`${formatNumber(e.ratio)}×`);
  if (extra.length > 0) text += ` (${extra.join(', ')})`;
  return text;
}

export interface TimelineItem {
  key: string;
  entry: TimelineEntry;
  kindLabel: string;
  value: string | null;
}

export interface TimelineGroup {
  time: string;
  label: string;
  items: TimelineItem[];
}

/**
 * The timeline in the API's order (time, then source, then signal), grouped by time: entries at
 * the same step (an error shift and a latency shift, a deploy) read as one moment.
 */
export function groupTimeline(timeline: readonly TimelineEntry[]): TimelineGroup[] {
  const groups: TimelineGroup[] = [];
  timeline.forEach((entry, i) => {
    const item: TimelineItem = {
      key: `${i}:${entry.time}:${entry.source}:${entry.signal}:${entry.service}:${entry.kind}`,
      entry,
      kindLabel: kindLabel(entry.kind),
      value: valueVsBaseline(entry),
    };
    const last = groups[groups.length - 1];
    if (last && last.time === entry.time) last.items.push(item);
    else groups.push({ time: entry.time, label: formatTimestamp(entry.time), items: [item] });
  });
  return groups;
}

export interface QueryView {
  purpose: string;
  text: string;
  /** "$1 = "2026-12-03T09:00:00Z"": each parameter as the JSON it was bound with. */
  params: string[];
  /** [name, value], sorted by name. */
  options: [string, string][];
}

/** A query exactly as run: its text untouched, its parameters and options listed. */
export function queryView(q: EvidenceQuery): QueryView {
  return {
    purpose: q.purpose,
    text: q.query,
    params: (q.params ?? []).map((p, i) => `$${i + 1} = ${JSON.stringify(p)}`),
    options: Object.entries(q.options ?? {})
      .map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  };
}

/** The text the Copy button puts on the clipboard: the query, then its parameters and options. */
export function queryCopyText(q: EvidenceQuery): string {
  const v = queryView(q);
  const lines = [v.text];
  if (v.params.length > 0) lines.push('', '-- params', ...v.params.map((p) => `-- ${p}`));
  if (v.options.length > 0) lines.push('', '-- options', ...v.options.map(([k, val]) => `-- ${k} = ${val}`));
  return lines.join('\n');
}

export type Tone = 'ok' | 'error' | 'warn';

/** The badge tone of an evidence status: ok, error, timeout (and anything unknown) as warn. */
export function statusTone(status: string): Tone {
  if (status === 'ok') return 'ok';
  if (status === 'error') return 'error';
  return 'warn';
}

/** "2 ok, 1 failed, 3 skipped" for the answer's summary line. */
export function sourceCounts(answer: InvestigationAnswer): { ok: number; failed: number; skipped: number } {
  const ok = answer.evidence.filter((e) => e.status === 'ok').length;
  return { ok, failed: answer.evidence.length - ok, skipped: answer.skipped_sources.length };
}

/** Whether a source's evidence holds anything to show beyond its queries. */
export function hasFindings(e: SourceEvidence): boolean {
  return (e.series?.length ?? 0) > 0 || e.errors !== undefined || (e.changes?.length ?? 0) > 0;
}

export interface SynthesisView {
  model: string;
  elapsedMs?: number;
  error?: { code: string; message: string };
  rootCause?: string;
  affectedComponents?: string[];
  recommendedActions?: string[];
}

/**
 * The model's summary, or null when synthesis is not configured. Only the fields the answer
 * holds are set: absent stays absent (the page shows nothing rather than a placeholder).
 */
export function synthesisView(answer: InvestigationAnswer): SynthesisView | null {
  const s = answer.synthesis;
  if (!s) return null;
  const view: SynthesisView = { model: s.model };
  if (typeof s.elapsed_ms === 'number') view.elapsedMs = s.elapsed_ms;
  if (s.error) view.error = s.error;
  if (answer.root_cause) view.rootCause = answer.root_cause;
  if (answer.affected_components && answer.affected_components.length > 0) {
    view.affectedComponents = answer.affected_components;
  }
  if (answer.recommended_actions && answer.recommended_actions.length > 0) {
    view.recommendedActions = answer.recommended_actions;
  }
  return view;
}

/** A stable id part for test handles: "app_logs", "error_rate", "checkout" stay as they are. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_.:-]+/g, '_');
}
