// The CSV download of the result on screen, built here from the rows the grid shows (not by
// running the query again, which could answer differently: now(), new rows, a changed limit).
// RFC 4180 like the API's `Accept: text/csv` form: CRLF lines, a header line, fields quoted
// when they hold a comma, a quote or a line break; NULL is an empty field; JSON values as JSON.
// Cells are written as the engine returned them (no spreadsheet-formula escaping: the file is
// data, and altering values would make it disagree with the source).

import type { QueryColumn } from '../../api/types';

/** One CSV field. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The whole CSV document: a header line with the column names, then one line per row. */
export function toCsv(columns: Pick<QueryColumn, 'name'>[], rows: unknown[][]): string {
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  for (const row of rows) lines.push(columns.map((_, i) => csvField(row[i])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** A file name for a download: "tributary-demo-2026-12-03T14-50-07Z.csv". */
export function csvFileName(source: string, at: Date): string {
  const safe = source.replace(/[^A-Za-z0-9_-]+/g, '_') || 'query';
  const stamp = at.toISOString().slice(0, 19).replace(/:/g, '-');
  return `tributary-${safe}-${stamp}Z.csv`;
}
