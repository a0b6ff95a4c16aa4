import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import type { CacheStats } from '../../api/admin';
import { bucketLabel, cacheProjectRows, callerLabel, needsAdminKey, rateLimitRows } from './model';

const counters = (entries: number, bytes: number) => ({
  entries,
  bytes,
  evictions: 0,
  hits: 1,
  misses: 1,
  staleHits: 0,
  coalesced: 0,
  refreshes: 0,
  hitRatio: 0.5,
});

describe('needsAdminKey', () => {
  it('is true for a 403 only', () => {
    expect(needsAdminKey(new ApiError(403, 'PERMISSION_DENIED', "API key 'r' does not have the 'admin' role"))).toBe(
      true,
    );
    expect(needsAdminKey(new ApiError(404, 'NOT_FOUND', 'no route'))).toBe(false);
    expect(needsAdminKey(new ApiError(401, 'UNAUTHENTICATED', 'no key'))).toBe(false);
    expect(needsAdminKey(new Error('x'))).toBe(false);
    expect(needsAdminKey(undefined)).toBe(false);
  });
});

describe('cacheProjectRows', () => {
  it('lists every project, largest first, then by name', () => {
    const stats = { projects: { b: counters(1, 10), a: counters(2, 10), c: counters(5, 99) } } as unknown as CacheStats;
    expect(cacheProjectRows(stats).map((r) => [r.project, r.entries])).toEqual([
      ['c', 5],
      ['a', 2],
      ['b', 1],
    ]);
  });

  it('is empty without projects', () => {
    expect(cacheProjectRows({ projects: {} } as unknown as CacheStats)).toEqual([]);
  });
});

describe('rateLimitRows', () => {
  it('flattens buckets and windows, naming the project-less bucket', () => {
    const rows = rateLimitRows({
      caller: 'key:ops',
      shared: false,
      buckets: [
        {
          project: null,
          windows: [{ window: 'minute', windowSeconds: 60, limit: 100, used: 25, remaining: 75, resetSeconds: 41 }],
        },
        {
          project: 'web',
          windows: [
            { window: 'minute', windowSeconds: 60, limit: 20, used: 30, remaining: 0, resetSeconds: 5 },
            { window: 'hour', windowSeconds: 3600, limit: 0, used: 3, remaining: 0, resetSeconds: 0 },
          ],
        },
        { project: 'demo', windows: [] },
      ],
    });
    expect(rows.map((r) => [r.project, r.window, r.usedPercent])).toEqual([
      ['routes without a project', 'minute', 25],
      ['web', 'minute', 100],
      ['web', 'hour', 0],
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(3);
  });

  it('labels buckets and callers', () => {
    expect(bucketLabel('web')).toBe('web');
    expect(callerLabel('key:dashboards')).toBe('API key dashboards');
    expect(callerLabel('address:127.0.0.1')).toBe('client address 127.0.0.1');
    expect(callerLabel('address:::1')).toBe('client address ::1');
    expect(callerLabel('anonymous')).toBe('anonymous');
  });
});
