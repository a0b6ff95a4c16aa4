// The admin routes (README "API reference"): cache statistics and clearing, the caller's rate
// limit windows, and the loaded config with its reload.

import { apiGet, apiPost } from './client';

export interface CacheCounters {
  entries: number;
  bytes: number;
  evictions: number;
  hits: number;
  misses: number;
  staleHits: number;
  coalesced: number;
  refreshes: number;
  /** Hits / (hits + misses), 0..1. */
  hitRatio: number;
}

export interface CacheStats extends CacheCounters {
  enabled: boolean;
  /** "memory" or "redis". */
  backend: string;
  /** "ok", "unavailable", "disabled". */
  status: string;
  maxBytes: number;
  backendErrors: number;
  error?: string;
  projects: Record<string, CacheCounters>;
}

export interface CacheClearAnswer {
  cleared: number;
  project?: string;
  source?: string;
}

export interface RateLimitWindow {
  /** "minute" or "hour". */
  window: string;
  windowSeconds: number;
  limit: number;
  used: number;
  remaining: number;
  resetSeconds: number;
}

export interface RateLimitStatus {
  /** "key:<name>" or "address:<ip>". */
  caller: string;
  /** project null: the routes that name no project. */
  buckets: { project: string | null; windows: RateLimitWindow[] }[];
  /** True when the counts are shared through Redis. */
  shared: boolean;
}

export interface AdminConfig {
  configVersion: string;
  loadedAt: string;
  /** The config file; null for the built-in demo. */
  path: string | null;
  reloadable: boolean;
  projects: number;
  sources: number;
  /** The server's version. */
  version: string;
}

export interface ConfigReloadAnswer {
  reloaded: boolean;
  previousVersion: string;
  configVersion: string;
  loadedAt: string;
}

export const fetchCacheStats = (signal?: AbortSignal) => apiGet<CacheStats>('/api/v1/cache/stats', undefined, signal);

/** Clears one project's cached answers, or everything when `project` is undefined. */
export const clearCache = (project?: string) =>
  apiPost<CacheClearAnswer>('/api/v1/cache/clear', project ? { project } : {});

export const fetchRateLimits = (signal?: AbortSignal) =>
  apiGet<RateLimitStatus>('/api/v1/rate-limit/status', undefined, signal);

export const fetchAdminConfig = (signal?: AbortSignal) =>
  apiGet<AdminConfig>('/api/v1/admin/config', undefined, signal);

export const reloadConfig = () => apiPost<ConfigReloadAnswer>('/api/v1/admin/config/reload', {});
