import { describe, expect, it } from 'vitest';
import { HISTORY_MAX, parseHistory, pushHistory, summarizeSql, type HistoryEntry } from './history';

const entry = (sql: string, source = 'demo', at = '2026-12-03T10:00:00Z'): HistoryEntry => ({ source, sql, at });

describe('pushHistory', () => {
  it('puts the newest first', () => {
    const list = pushHistory(pushHistory([], entry('SELECT 1')), entry('SELECT 2'));
    expect(list.map((e) => e.sql)).toEqual(['SELECT 2', 'SELECT 1']);
  });

  it('moves a repeated query on the same source to the front instead of duplicating it', () => {
    let list = [entry('SELECT 1'), entry('SELECT 2')];
    list = pushHistory(list, { ...entry('SELECT 2', 'demo', '2026-12-03T11:00:00Z'), rows: 1 });
    expect(list).toEqual([{ source: 'demo', sql: 'SELECT 2', at: '2026-12-03T11:00:00Z', rows: 1 }, entry('SELECT 1')]);
  });

  it('keeps the same query on another source as its own entry', () => {
    const list = pushHistory([entry('SELECT 1', 'demo')], entry('SELECT 1', 'pg'));
    expect(list).toHaveLength(2);
  });

  it('keeps at most the given number of entries', () => {
    let list: HistoryEntry[] = [];
    for (let i = 0; i < HISTORY_MAX + 5; i++) list = pushHistory(list, entry(`SELECT ${i}`));
    expect(list).toHaveLength(HISTORY_MAX);
    expect(list[0].sql).toBe(`SELECT ${HISTORY_MAX + 4}`);
  });
});

describe('parseHistory', () => {
  it('reads what was stored', () => {
    const list = [
      { ...entry('SELECT 1'), rows: 1 },
      { ...entry('DELETE FROM t'), error: 'PERMISSION_DENIED' },
    ];
    expect(parseHistory(JSON.stringify(list))).toEqual(list);
  });

  it('drops what it cannot read instead of throwing', () => {
    expect(parseHistory(null)).toEqual([]);
    expect(parseHistory('not json')).toEqual([]);
    expect(parseHistory('{"a":1}')).toEqual([]);
    expect(parseHistory(JSON.stringify([entry('SELECT 1'), { sql: 1 }, null]))).toEqual([entry('SELECT 1')]);
  });
});

describe('summarizeSql', () => {
  it('flattens whitespace and shortens long queries', () => {
    expect(summarizeSql('SELECT a,\n  b\nFROM t')).toBe('SELECT a, b FROM t');
    expect(summarizeSql('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
