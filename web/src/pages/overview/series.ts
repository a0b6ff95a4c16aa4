// Pure helpers that turn the web pack's metric rows into what the overview's charts and tables
// draw. Kept apart from the components so they are unit-tested (series.test.ts).

import { addDays, daysBetween } from '../../state/view';

/** The dates of a metric window: `from` inclusive to `to` exclusive (ISO timestamps, UTC). */
export function windowDates(from: string | null, to: string | null): string[] {
  if (!from || !to) return [];
  const first = from.slice(0, 10);
  // `to` is exclusive: a window ending at 2026-12-04T00:00:00Z has 2026-12-03 as its last day.
  const toDate = to.slice(0, 10);
  const last = to.slice(11, 19) === '00:00:00' || to.length <= 10 ? addDays(toDate, -1) : toDate;
  const n = daysBetween(first, last) + 1;
  // A window is at most 366 days; refuse anything absurd rather than build a huge axis.
  if (n <= 0 || n > 400) return [];
  return Array.from({ length: n }, (_, i) => addDays(first, i));
}

export interface DailySeries {
  dates: string[];
  /** One array per field, aligned with `dates`; a date with no row is 0 (no events that day). */
  values: Record<string, number[]>;
}

/**
 * Rows keyed by `date` spread over every date of the window, so a day without events shows as 0
 * instead of the line silently joining its neighbours. Dates outside the window are kept too
 * (appended in order), never dropped.
 */
export function dailySeries<Row extends { date: string }>(
  rows: Row[],
  fields: (keyof Row & string)[],
  window: { from: string | null; to: string | null },
): DailySeries {
  const byDate = new Map(rows.map((r) => [r.date.slice(0, 10), r]));
  const dates = windowDates(window.from, window.to);
  const known = new Set(dates);
  for (const d of [...byDate.keys()].sort()) if (!known.has(d)) dates.push(d);
  dates.sort();
  const values: Record<string, number[]> = {};
  for (const f of fields) {
    values[f] = dates.map((d) => {
      const v = byDate.get(d)?.[f];
      return typeof v === 'number' && Number.isFinite(v) ? v : 0;
    });
  }
  return { dates, values };
}

/** Sums numeric `fields` over rows (period totals of the daily KPIs). */
export function sumFields<Row>(rows: Row[], fields: (keyof Row & string)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of fields) {
    out[f] = rows.reduce((acc, r) => {
      const v = r[f];
      return acc + (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    }, 0);
  }
  return out;
}

export interface FunnelStep {
  step: string;
  users: number;
  conversionRate: number;
  dropOff: number;
}

/** Event names as people read them: "add_to_cart" -> "Add to cart". */
export function stepLabel(step: string): string {
  const words = step.replace(/_/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : step;
}

/** Users at the last step as a percentage of the first; null when the first step has none. */
export function overallConversion(steps: FunnelStep[]): number | null {
  if (steps.length === 0 || !steps[0].users) return null;
  return (steps[steps.length - 1].users / steps[0].users) * 100;
}
