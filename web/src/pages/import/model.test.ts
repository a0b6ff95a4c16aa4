import { describe, expect, it } from 'vitest';
import type { ImportJob } from '../../api/imports';
import type { SourceInfo } from '../../api/types';
import { formatInt } from '../../format';
import {
  anyImporting,
  COLUMN_TYPES,
  confirmBody,
  describeChar,
  dialectFacts,
  editProblems,
  filterImportedSources,
  formatEta,
  importErrorText,
  importTargets,
  initialEdits,
  queryLink,
  rowsLabel,
  sqlIdentifier,
  typeOptions,
  uploadStatus,
} from './model';

function job(over: Partial<ImportJob> = {}): ImportJob {
  return {
    id: 'imp_1',
    project: 'demo',
    name: 'sales',
    filename: 'sales.csv',
    uploadedBytes: 100,
    status: 'awaiting_confirmation',
    phase: 'parsing',
    progress: 0,
    format: 'csv',
    csv: { delimiter: ',', quote: '"', escape: '"', header: true, encoding: 'utf-8', skipRows: 0 },
    onError: 'fail',
    target: null,
    tables: [
      {
        name: 'sales',
        sheet: null,
        estimatedRows: 3,
        estimateExact: true,
        columns: [
          { sourceName: 'Order ID', name: 'order_id', type: 'BIGINT' },
          { sourceName: 'Amount', name: 'amount', type: 'DECIMAL(10,2)' },
        ],
        preview: { rows: [['1', '2.50']], badRows: 0 },
      },
    ],
    rowsProcessed: 0,
    totalRows: 3,
    bytesProcessed: 0,
    etaSeconds: null,
    rejectedRows: 0,
    rejects: [],
    error: null,
    createdAt: '2026-12-03T18:00:00.000Z',
    finishedAt: null,
    ...over,
  };
}

const xlsx = () =>
  job({
    format: 'xlsx',
    csv: null,
    tables: [
      {
        name: 'orders',
        sheet: 'Orders',
        estimatedRows: 2,
        estimateExact: true,
        columns: [{ sourceName: 'a', name: 'a', type: 'DATE' }],
      },
      {
        name: 'notes',
        sheet: 'Notes',
        estimatedRows: 1,
        estimateExact: true,
        columns: [{ sourceName: 'b', name: 'b', type: 'VARCHAR' }],
      },
    ],
  });

describe('type choices', () => {
  it('lists the standard types, plus a detected one that is not among them', () => {
    expect(typeOptions('BIGINT')).toEqual(COLUMN_TYPES);
    expect(typeOptions('DECIMAL(10,2)')).toEqual(['DECIMAL(10,2)', ...COLUMN_TYPES]);
    expect(typeOptions('')).toEqual(COLUMN_TYPES);
  });
});

describe('upload status', () => {
  it('shows bytes, percent and speed', () => {
    const s = uploadStatus(1536 * 1024, 3 * 1024 * 1024, 500);
    expect(s.percent).toBe(50);
    expect(s.text).toBe('1.5 MiB of 3.0 MiB · 50% · 3.0 MiB/s');
  });
  it('has no speed before any time passed, and no division by a zero total', () => {
    expect(uploadStatus(0, 0, 0)).toEqual({ percent: 0, rate: null, text: '0 B of 0 B · 0%' });
  });
});

describe('ETA', () => {
  it('formats seconds, minutes and hours', () => {
    expect(formatEta(7.1)).toBe('7 s');
    expect(formatEta(125)).toBe('2 min 5 s');
    expect(formatEta(3780)).toBe('1 h 3 min');
    expect(formatEta(null)).toBe('–');
    expect(formatEta(-1)).toBe('–');
  });
});

describe('dialect', () => {
  it('names delimiters and quotes', () => {
    expect(describeChar(',')).toBe('comma (,)');
    expect(describeChar('\t')).toBe('tab');
    expect(describeChar('')).toBe('none');
    expect(describeChar('#')).toBe('#');
  });
  it('lists the CSV facts, only the format for other files', () => {
    expect(dialectFacts('csv', job().csv)).toEqual([
      { label: 'Format', value: 'CSV' },
      { label: 'Delimiter', value: 'comma (,)' },
      { label: 'Header', value: 'first row' },
      { label: 'Encoding', value: 'UTF-8' },
      { label: 'Quote', value: 'double quote (")' },
    ]);
    expect(dialectFacts('xlsx', null)).toEqual([{ label: 'Format', value: 'XLSX' }]);
    const odd = dialectFacts('csv', {
      delimiter: ';',
      quote: '"',
      escape: '\\',
      header: false,
      encoding: 'latin-1',
      skipRows: 2,
    });
    expect(odd.map((f) => f.value)).toEqual([
      'CSV',
      'semicolon (;)',
      'none',
      'LATIN-1',
      'double quote (")',
      'backslash (\\)',
      '2',
    ]);
  });
});

describe('confirm body', () => {
  it('sends every column of every included table, renamed and retyped', () => {
    const j = job();
    const edits = initialEdits(j);
    edits.tables[0].columns[1] = { name: ' total ', type: 'DOUBLE' };
    edits.onError = 'skip';
    expect(confirmBody(j, edits)).toEqual({
      onError: 'skip',
      tables: [
        {
          name: 'sales',
          sheet: null,
          columns: [
            { sourceName: 'Order ID', name: 'order_id', type: 'BIGINT' },
            { sourceName: 'Amount', name: 'total', type: 'DOUBLE' },
          ],
        },
      ],
    });
  });
  it('leaves out unchecked sheets, and sends a new source name, target and datasets', () => {
    const j = xlsx();
    const edits = initialEdits(j);
    edits.tables[1].include = false;
    edits.name = 'book';
    edits.datasets = ['llm_logs'];
    const body = confirmBody(j, edits, 'warehouse');
    expect(body.tables?.map((t) => t.sheet)).toEqual(['Orders']);
    expect(body.name).toBe('book');
    expect(body.target).toBe('warehouse');
    expect(body.datasets).toEqual(['llm_logs']);
  });
});

describe('edit problems', () => {
  it('accepts the detected plan', () => {
    expect(editProblems(initialEdits(job()))).toEqual([]);
  });
  it('finds empty and duplicate column names (case-insensitive), naming the field', () => {
    const edits = initialEdits(job());
    edits.tables[0].columns[1].name = 'ORDER_ID';
    expect(editProblems(edits)).toEqual([
      { field: 'import-t0-c1-name', message: 'two columns of sales are named "ORDER_ID": rename one' },
    ]);
    edits.tables[0].columns[0].name = '  ';
    expect(editProblems(edits)[0]).toEqual({ field: 'import-t0-c0-name', message: 'column 1 of sales needs a name' });
  });
  it('needs one included table and distinct table names', () => {
    const edits = initialEdits(xlsx());
    edits.tables[1].name = 'Orders';
    expect(editProblems(edits)).toEqual([
      { field: 'import-t1-name', message: 'two tables are named "Orders": rename one' },
    ]);
    edits.tables[0].include = false;
    edits.tables[1].include = false;
    expect(editProblems(edits)).toEqual([
      { field: 'import-t0-include', message: 'choose at least one sheet to import' },
    ]);
  });
});

describe('query link', () => {
  it('opens the console with the source and a LIMIT 100 query', () => {
    const url = new URL(queryLink('sales', 'sales', 'demo'), 'http://x');
    expect(url.pathname).toBe('/query');
    expect(url.searchParams.get('project')).toBe('demo');
    expect(url.searchParams.get('source')).toBe('sales');
    expect(url.searchParams.get('sql')).toBe('SELECT * FROM sales LIMIT 100');
  });
  it('quotes table names that are not plain identifiers', () => {
    expect(sqlIdentifier('orders_2026')).toBe('orders_2026');
    expect(sqlIdentifier('Orders')).toBe('"Orders"');
    expect(sqlIdentifier('a"b')).toBe('"a""b"');
  });
});

describe('imported sources', () => {
  const src = (id: string, type: string, filename?: string, status = 'ready'): SourceInfo => ({
    id,
    type,
    status: 'ok',
    latencyMs: null,
    checkedAt: null,
    error: null,
    capabilities: {},
    import: filename
      ? {
          id: `imp_${id}`,
          kind: 'parquet',
          format: 'csv',
          filename,
          sizeBytes: 1,
          rowCount: 1,
          status,
          error: null,
          createdAt: '',
          lastAccessedAt: null,
          tables: [],
        }
      : undefined,
  });
  const all = [
    src('demo', 'duckdb'),
    src('sales', 'import', 'Q3 Sales.csv'),
    src('kunden', 'import', 'kunden-ü.xlsx', 'importing'),
  ];
  it('keeps imports only, matching every word in the name or file name', () => {
    expect(filterImportedSources(all, '').map((s) => s.id)).toEqual(['sales', 'kunden']);
    expect(filterImportedSources(all, 'q3 SALES').map((s) => s.id)).toEqual(['sales']);
    expect(filterImportedSources(all, 'ü').map((s) => s.id)).toEqual(['kunden']);
    expect(filterImportedSources(all, 'demo')).toEqual([]);
  });
  it('keeps the current project imports when the API names the owner', () => {
    const owned = all.map((s) =>
      s.import ? { ...s, import: { ...s.import, project: s.id === 'sales' ? 'p1' : 'p2' } } : s,
    );
    expect(filterImportedSources(owned, '', 'p1').map((s) => s.id)).toEqual(['sales']);
    expect(filterImportedSources(owned, '', undefined).map((s) => s.id)).toEqual(['sales', 'kunden']);
    // Without an owner in the answer, nothing is hidden.
    expect(filterImportedSources(all, '', 'p1').map((s) => s.id)).toEqual(['sales', 'kunden']);
  });
  it('lists the import targets of the project only', () => {
    const pg = { ...src('warehouse', 'postgres'), importTarget: true };
    const other = { ...src('elsewhere', 'clickhouse'), importTarget: true };
    expect(importTargets([...all, pg, other], ['demo', 'warehouse'])).toEqual(['warehouse']);
    expect(importTargets(undefined, ['warehouse'])).toEqual([]);
  });
  it('shows an import error given as a message or as {code, message}', () => {
    expect(importErrorText('disk full')).toBe('disk full');
    expect(importErrorText({ code: 'UNAVAILABLE', message: 'gone' })).toBe('UNAVAILABLE: gone');
    expect(importErrorText(null)).toBeUndefined();
  });
  it('knows when one is still importing', () => {
    expect(anyImporting(all)).toBe(true);
    expect(anyImporting(all.slice(0, 2))).toBe(false);
    expect(anyImporting(undefined)).toBe(false);
  });
  it('labels exact and estimated row counts', () => {
    expect(rowsLabel(12000, false, formatInt)).toBe('about 12,000 rows');
    expect(rowsLabel(1, true, formatInt)).toBe('1 row');
    expect(rowsLabel(null, true, formatInt)).toBe('unknown number of rows');
  });
});
