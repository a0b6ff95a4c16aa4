import { describe, expect, it } from 'vitest';
import { formatSortParam, parseSortParam, writeSortParam } from './urlSort';

const fallback = { key: 'events', desc: true };
const allowed = ['client', 'events', 'users'];

describe('sort parameter', () => {
  it('reads ascending and descending keys', () => {
    expect(parseSortParam('users', allowed, fallback)).toEqual({ key: 'users', desc: false });
    expect(parseSortParam('-client', allowed, fallback)).toEqual({ key: 'client', desc: true });
  });
  it('falls back for a missing or unknown key', () => {
    expect(parseSortParam(null, allowed, fallback)).toBe(fallback);
    expect(parseSortParam('-nope', allowed, fallback)).toBe(fallback);
  });
  it('writes the sort back, leaving the default out of the URL', () => {
    expect(writeSortParam({ key: 'users', desc: false }, fallback)).toBe('users');
    expect(writeSortParam({ key: 'client', desc: true }, fallback)).toBe('-client');
    expect(writeSortParam({ key: 'events', desc: true }, fallback)).toBeNull();
    expect(formatSortParam({ key: 'events', desc: true })).toBe('-events');
  });
  it('round-trips', () => {
    for (const s of [
      { key: 'users', desc: true },
      { key: 'client', desc: false },
    ]) {
      expect(parseSortParam(writeSortParam(s, fallback), allowed, fallback)).toEqual(s);
    }
  });
});
