// Pure helpers behind the admin page: which errors mean "use an admin key", and the rows of
// its tables.

import { ApiError } from '../../api/client';
import type { CacheCounters, CacheStats, RateLimitStatus } from '../../api/admin';

/** A 403: the key lacks the admin role (or, for cache statistics, access to every project). */
export function needsAdminKey(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403;
}

export interface CacheProjectRow extends CacheCounters {
  project: string;
}

/** One row per project, largest first. */
export function cacheProjectRows(stats: CacheStats): CacheProjectRow[] {
  return Object.entries(stats.projects ?? {})
    .map(([project, counters]) => ({ project, ...counters }))
    .sort((a, b) => b.bytes - a.bytes || a.project.localeCompare(b.project));
}

export interface RateLimitRow {
  /** Row key: project + window. */
  key: string;
  project: string;
  window: string;
  limit: number;
  used: number;
  remaining: number;
  resetSeconds: number;
  /** Share of the window used, 0..100. */
  usedPercent: number;
}

/** The label of a bucket: its project, or what a null project means. */
export function bucketLabel(project: string | null): string {
  return project ?? 'routes without a project';
}

/** One row per bucket and window; buckets without windows (not rate limited) give none. */
export function rateLimitRows(status: RateLimitStatus): RateLimitRow[] {
  return status.buckets.flatMap((b) =>
    b.windows.map((w) => ({
      key: `${b.project ?? ''}\u0000${w.window}`,
      project: bucketLabel(b.project),
      window: w.window,
      limit: w.limit,
      used: w.used,
      remaining: w.remaining,
      resetSeconds: w.resetSeconds,
      usedPercent: w.limit > 0 ? Math.min(100, (w.used / w.limit) * 100) : 0,
    })),
  );
}

/** The caller as people read it: "key dashboards", "address 127.0.0.1". */
export function callerLabel(caller: string): string {
  const i = caller.indexOf(':');
  if (i < 0) return caller;
  const kind = caller.slice(0, i);
  return `${kind === 'key' ? 'API key' : kind === 'address' ? 'client address' : kind} ${caller.slice(i + 1)}`;
}
