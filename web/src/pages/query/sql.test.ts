import { describe, expect, it } from 'vitest';
import {
  buildQueryBody,
  indent,
  insertAt,
  isMacPlatform,
  isRunShortcut,
  languageLabel,
  MAX_URL_SQL_ENCODED,
  quoteIdent,
  sqlForUrl,
  tableQuery,
  type QueryForm,
} from './sql';

describe('sqlForUrl', () => {
  it('keeps a query as it is', () => {
    expect(sqlForUrl('SELECT 1')).toBe('SELECT 1');
    expect(sqlForUrl("SELECT *\nFROM t WHERE a = 'x&y'")).toBe("SELECT *\nFROM t WHERE a = 'x&y'");
  });

  it('leaves an empty query out of the URL', () => {
    expect(sqlForUrl('')).toBeNull();
    expect(sqlForUrl('  \n ')).toBeNull();
  });

  it('leaves a query too long for a link out of the URL, counting its encoded length', () => {
    const plain = `SELECT '${'a'.repeat(MAX_URL_SQL_ENCODED - 20)}'`;
    expect(sqlForUrl(plain)).toBe(plain);
    // Each é is six characters once percent-encoded.
    expect(sqlForUrl(`SELECT '${'é'.repeat(MAX_URL_SQL_ENCODED / 6)}'`)).toBeNull();
  });
});

describe('buildQueryBody', () => {
  const form = (change: Partial<QueryForm> = {}): QueryForm => ({
    source: 'demo',
    sql: 'SELECT 1',
    project: 'demo',
    limit: '',
    params: '',
    options: '',
    ...change,
  });

  it('builds the minimal body', () => {
    expect(buildQueryBody(form())).toEqual({ ok: true, body: { source: 'demo', sql: 'SELECT 1', project: 'demo' } });
    expect(buildQueryBody(form({ project: undefined }))).toEqual({
      ok: true,
      body: { source: 'demo', sql: 'SELECT 1' },
    });
  });

  it('adds the row limit, parameters and options', () => {
    expect(
      buildQueryBody(
        form({
          limit: ' 50 ',
          params: '["purchase", {"type": "date", "value": "2026-11-01"}]',
          options: '{"step": "60s", "n": 2}',
        }),
      ),
    ).toEqual({
      ok: true,
      body: {
        source: 'demo',
        sql: 'SELECT 1',
        project: 'demo',
        limit: 50,
        params: ['purchase', { type: 'date', value: '2026-11-01' }],
        options: { step: '60s', n: 2 },
      },
    });
  });

  it('refuses an empty query or no source', () => {
    expect(buildQueryBody(form({ sql: '  ' }))).toMatchObject({ ok: false, field: 'sql' });
    expect(buildQueryBody(form({ source: '' }))).toMatchObject({ ok: false, field: 'source' });
  });

  it('refuses a row limit that is not a whole number in range', () => {
    for (const limit of ['0', '-1', '1.5', 'ten', '1000001']) {
      expect(buildQueryBody(form({ limit }))).toMatchObject({ ok: false, field: 'limit' });
    }
    expect(buildQueryBody(form({ limit: '1000000' }))).toMatchObject({ ok: true, body: { limit: 1_000_000 } });
  });

  it('refuses parameters that are not a JSON array', () => {
    expect(buildQueryBody(form({ params: '[1,' }))).toMatchObject({ ok: false, field: 'params' });
    expect(buildQueryBody(form({ params: '{"a":1}' }))).toMatchObject({ ok: false, field: 'params' });
    expect(buildQueryBody(form({ params: '[]' }))).toEqual({
      ok: true,
      body: { source: 'demo', sql: 'SELECT 1', project: 'demo' },
    });
  });

  it('refuses options that are not an object of plain values', () => {
    expect(buildQueryBody(form({ options: '[1]' }))).toMatchObject({ ok: false, field: 'options' });
    expect(buildQueryBody(form({ options: 'nope' }))).toMatchObject({ ok: false, field: 'options' });
    expect(buildQueryBody(form({ options: '{"a": {"b": 1}}' }))).toMatchObject({
      ok: false,
      field: 'options',
      message: expect.stringContaining("'a'"),
    });
  });
});

describe('isRunShortcut', () => {
  const key = (
    change: Partial<{ key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }>,
  ) => ({
    key: 'Enter',
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    altKey: false,
    ...change,
  });

  it('is Ctrl+Enter off a Mac and Cmd+Enter on one', () => {
    expect(isRunShortcut(key({ ctrlKey: true }), false)).toBe(true);
    expect(isRunShortcut(key({ metaKey: true }), false)).toBe(false);
    expect(isRunShortcut(key({ metaKey: true }), true)).toBe(true);
    expect(isRunShortcut(key({ ctrlKey: true }), true)).toBe(false);
  });

  it('is not plain Enter, another key, or with Shift or Alt', () => {
    expect(isRunShortcut(key({}), false)).toBe(false);
    expect(isRunShortcut(key({ key: 'a', ctrlKey: true }), false)).toBe(false);
    expect(isRunShortcut(key({ ctrlKey: true, shiftKey: true }), false)).toBe(false);
    expect(isRunShortcut(key({ ctrlKey: true, altKey: true }), false)).toBe(false);
  });

  it('recognises Mac platforms', () => {
    expect(isMacPlatform('MacIntel')).toBe(true);
    expect(isMacPlatform('iPhone')).toBe(true);
    expect(isMacPlatform('Linux x86_64')).toBe(false);
    expect(isMacPlatform('Win32')).toBe(false);
  });
});

describe('indent', () => {
  it('inserts two spaces at the cursor', () => {
    expect(indent('SELECT 1', 6, 6, false)).toEqual({ text: 'SELECT   1', selectionStart: 8, selectionEnd: 8 });
  });

  it('replaces a selection within one line', () => {
    expect(indent('SELECT xx', 7, 9, false)).toEqual({ text: 'SELECT   ', selectionStart: 9, selectionEnd: 9 });
  });

  it('indents every line of a selection spanning lines', () => {
    const text = 'SELECT a,\nb\nFROM t';
    const edit = indent(text, 3, 11, false);
    expect(edit.text).toBe('  SELECT a,\n  b\nFROM t');
    expect(edit.selectionStart).toBe(5);
    expect(edit.selectionEnd).toBe(15);
  });

  it('does not indent the line after a selection that ends with its newline', () => {
    expect(indent('a\nb\nc', 0, 4, false).text).toBe('  a\n  b\nc');
  });

  it('outdents the current line, or the selected lines, by up to two spaces', () => {
    expect(indent('    SELECT 1', 6, 6, true)).toEqual({ text: '  SELECT 1', selectionStart: 4, selectionEnd: 4 });
    expect(indent('  a\n b\nc', 0, 7, true).text).toBe('a\nb\nc');
    expect(indent('x', 1, 1, true)).toEqual({ text: 'x', selectionStart: 1, selectionEnd: 1 });
  });
});

describe('insertAt', () => {
  it('replaces the selection and puts the cursor after the insertion', () => {
    expect(insertAt('ab', 1, 1, 'XY')).toEqual({ text: 'aXYb', selectionStart: 3, selectionEnd: 3 });
    expect(insertAt('abc', 0, 3, 'Z')).toEqual({ text: 'Z', selectionStart: 1, selectionEnd: 1 });
  });
});

describe('quoteIdent and tableQuery', () => {
  it('leaves plain names bare and quotes the rest for the dialect', () => {
    expect(quoteIdent('web_events', 'duckdb')).toBe('web_events');
    expect(quoteIdent('Web Events', 'duckdb')).toBe('"Web Events"');
    expect(quoteIdent('a"b', 'postgres')).toBe('"a""b"');
    expect(quoteIdent('order', 'postgres')).toBe('"order"');
    expect(quoteIdent('my-table', 'mysql')).toBe('`my-table`');
    expect(quoteIdent('1st', 'sqlite')).toBe('"1st"');
  });

  it('builds SELECT * ... LIMIT 100, naming the schema only when it is not the default one', () => {
    expect(tableQuery({ schema: 'main', name: 'web_events', kind: 'table' }, 'duckdb')).toBe(
      'SELECT * FROM web_events LIMIT 100',
    );
    expect(tableQuery({ schema: 'public', name: 'logs', kind: 'table' }, 'postgres')).toBe(
      'SELECT * FROM logs LIMIT 100',
    );
    expect(tableQuery({ schema: 'analytics', name: 'logs', kind: 'view' }, 'postgres')).toBe(
      'SELECT * FROM analytics.logs LIMIT 100',
    );
    expect(tableQuery({ schema: 'shop', name: 'order', kind: 'table' }, 'mysql')).toBe(
      'SELECT * FROM shop.`order` LIMIT 100',
    );
    expect(tableQuery({ name: 'events', kind: 'table' }, 'sqlite')).toBe('SELECT * FROM events LIMIT 100');
    expect(tableQuery({ schema: 'my-proj.ds', name: 'events', kind: 'table' }, 'bigquery')).toBe(
      'SELECT * FROM `my-proj.ds.events` LIMIT 100',
    );
  });

  it('inserts only the name for PromQL and the Elasticsearch DSL', () => {
    expect(tableQuery({ name: 'up', kind: 'metric' }, 'promql')).toBe('up');
    expect(tableQuery({ name: 'logs-2026', kind: 'index' }, 'elasticsearch')).toBe('logs-2026');
  });

  it('labels the editor for the dialect', () => {
    expect(languageLabel('duckdb')).toBe('SQL');
    expect(languageLabel(undefined)).toBe('SQL');
    expect(languageLabel('promql')).toBe('PromQL');
    expect(languageLabel('opensearch')).toBe('Query DSL (JSON)');
  });
});
