// The query console's pure helpers: what goes into the URL, the request body built from the
// form, the editor's Tab and Ctrl+Enter handling, and the query a click on a table inserts.

import type { QueryBody } from '../../api/query';
import type { TableRef } from '../../api/types';

/**
 * The longest query (percent-encoded) kept in the URL. The link is a request line to the
 * server, whose headers are capped (server.max_header_bytes, 16 KiB by default), so a longer
 * query stays in the editor only and the page says it is not in the link.
 */
export const MAX_URL_SQL_ENCODED = 6000;

/** The `sql` URL parameter for a query: the text, or null when empty or too long for a link. */
export function sqlForUrl(sql: string): string | null {
  if (!sql.trim()) return null;
  return encodeURIComponent(sql).length > MAX_URL_SQL_ENCODED ? null : sql;
}

/** The API's row cap (server.max_row_limit's default); the server lowers it further. */
export const MAX_ROW_LIMIT = 1_000_000;

export interface QueryForm {
  source: string;
  sql: string;
  project?: string;
  /** The row limit field's text; empty: the server's default. */
  limit: string;
  /** The parameters field's text: a JSON array, or empty. */
  params: string;
  /** The options field's text: a JSON object, or empty. */
  options: string;
}

export type BuiltBody =
  | { ok: true; body: QueryBody }
  | { ok: false; field: 'sql' | 'source' | 'limit' | 'params' | 'options'; message: string };

/** The POST /api/v1/query body for the form, or what is wrong with it (checked before sending). */
export function buildQueryBody(form: QueryForm): BuiltBody {
  if (!form.source) return { ok: false, field: 'source', message: 'choose a source' };
  if (!form.sql.trim()) return { ok: false, field: 'sql', message: 'write a query first' };
  const body: QueryBody = { source: form.source, sql: form.sql };
  if (form.project) body.project = form.project;
  const limitText = form.limit.trim();
  if (limitText) {
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_ROW_LIMIT) {
      return {
        ok: false,
        field: 'limit',
        message: `the row limit must be a whole number from 1 to ${MAX_ROW_LIMIT.toLocaleString('en-US')}`,
      };
    }
    body.limit = limit;
  }
  if (form.params.trim()) {
    let params: unknown;
    try {
      params = JSON.parse(form.params);
    } catch (e) {
      return { ok: false, field: 'params', message: `parameters are not JSON (${(e as Error).message})` };
    }
    if (!Array.isArray(params)) {
      return {
        ok: false,
        field: 'params',
        message: 'parameters must be a JSON array binding $1, $2, ..., e.g. ["purchase", 10]',
      };
    }
    if (params.length) body.params = params;
  }
  if (form.options.trim()) {
    let options: unknown;
    try {
      options = JSON.parse(form.options);
    } catch (e) {
      return { ok: false, field: 'options', message: `options are not JSON (${(e as Error).message})` };
    }
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      return {
        ok: false,
        field: 'options',
        message: 'options must be a JSON object, e.g. {"start": "now-1h", "step": "60s"}',
      };
    }
    for (const [key, value] of Object.entries(options)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        return { ok: false, field: 'options', message: `option '${key}' must be a string, number or boolean` };
      }
    }
    if (Object.keys(options).length) body.options = options as Record<string, string | number | boolean>;
  }
  return { ok: true, body };
}

/** What the editor does on a key press. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** Ctrl+Enter runs the query, Cmd+Enter on a Mac. */
export function isRunShortcut(e: KeyLike, mac: boolean): boolean {
  return e.key === 'Enter' && !e.altKey && !e.shiftKey && (mac ? e.metaKey : e.ctrlKey);
}

export function isMacPlatform(platform: string): boolean {
  return /mac|iphone|ipad|ipod/i.test(platform);
}

export const INDENT = '  ';

export interface Edit {
  text: string;
  selectionStart: number;
  selectionEnd: number;
}

/**
 * Tab in the editor: inserts two spaces at the cursor (replacing a selection within one line),
 * or indents every selected line when the selection spans lines; Shift+Tab removes up to two
 * leading spaces from the current or selected lines.
 */
export function indent(text: string, start: number, end: number, outdent: boolean): Edit {
  const multiLine = text.slice(start, end).includes('\n');
  if (!outdent && !multiLine) {
    return {
      text: text.slice(0, start) + INDENT + text.slice(end),
      selectionStart: start + INDENT.length,
      selectionEnd: start + INDENT.length,
    };
  }
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  // A selection ending right after a newline does not include the next line.
  const last = end > start && text[end - 1] === '\n' ? end - 1 : end;
  const block = text.slice(lineStart, last);
  const lines = block.split('\n');
  let firstDelta = 0;
  let total = 0;
  const changed = lines.map((line, i) => {
    if (outdent) {
      const remove = line.startsWith(INDENT) ? INDENT.length : line.startsWith(' ') ? 1 : 0;
      if (i === 0) firstDelta = -remove;
      total -= remove;
      return line.slice(remove);
    }
    if (i === 0) firstDelta = INDENT.length;
    total += INDENT.length;
    return INDENT + line;
  });
  const newText = text.slice(0, lineStart) + changed.join('\n') + text.slice(last);
  return {
    text: newText,
    selectionStart: Math.max(lineStart, start + firstDelta),
    selectionEnd: Math.max(lineStart, end + total),
  };
}

/** Replaces the selection with `insert` and puts the cursor after it. */
export function insertAt(text: string, start: number, end: number, insert: string): Edit {
  const pos = start + insert.length;
  return { text: text.slice(0, start) + insert + text.slice(end), selectionStart: pos, selectionEnd: pos };
}

/** Dialects whose queries are not SQL: a click on a "table" inserts its name only. */
const NON_SQL = new Set(['promql', 'elasticsearch', 'opensearch']);
/** Schemas a table is found in without naming them. */
const DEFAULT_SCHEMAS = new Set(['main', 'public', 'default']);
/** A few words that are reserved in most SQL dialects, so a table with such a name is quoted. */
const RESERVED = new Set([
  'select',
  'from',
  'where',
  'group',
  'order',
  'by',
  'table',
  'user',
  'limit',
  'join',
  'union',
  'all',
  'and',
  'or',
  'not',
  'as',
  'on',
  'to',
  'end',
  'case',
  'when',
  'index',
  'check',
  'default',
  'desc',
  'asc',
]);

/** An identifier as the dialect writes it: bare when plain, else quoted ("x" or `x`). */
export function quoteIdent(name: string, dialect: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(name.toLowerCase())) return name;
  if (dialect === 'mysql' || dialect === 'bigquery') return `\`${name.replace(/`/g, '``')}\``;
  return `"${name.replace(/"/g, '""')}"`;
}

/** What a click on a table inserts: `SELECT * FROM <table> LIMIT 100` (the name only for PromQL/DSL). */
export function tableQuery(table: TableRef, dialect: string): string {
  if (NON_SQL.has(dialect)) return table.name;
  const parts = table.schema && !DEFAULT_SCHEMAS.has(table.schema) ? [table.schema, table.name] : [table.name];
  const qualified =
    dialect === 'bigquery' && parts.length > 1 && parts.some((p) => quoteIdent(p, dialect) !== p)
      ? `\`${parts.join('.').replace(/`/g, '')}\``
      : parts.map((p) => quoteIdent(p, dialect)).join('.');
  return `SELECT * FROM ${qualified} LIMIT 100`;
}

/** The editor's label for the dialect ("SQL", "PromQL", "Query DSL (JSON)"). */
export function languageLabel(dialect: string | undefined): string {
  if (dialect === 'promql') return 'PromQL';
  if (dialect === 'elasticsearch' || dialect === 'opensearch') return 'Query DSL (JSON)';
  return 'SQL';
}
