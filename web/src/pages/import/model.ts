// Pure helpers of the import page: upload speed, the type choices, the dialect in words, the
// confirm body from the preview's edits and its checks, ETA text, the "Query it" link and the
// imported-sources filter. Unit-tested in model.test.ts.

import type { ConfirmBody, CsvDialect, ImportJob } from '../../api/imports';
import type { SourceInfo } from '../../api/types';
import { formatBytes, formatDecimal } from '../../format';

/** The types a column can be given, in the select's order (the detected one is added if missing). */
export const COLUMN_TYPES = ['BIGINT', 'DOUBLE', 'DECIMAL(18,3)', 'BOOLEAN', 'DATE', 'TIMESTAMP', 'TIME', 'VARCHAR'];

/** The type choices for a column detected as `detected`: the standard ones plus the detected one. */
export function typeOptions(detected: string): string[] {
  const d = detected.trim().toUpperCase();
  return d && !COLUMN_TYPES.includes(d) ? [d, ...COLUMN_TYPES] : COLUMN_TYPES;
}

/** What the upload has done so far: "1.5 MiB of 3.0 MiB · 50% · 2.4 MiB/s". */
export interface UploadStatus {
  percent: number;
  /** Bytes per second; null before any time has passed. */
  rate: number | null;
  text: string;
}

export function uploadStatus(loaded: number, total: number, elapsedMs: number): UploadStatus {
  const percent = total > 0 ? Math.min(100, (loaded / total) * 100) : 0;
  const rate = elapsedMs > 0 ? (loaded / elapsedMs) * 1000 : null;
  const parts = [`${formatBytes(loaded)} of ${formatBytes(total)}`, `${formatDecimal(percent, 0)}%`];
  if (rate !== null) parts.push(`${formatBytes(rate)}/s`);
  return { percent, rate, text: parts.join(' · ') };
}

/** Seconds left as "7 s", "2 min 5 s", "1 h 3 min"; "–" when unknown. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const CHAR_NAMES: Record<string, string> = {
  ',': 'comma',
  ';': 'semicolon',
  '\t': 'tab',
  '|': 'pipe',
  ' ': 'space',
  '"': 'double quote',
  "'": 'single quote',
  '\\': 'backslash',
};

/** A delimiter or quote in words: "comma (,)", "tab", "none". */
export function describeChar(c: string): string {
  if (!c) return 'none';
  const name = CHAR_NAMES[c];
  if (c === '\t' || c === ' ') return name;
  return name ? `${name} (${c})` : c;
}

/** The detected dialect as label/value pairs for the preview. */
export function dialectFacts(format: string, csv: CsvDialect | null): { label: string; value: string }[] {
  const facts = [{ label: 'Format', value: format.toUpperCase() }];
  if (!csv) return facts;
  facts.push(
    { label: 'Delimiter', value: describeChar(csv.delimiter) },
    { label: 'Header', value: csv.header ? 'first row' : 'none' },
    { label: 'Encoding', value: csv.encoding.toUpperCase() },
    { label: 'Quote', value: describeChar(csv.quote) },
  );
  if (csv.escape && csv.escape !== csv.quote) facts.push({ label: 'Escape', value: describeChar(csv.escape) });
  if (csv.skipRows > 0) facts.push({ label: 'Skipped lines', value: String(csv.skipRows) });
  return facts;
}

/** The user's edits of one previewed table. */
export interface TableEdit {
  include: boolean;
  name: string;
  columns: { name: string; type: string }[];
}

export interface ImportEdits {
  name: string;
  onError: 'fail' | 'skip';
  tables: TableEdit[];
  datasets: string[];
}

/** The edits before any change: everything as detected, every table included. */
export function initialEdits(job: ImportJob): ImportEdits {
  return {
    name: job.name,
    onError: job.onError ?? 'fail',
    tables: job.tables.map((t) => ({
      include: true,
      name: t.name,
      columns: t.columns.map((c) => ({ name: c.name, type: c.type })),
    })),
    datasets: [],
  };
}

/** A problem with the edits, pointing at the field to fix (the field's element id). */
export interface EditProblem {
  field: string;
  message: string;
}

/** Element ids of the preview's fields (also used to point a problem at its field). */
export const fieldIds = {
  name: 'import-name',
  table: (t: number) => `import-t${t}-name`,
  column: (t: number, c: number) => `import-t${t}-c${c}-name`,
  type: (t: number, c: number) => `import-t${t}-c${c}-type`,
};

/** Checks the edits the server would refuse: empty or duplicate names, nothing to import. */
export function editProblems(edits: ImportEdits): EditProblem[] {
  const problems: EditProblem[] = [];
  if (!edits.tables.some((t) => t.include)) {
    problems.push({ field: 'import-t0-include', message: 'choose at least one sheet to import' });
  }
  const tableNames = new Map<string, number>();
  edits.tables.forEach((t, ti) => {
    if (!t.include) return;
    const tname = t.name.trim();
    if (!tname) problems.push({ field: fieldIds.table(ti), message: `table ${ti + 1} needs a name` });
    else if (tableNames.has(tname.toLowerCase())) {
      problems.push({ field: fieldIds.table(ti), message: `two tables are named "${tname}": rename one` });
    } else tableNames.set(tname.toLowerCase(), ti);
    const seen = new Set<string>();
    t.columns.forEach((c, ci) => {
      const cname = c.name.trim();
      if (!cname) {
        problems.push({
          field: fieldIds.column(ti, ci),
          message: `column ${ci + 1} of ${tname || 'the table'} needs a name`,
        });
      } else if (seen.has(cname.toLowerCase())) {
        problems.push({
          field: fieldIds.column(ti, ci),
          message: `two columns of ${tname || 'the table'} are named "${cname}": rename one`,
        });
      } else seen.add(cname.toLowerCase());
    });
  });
  return problems;
}

/** The POST /confirm body for the edits of `job`'s preview (only included tables, all columns). */
export function confirmBody(job: ImportJob, edits: ImportEdits, target?: string): ConfirmBody {
  const body: ConfirmBody = {
    onError: edits.onError,
    tables: job.tables.flatMap((t, i) => {
      const e = edits.tables[i];
      if (!e?.include) return [];
      return [
        {
          name: e.name.trim(),
          sheet: t.sheet,
          columns: t.columns.map((c, ci) => ({
            sourceName: c.sourceName,
            name: (e.columns[ci]?.name ?? c.name).trim(),
            type: e.columns[ci]?.type ?? c.type,
          })),
        },
      ];
    }),
  };
  const name = edits.name.trim();
  if (name && name !== job.name) body.name = name;
  if (target) body.target = target;
  if (edits.datasets.length > 0) body.datasets = edits.datasets;
  return body;
}

/** `name` as a SQL identifier: bare when it is a plain lower-case identifier, else double-quoted. */
export function sqlIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The query console's link for the first rows of `table` of an imported source. */
export function queryLink(source: string, table: string, project?: string): string {
  const params = new URLSearchParams();
  if (project) params.set('project', project);
  params.set('source', source);
  params.set('sql', `SELECT * FROM ${sqlIdentifier(table)} LIMIT 100`);
  return `/query?${params.toString()}`;
}

/**
 * The imported sources (type "import") of `project` (all when undefined, or when the API does not
 * say) whose name or file name contains every word of `search`.
 */
export function filterImportedSources(sources: SourceInfo[], search: string, project?: string): SourceInfo[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  return sources
    .filter((s) => s.type === 'import')
    .filter((s) => !project || !s.import?.project || s.import.project === project)
    .filter((s) => {
      const text = `${s.id} ${s.import?.filename ?? ''}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
}

/** Whether any imported source is still importing (the list then refreshes itself). */
export function anyImporting(sources: SourceInfo[] | undefined): boolean {
  return (sources ?? []).some((s) => s.type === 'import' && s.import?.status === 'importing');
}

/** "12,000 rows" or "about 12,000 rows" for an estimate. */
export function rowsLabel(rows: number | null, exact: boolean, formatInt: (n: number) => string): string {
  if (rows === null) return 'unknown number of rows';
  return `${exact ? '' : 'about '}${formatInt(rows)} ${rows === 1 ? 'row' : 'rows'}`;
}

/** An imported source's error as one line (the API gives a message, or {code, message}). */
export function importErrorText(
  error: string | { code: string; message: string } | null | undefined,
): string | undefined {
  if (!error) return undefined;
  return typeof error === 'string' ? error : `${error.code}: ${error.message}`;
}

/** The import targets a confirm may name: sources flagged importTarget that belong to the project. */
export function importTargets(sources: SourceInfo[] | undefined, projectSources: string[]): string[] {
  return (sources ?? []).filter((s) => s.importTarget === true && projectSources.includes(s.id)).map((s) => s.id);
}
