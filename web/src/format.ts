// Number, time and change formatting for every view. Fixed to en-US so the numbers a test reads
// off a card are the API's numbers formatted one known way, whatever the browser's locale.

const LOCALE = 'en-US';
const intFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const compactFormat = new Intl.NumberFormat(LOCALE, { notation: 'compact', maximumFractionDigits: 1 });

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** 20589 -> "20,589"; null or NaN -> "–". */
export function formatInt(v: number | null | undefined): string {
  return isNumber(v) ? intFormat.format(Math.round(v)) : '–';
}

/** 35520149 -> "35.5M" (axis labels, dense tables). */
export function formatCompact(v: number | null | undefined): string {
  return isNumber(v) ? compactFormat.format(v) : '–';
}

/** A number with a fixed count of decimals and grouping: (1234.5, 2) -> "1,234.50". */
export function formatDecimal(v: number | null | undefined, digits = 2): string {
  if (!isNumber(v)) return '–';
  return new Intl.NumberFormat(LOCALE, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
}

/**
 * A measured value of any scale (a series point, a baseline): 1234.5 -> "1,234.5", 31 -> "31",
 * 2.345 -> "2.35", 0.0123 -> "0.0123" (three significant digits under 1).
 */
export function formatNumber(v: number | null | undefined): string {
  if (!isNumber(v)) return '–';
  const abs = Math.abs(v);
  const options: Intl.NumberFormatOptions =
    abs >= 100
      ? { maximumFractionDigits: 1 }
      : abs >= 1
        ? { maximumFractionDigits: 2 }
        : { maximumSignificantDigits: 3 };
  return new Intl.NumberFormat(LOCALE, options).format(v);
}

/** A value that already is a percentage: 95.383 -> "95.4%". */
export function formatPercent(v: number | null | undefined, digits = 1): string {
  return isNumber(v) ? `${formatDecimal(v, digits)}%` : '–';
}

/** Milliseconds: 4817.5 -> "4.82 s", 312.4 -> "312 ms". */
export function formatDuration(ms: number | null | undefined): string {
  if (!isNumber(ms)) return '–';
  if (Math.abs(ms) >= 1000) return `${formatDecimal(ms / 1000, 2)} s`;
  return `${intFormat.format(Math.round(ms))} ms`;
}

/** US dollars: 12.3456 -> "$12.35"; under a cent shows four decimals. */
export function formatUsd(v: number | null | undefined): string {
  if (!isNumber(v)) return '–';
  const digits = v !== 0 && Math.abs(v) < 0.01 ? 4 : 2;
  return new Intl.NumberFormat(LOCALE, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(v);
}

/** Bytes in binary units: 4215 -> "4.1 KiB". */
export function formatBytes(v: number | null | undefined): string {
  if (!isNumber(v)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = v;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${intFormat.format(value)} B` : `${formatDecimal(value, 1)} ${units[unit]}`;
}

export type ChangeDirection = 'up' | 'down' | 'flat' | 'none';

export interface Change {
  /** "+12.3%", "−4.0%", "0.0%", "new" or "–". */
  text: string;
  direction: ChangeDirection;
  /** The relative change in percent; null when it cannot be computed. */
  percent: number | null;
}

/** The change of `current` against `previous`, in percent of the previous value. */
export function computeChange(current: number | null | undefined, previous: number | null | undefined): Change {
  if (!isNumber(current) || !isNumber(previous)) return { text: '–', direction: 'none', percent: null };
  if (previous === 0) {
    return current === 0
      ? { text: '0.0%', direction: 'flat', percent: 0 }
      : { text: 'new', direction: current > 0 ? 'up' : 'down', percent: null };
  }
  const percent = ((current - previous) / Math.abs(previous)) * 100;
  const rounded = Math.round(percent * 10) / 10;
  if (rounded === 0) return { text: '0.0%', direction: 'flat', percent };
  const sign = rounded > 0 ? '+' : '\u2212';
  return { text: `${sign}${formatDecimal(Math.abs(rounded), 1)}%`, direction: rounded > 0 ? 'up' : 'down', percent };
}

/** How long ago `iso` was, from `now`: "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function formatAge(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '–';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '–';
  const seconds = Math.max(0, Math.round((now.getTime() - t) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** An ISO timestamp as "2026-12-03 14:25:51 UTC" (the API's times are UTC). */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return '–';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  return `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A query result cell as text: null as "NULL", objects as JSON. */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
