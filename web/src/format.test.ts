import { describe, expect, it } from 'vitest';
import {
  computeChange,
  formatAge,
  formatBytes,
  formatCell,
  formatCompact,
  formatDuration,
  formatInt,
  formatPercent,
  formatTimestamp,
  formatUsd,
} from './format';

describe('numbers', () => {
  it('groups integers and rounds', () => {
    expect(formatInt(20589)).toBe('20,589');
    expect(formatInt(1234567.6)).toBe('1,234,568');
    expect(formatInt(0)).toBe('0');
  });
  it('shows a dash for missing values', () => {
    expect(formatInt(null)).toBe('–');
    expect(formatInt(Number.NaN)).toBe('–');
    expect(formatPercent(undefined)).toBe('–');
    expect(formatUsd(Number.POSITIVE_INFINITY)).toBe('–');
  });
  it('formats percentages, durations, money and bytes', () => {
    expect(formatPercent(95.38315988647115)).toBe('95.4%');
    expect(formatDuration(4817.53)).toBe('4.82 s');
    expect(formatDuration(312.4)).toBe('312 ms');
    expect(formatUsd(12.3456)).toBe('$12.35');
    expect(formatUsd(0.0042)).toBe('$0.0042');
    expect(formatBytes(4215)).toBe('4.1 KiB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatCompact(35520149)).toBe('35.5M');
  });
});

describe('computeChange', () => {
  it('is relative to the previous value', () => {
    expect(computeChange(110, 100)).toMatchObject({ text: '+10.0%', direction: 'up' });
    expect(computeChange(96, 100)).toMatchObject({ text: '\u22124.0%', direction: 'down' });
    expect(computeChange(100, 100)).toMatchObject({ text: '0.0%', direction: 'flat' });
  });
  it('handles a zero or missing previous period', () => {
    expect(computeChange(5, 0)).toMatchObject({ text: 'new', direction: 'up', percent: null });
    expect(computeChange(0, 0)).toMatchObject({ text: '0.0%', direction: 'flat' });
    expect(computeChange(5, null)).toMatchObject({ text: '–', direction: 'none' });
  });
  it('treats a change that rounds to zero as flat', () => {
    expect(computeChange(100.01, 100).direction).toBe('flat');
  });
});

describe('times', () => {
  const now = new Date('2026-12-03T12:00:00Z');
  it('says how long ago', () => {
    expect(formatAge('2026-12-03T11:59:58Z', now)).toBe('just now');
    expect(formatAge('2026-12-03T11:59:18Z', now)).toBe('42 s ago');
    expect(formatAge('2026-12-03T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAge('2026-12-03T09:00:00Z', now)).toBe('3 h ago');
    expect(formatAge('2026-11-30T12:00:00Z', now)).toBe('3 d ago');
    expect(formatAge('not a time', now)).toBe('–');
  });
  it('prints UTC timestamps', () => {
    expect(formatTimestamp('2026-12-03T14:25:51.018443Z')).toBe('2026-12-03 14:25:51 UTC');
  });
  it('prints query cells', () => {
    expect(formatCell(null)).toBe('NULL');
    expect(formatCell({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(formatCell(3.5)).toBe('3.5');
  });
});
