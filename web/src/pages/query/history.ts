// The recent queries of this browser tab (sessionStorage: gone with the tab, like the API key),
// newest first, one entry per distinct source + query text.

export const HISTORY_STORAGE = 'tributary.queryHistory';
export const HISTORY_MAX = 20;

export interface HistoryEntry {
  source: string;
  sql: string;
  /** ISO time the query ran. */
  at: string;
  /** Rows returned, when it succeeded. */
  rows?: number;
  /** The error code, when it failed. */
  error?: string;
}

/** `list` with `entry` first; an older run of the same query on the same source is dropped. */
export function pushHistory(list: HistoryEntry[], entry: HistoryEntry, max = HISTORY_MAX): HistoryEntry[] {
  const rest = list.filter((e) => !(e.source === entry.source && e.sql === entry.sql));
  return [entry, ...rest].slice(0, max);
}

function isEntry(v: unknown): v is HistoryEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.source === 'string' &&
    typeof e.sql === 'string' &&
    typeof e.at === 'string' &&
    (e.rows === undefined || typeof e.rows === 'number') &&
    (e.error === undefined || typeof e.error === 'string')
  );
}

/** The stored history; anything unreadable (old format, hand edits) is dropped, never thrown. */
export function parseHistory(text: string | null): HistoryEntry[] {
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter(isEntry).slice(0, HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

/** The first line of a query, shortened to `max` characters, for the history list. */
export function summarizeSql(sql: string, max = 80): string {
  const flat = sql.trim().replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

export function loadHistory(): HistoryEntry[] {
  return parseHistory(storage()?.getItem(HISTORY_STORAGE) ?? null);
}

export function saveHistory(list: HistoryEntry[]): void {
  try {
    const s = storage();
    if (list.length) s?.setItem(HISTORY_STORAGE, JSON.stringify(list));
    else s?.removeItem(HISTORY_STORAGE);
  } catch {
    // storage full or disabled: the history lasts for this page only
  }
}
