import { describe, expect, it } from 'vitest';
import {
  addDays,
  customRangeProblem,
  isIsoDate,
  parseViewState,
  previousRange,
  rangeBounds,
  rangeParams,
  writeViewState,
  type ViewState,
} from './view';

const parse = (qs: string) => parseViewState(new URLSearchParams(qs));

describe('URL view state', () => {
  it('defaults to the last 30 days, all sources, no refresh', () => {
    expect(parse('')).toEqual({
      state: { project: undefined, source: undefined, range: { kind: 'preset', preset: '30d' }, autoRefresh: false },
      problems: [],
    });
  });
  it('round-trips every field', () => {
    const state: ViewState = {
      project: 'web',
      source: 'pg',
      range: { kind: 'custom', start: '2026-11-01', end: '2026-11-15' },
      autoRefresh: true,
    };
    const qs = writeViewState(state).toString();
    expect(qs).toBe('project=web&source=pg&range=custom&start=2026-11-01&end=2026-11-15&refresh=1');
    expect(parse(qs).state).toEqual(state);
  });
  it('keeps the default preset out of the URL and keeps other parameters', () => {
    const base = new URLSearchParams('sql=SELECT+1&range=7d&start=x');
    const out = writeViewState({ range: { kind: 'preset', preset: '30d' }, autoRefresh: false }, base);
    expect(out.toString()).toBe('sql=SELECT+1');
  });
  it('reports and ignores bad values', () => {
    const bad = parse('range=12d');
    expect(bad.state.range).toEqual({ kind: 'preset', preset: '30d' });
    expect(bad.problems[0]).toContain("range '12d'");
    const reversed = parse('range=custom&start=2026-11-10&end=2026-11-01');
    expect(reversed.state.range.kind).toBe('preset');
    expect(reversed.problems[0]).toContain('after end date');
    expect(parse('range=custom&start=2026-02-30&end=2026-03-01').problems[0]).toContain('not a date');
  });
});

describe('dates and ranges', () => {
  it('validates dates', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2023-02-29')).toBe(false);
    expect(isIsoDate('2026-1-01')).toBe(false);
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(customRangeProblem('2025-01-01', '2026-01-02')).toContain('longer than 366 days');
    expect(customRangeProblem('2026-01-01', '2026-01-01')).toBeNull();
  });
  it('turns a range into metric parameters by window kind', () => {
    expect(rangeParams({ kind: 'preset', preset: '7d' }, 'range')).toEqual({ days: 7 });
    expect(rangeParams({ kind: 'preset', preset: '90d' }, 'days')).toEqual({ days: 90 });
    const custom = { kind: 'custom', start: '2026-11-01', end: '2026-11-15' } as const;
    expect(rangeParams(custom, 'range')).toEqual({ start: '2026-11-01', end: '2026-11-15' });
    expect(rangeParams(custom, 'days')).toEqual({ days: 15, asOf: '2026-11-15T23:59:59Z' });
  });
  it('computes the previous period of the same length', () => {
    const today = '2026-12-03';
    expect(rangeBounds({ kind: 'preset', preset: '7d' }, today)).toEqual({ start: '2026-11-27', end: '2026-12-03' });
    expect(previousRange({ kind: 'preset', preset: '7d' }, today)).toEqual({
      kind: 'custom',
      start: '2026-11-20',
      end: '2026-11-26',
    });
    expect(previousRange({ kind: 'custom', start: '2026-11-01', end: '2026-11-15' }, today)).toEqual({
      kind: 'custom',
      start: '2026-10-17',
      end: '2026-10-31',
    });
  });
});
