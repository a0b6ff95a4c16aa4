// Investigations (docs/investigate.md): POST /api/v1/investigate gathers evidence from every source
// tagged for the services and environment asked about; GET /api/v1/investigate/services lists
// what the pickers offer. Unlike the metric routes, these answers use snake_case members.

import { apiGet, apiPost } from './client';

/** The body of POST /api/v1/investigate. */
export interface InvestigationBody {
  project?: string;
  question?: string;
  context: {
    environment?: string;
    /** RFC 3339 timestamps (or `now`, `now-1h`). */
    time_range: { start: string; end: string };
    /** Absent or empty: every service tagged on the project's sources. */
    services?: string[];
  };
  step_seconds?: number;
}

export type TimelineKind = 'shift' | 'recovery' | 'deploy_or_change';

export interface TimelineEntry {
  time: string;
  kind: TimelineKind | string;
  service: string;
  source: string;
  /** The series' signal, or "change". */
  signal: string;
  value?: number;
  baseline?: number;
  threshold?: number;
  /** value / baseline; absent when the baseline is 0. */
  ratio?: number;
  description: string;
}

/** One query exactly as it was sent to a source. */
export interface EvidenceQuery {
  purpose: string;
  query: string;
  params?: unknown[];
  options?: Record<string, string>;
}

export interface EvidenceSeries {
  signal: string;
  service: string;
  /** null when the baseline window had too few points. */
  baseline: number | null;
  threshold?: number | null;
  /** The baseline's median absolute deviation (with a baseline). */
  mad?: number | null;
  /** [time, value], time = the step's start; a step without data is absent (null: not a number). */
  points: [string, number | null][];
}

export interface TopMessage {
  service: string;
  message: string;
  count: number;
  first_seen: string;
  last_seen: string;
}

export interface ChangeRecord {
  time: string;
  service?: string;
  description: string;
}

export interface ApiErrorInfo {
  code: string;
  message: string;
}

export interface SourceEvidence {
  source: string;
  type: string;
  /** "metrics", "logs" or "changes". */
  kind: string;
  /** "ok", "error" or "timeout". */
  status: string;
  elapsed_ms: number;
  error?: ApiErrorInfo;
  services?: string[];
  queries: EvidenceQuery[];
  series?: EvidenceSeries[];
  errors?: { total: number | null; baseline_total: number | null; top_messages?: TopMessage[] };
  changes?: ChangeRecord[];
}

export interface Component {
  service: string;
  signals: string[];
  sources: string[];
  first_shift: string;
}

export interface InvestigationAnswer {
  id: string;
  project: string;
  question?: string;
  context: {
    environment?: string | null;
    services?: string[];
    time_range: { start: string; end: string };
  };
  window: { baseline_start: string; start: string; end: string; step_seconds: number };
  timeline: TimelineEntry[];
  evidence: SourceEvidence[];
  components: Component[];
  /** `status` is "error" or "timeout". */
  failed_sources: { source: string; status?: string; code: string; message: string }[];
  skipped_sources: { source: string; reason: string }[];
  elapsed_ms: number;
  /** Only with synthesis (model-generated). */
  root_cause?: string;
  affected_components?: string[];
  recommended_actions?: string[];
  /** Only when synthesis is configured; `error` when it failed. */
  synthesis?: { model: string; elapsed_ms?: number; error?: ApiErrorInfo };
}

/** GET /api/v1/investigate/services: what the project's sources are tagged with. */
export interface InvestigateServicesAnswer {
  project: string;
  services: string[];
  environments: string[];
  sources: {
    id: string;
    type?: string;
    kind: string;
    /** Metrics sources: their signals. */
    signals?: string[];
    /** Empty: every service asked about. */
    services: string[];
    environments: string[];
  }[];
  synthesis: boolean;
}

export function fetchInvestigateServices(project: string, signal?: AbortSignal): Promise<InvestigateServicesAnswer> {
  return apiGet<InvestigateServicesAnswer>('/api/v1/investigate/services', { project }, signal);
}

export function runInvestigation(body: InvestigationBody, signal?: AbortSignal): Promise<InvestigationAnswer> {
  return apiPost<InvestigationAnswer>('/api/v1/investigate', body, signal);
}
