// POST /api/v1/query (README "API reference"): one read-only statement on one source.

import { apiPost, type JsonReviver } from './client';
import type { QueryAnswer } from './types';

export interface QueryBody {
  source: string;
  sql: string;
  project?: string;
  /** Bind $1, $2, ...: JSON values or typed objects such as {"type": "date", "value": "2026-11-01"}. */
  params?: unknown[];
  /** Per-query connector options (a prometheus source: time, or start/end/step). */
  options?: Record<string, string | number | boolean>;
  limit?: number;
  timeoutMs?: number;
}

/** Doubles hold 15 significant decimal digits exactly; longer literals may not survive parsing. */
const EXACT_DIGITS = 15;

/**
 * The value to keep for a JSON number whose source text is `source`: the number itself, or the
 * source text when it has more significant digits than a double holds (int64 ids, decimals), so
 * the grid and the CSV show what the engine returned instead of a rounded neighbour.
 */
export function exactNumber(value: number, source: string | undefined): number | string {
  if (source === undefined) return value;
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE][-+]?\d+)?$/.exec(source);
  if (!m) return value;
  const digits = `${m[1]}${m[2] ?? ''}`.replace(/^0+/, '');
  return digits.length > EXACT_DIGITS ? source : value;
}

const keepExactNumbers: JsonReviver = (_key, value, context) =>
  typeof value === 'number' ? exactNumber(value, context?.source) : value;

/** Runs a query; numbers too long for a double arrive as their exact text (see exactNumber). */
export function runQuery(body: QueryBody, signal?: AbortSignal): Promise<QueryAnswer> {
  return apiPost<QueryAnswer>('/api/v1/query', body, signal, keepExactNumbers);
}
