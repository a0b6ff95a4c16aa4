// Pure helpers for the sources page: readable capability chips, status badge classes, table
// names and the table filter. Unit-tested in model.test.ts.

import type { TableRef } from '../../api/types';

export interface CapabilityChip {
  /** "Schema introspection", "Dialect: duckdb". */
  label: string;
  /** false for a capability the source lacks (shown struck through, "no ..." for readers). */
  supported: boolean;
}

/** Capability names the API uses, in words. Unknown ones are split from camelCase. */
const CAPABILITY_LABELS: Record<string, string> = {
  dialect: 'Dialect',
  schemaIntrospection: 'Schema introspection',
  parameters: 'Bound parameters',
  cancellation: 'Cancellation',
  costEstimate: 'Cost estimate',
};

/** "someCapabilityName" -> "Some capability name". */
export function humanize(name: string): string {
  const words = name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();
  return words ? words[0].toUpperCase() + words.slice(1) : name;
}

/** The capabilities as chips: text values first ("Dialect: duckdb"), then supported, then not. */
export function capabilityChips(caps: Record<string, boolean | string> | null | undefined): CapabilityChip[] {
  if (!caps) return [];
  const label = (name: string) => CAPABILITY_LABELS[name] ?? humanize(name);
  const text: CapabilityChip[] = [];
  const yes: CapabilityChip[] = [];
  const no: CapabilityChip[] = [];
  for (const [name, value] of Object.entries(caps)) {
    if (typeof value === 'string') text.push({ label: `${label(name)}: ${value}`, supported: true });
    else (value ? yes : no).push({ label: label(name), supported: value });
  }
  return [...text, ...yes, ...no];
}

export type StatusTone = 'ok' | 'error' | 'warn';

/** Badge tone of a source status: ok, unavailable (or any failure) and unknown (not checked yet). */
export function statusTone(status: string): StatusTone {
  if (status === 'ok') return 'ok';
  if (status === 'unknown' || status === '') return 'warn';
  return 'error';
}

/** The name the table routes accept: schema-qualified when the source reports a schema. */
export function qualifiedName(t: TableRef): string {
  return t.schema ? `${t.schema}.${t.name}` : t.name;
}

/** Tables whose (qualified) name contains every word of `filter`, case-insensitively, sorted. */
export function filterTables(tables: TableRef[], filter: string): TableRef[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  return tables
    .filter((t) => {
      const name = qualifiedName(t).toLowerCase();
      return words.every((w) => name.includes(w));
    })
    .sort((a, b) => qualifiedName(a).localeCompare(qualifiedName(b)));
}
