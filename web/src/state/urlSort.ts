// A table's sort kept in one URL parameter: "events" (ascending) or "-events" (descending).

export interface SortState {
  key: string;
  desc: boolean;
}

/** Reads a sort parameter; a key not in `allowed` (a stale or edited link) gives `fallback`. */
export function parseSortParam(value: string | null, allowed: readonly string[], fallback: SortState): SortState {
  if (!value) return fallback;
  const desc = value.startsWith('-');
  const key = desc ? value.slice(1) : value;
  return allowed.includes(key) ? { key, desc } : fallback;
}

/** The parameter for a sort, always written. */
export function formatSortParam(sort: SortState): string {
  return `${sort.desc ? '-' : ''}${sort.key}`;
}

/** The parameter for a sort; the fallback itself gives null so default links stay short. */
export function writeSortParam(sort: SortState, fallback: SortState): string | null {
  if (sort.key === fallback.key && sort.desc === fallback.desc) return null;
  return formatSortParam(sort);
}
