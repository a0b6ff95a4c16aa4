import { describe, expect, it } from 'vitest';
import { capabilityChips, filterTables, humanize, qualifiedName, statusTone } from './model';

describe('capabilityChips', () => {
  it('lists text values, then supported, then missing capabilities in words', () => {
    expect(
      capabilityChips({
        dialect: 'duckdb',
        schemaIntrospection: true,
        parameters: true,
        cancellation: true,
        costEstimate: false,
      }),
    ).toEqual([
      { label: 'Dialect: duckdb', supported: true },
      { label: 'Schema introspection', supported: true },
      { label: 'Bound parameters', supported: true },
      { label: 'Cancellation', supported: true },
      { label: 'Cost estimate', supported: false },
    ]);
  });
  it('words unknown capabilities from their name', () => {
    expect(capabilityChips({ streamingResults: true })).toEqual([{ label: 'Streaming results', supported: true }]);
    expect(capabilityChips(null)).toEqual([]);
  });
  it('humanizes camelCase and snake_case', () => {
    expect(humanize('maxPointsPerQuery')).toBe('Max points per query');
    expect(humanize('read_only')).toBe('Read only');
  });
});

describe('statusTone', () => {
  it('maps the source statuses to badge tones', () => {
    expect(statusTone('ok')).toBe('ok');
    expect(statusTone('unavailable')).toBe('error');
    expect(statusTone('unknown')).toBe('warn');
  });
});

describe('tables', () => {
  const tables = [
    { schema: 'main', name: 'web_events', kind: 'table' },
    { schema: 'main', name: 'llm_logs', kind: 'table' },
    { name: 'orders', kind: 'view' },
  ];
  it('qualifies names that have a schema', () => {
    expect(qualifiedName(tables[0])).toBe('main.web_events');
    expect(qualifiedName(tables[2])).toBe('orders');
  });
  it('filters on every word, case-insensitively, and sorts', () => {
    expect(filterTables(tables, '').map((t) => t.name)).toEqual(['llm_logs', 'web_events', 'orders']);
    expect(filterTables(tables, 'EVENTS').map((t) => t.name)).toEqual(['web_events']);
    expect(filterTables(tables, 'main logs').map((t) => t.name)).toEqual(['llm_logs']);
    expect(filterTables(tables, 'nothing')).toEqual([]);
  });
});
