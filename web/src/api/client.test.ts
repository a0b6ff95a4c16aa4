import { describe, expect, it } from 'vitest';
import { buildUrl } from './client';
import { metricPath } from './metrics';

describe('URLs', () => {
  it('sorts parameters and drops empty ones', () => {
    expect(buildUrl('/api/v1/x', { days: 7, asOf: undefined, source: '', b: 'a b' })).toBe('/api/v1/x?b=a+b&days=7');
    expect(buildUrl('/api/v1/x')).toBe('/api/v1/x');
  });
  it('encodes metric path segments', () => {
    expect(metricPath({ project: 'a/b', pack: 'web', metric: 'summary', params: { days: 7 }, source: 'pg' })).toBe(
      '/api/v1/projects/a%2Fb/metrics/web/summary?days=7&source=pg',
    );
  });
});
