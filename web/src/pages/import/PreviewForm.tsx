// Step 2: the preview of an uploaded file. Shows what was detected (format, delimiter, header,
// encoding), and per table (one per sheet of a workbook) its first rows under editable column
// names and types; the bad-rows policy; then Import (POST /confirm with the edits) or Cancel.

import { useState, type FormEvent } from 'react';
import type { ConfirmBody, CsvDialect, ImportJob, ImportTable, PreviewHints } from '../../api/imports';
import { formatBytes, formatCell, formatInt } from '../../format';
import {
  confirmBody,
  describeChar,
  dialectFacts,
  editProblems,
  fieldIds,
  initialEdits,
  rowsLabel,
  typeOptions,
  type EditProblem,
  type ImportEdits,
  type TableEdit,
} from './model';

/** Preview rows shown per table (the API sends up to 100). */
const SHOWN_ROWS = 20;

function TablePreview({
  table,
  index,
  edit,
  onChange,
  multiple,
  problems,
}: {
  table: ImportTable;
  index: number;
  edit: TableEdit;
  onChange: (next: TableEdit) => void;
  multiple: boolean;
  problems: EditProblem[];
}) {
  const rows = table.preview?.rows ?? [];
  const shown = rows.slice(0, SHOWN_ROWS);
  const badRows = table.preview?.badRows ?? 0;
  const invalid = (id: string) => problems.some((p) => p.field === id) || undefined;
  const setColumn = (ci: number, change: Partial<TableEdit['columns'][number]>) =>
    onChange({ ...edit, columns: edit.columns.map((c, i) => (i === ci ? { ...c, ...change } : c)) });
  const title = table.sheet !== null ? `Sheet “${table.sheet}”` : 'Table';
  const includeId = `import-t${index}-include`;

  return (
    <section
      className={`import-table ${edit.include ? '' : 'excluded'}`}
      aria-labelledby={`import-t${index}-title`}
      data-testid={`import-table-${index}`}
    >
      <header className="import-table-header">
        <h3 id={`import-t${index}-title`}>{title}</h3>
        {table.sheet !== null && multiple && (
          <label className="toggle">
            <input
              id={includeId}
              type="checkbox"
              checked={edit.include}
              onChange={(e) => onChange({ ...edit, include: e.target.checked })}
              aria-invalid={invalid(includeId)}
              data-testid={includeId}
            />
            Import this sheet
          </label>
        )}
        <span className="muted" data-testid={`import-t${index}-rows`}>
          {rowsLabel(table.estimatedRows, table.estimateExact, formatInt)}
        </span>
      </header>
      <fieldset disabled={!edit.include} className="import-table-fields">
        <legend className="visually-hidden">{title}: table name, columns and types</legend>
        <label className="field">
          Table name
          <input
            id={fieldIds.table(index)}
            type="text"
            value={edit.name}
            onChange={(e) => onChange({ ...edit, name: e.target.value })}
            aria-invalid={invalid(fieldIds.table(index))}
            spellCheck={false}
            autoComplete="off"
            data-testid={fieldIds.table(index)}
          />
        </label>
        {badRows > 0 && (
          <div className="banner banner-warning" role="status" data-testid={`import-t${index}-bad-rows`}>
            {formatInt(badRows)} of the previewed rows do not parse or convert to the detected types. Choose “skip”
            below to import the others, or change those columns' types (VARCHAR keeps any text).
          </div>
        )}
        <div className="table-wrap import-preview-wrap">
          <table className="data-table import-preview" data-testid={`import-preview-${index}`}>
            <caption className="visually-hidden">
              {title}: the first {shown.length} rows, with each column's name and type
            </caption>
            <thead>
              <tr>
                {table.columns.map((c, ci) => {
                  const nameId = fieldIds.column(index, ci);
                  const typeId = fieldIds.type(index, ci);
                  const col = edit.columns[ci];
                  return (
                    <th key={ci} scope="col" className="import-col">
                      <label htmlFor={nameId} className="import-col-source" title="the column's name in the file">
                        {c.sourceName}
                      </label>
                      <input
                        id={nameId}
                        type="text"
                        value={col.name}
                        onChange={(e) => setColumn(ci, { name: e.target.value })}
                        aria-invalid={invalid(nameId)}
                        spellCheck={false}
                        autoComplete="off"
                        data-testid={nameId}
                      />
                      <select
                        id={typeId}
                        value={col.type}
                        onChange={(e) => setColumn(ci, { type: e.target.value })}
                        aria-label={`Type of column ${c.sourceName}`}
                        data-testid={typeId}
                      >
                        {typeOptions(c.type).map((t) => (
                          <option key={t} value={t}>
                            {t}
                            {t === c.type ? ' (detected)' : ''}
                          </option>
                        ))}
                      </select>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {shown.map((row, ri) => (
                <tr key={ri}>
                  {table.columns.map((_, ci) => (
                    <td key={ci} data-null={row[ci] === null ? '' : undefined}>
                      {formatCell(row[ci])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="muted hint">
          {shown.length === 0
            ? 'The preview has no rows.'
            : `The first ${shown.length} of ${rowsLabel(table.estimatedRows, table.estimateExact, formatInt)}, as they will be stored.`}
        </p>
      </fieldset>
    </section>
  );
}

const DELIMITERS = [',', ';', '\t', '|'];
const ENCODINGS = ['utf-8', 'latin-1', 'utf-16'];

/** "Detection is wrong?": re-reads the file with another delimiter, header, encoding or skip. */
function DialectForm({
  csv,
  busy,
  onApply,
}: {
  csv: CsvDialect;
  busy: boolean;
  onApply: (hints: PreviewHints) => void;
}) {
  const [d, setD] = useState(csv);
  const delimiters = DELIMITERS.includes(csv.delimiter) ? DELIMITERS : [csv.delimiter, ...DELIMITERS];
  return (
    <details className="import-dialect-form" data-testid="import-dialect-form">
      <summary>Detected wrong? Change the delimiter, header or encoding</summary>
      <div className="import-pick-actions">
        <label className="field">
          Delimiter
          <select value={d.delimiter} onChange={(e) => setD({ ...d, delimiter: e.target.value })}>
            {delimiters.map((c) => (
              <option key={c} value={c}>
                {describeChar(c)}
              </option>
            ))}
          </select>
        </label>
        <label className="toggle">
          <input type="checkbox" checked={d.header} onChange={(e) => setD({ ...d, header: e.target.checked })} />
          First row is the header
        </label>
        <label className="field">
          Encoding
          <select value={d.encoding} onChange={(e) => setD({ ...d, encoding: e.target.value })}>
            {(ENCODINGS.includes(d.encoding) ? ENCODINGS : [d.encoding, ...ENCODINGS]).map((x) => (
              <option key={x} value={x}>
                {x.toUpperCase()}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Lines to skip
          <input
            type="number"
            min={0}
            className="import-skip"
            value={d.skipRows}
            onChange={(e) => setD({ ...d, skipRows: Math.max(0, Number.parseInt(e.target.value, 10) || 0) })}
          />
        </label>
        <button
          type="button"
          className="btn"
          disabled={busy}
          onClick={() => onApply({ csv: d })}
          data-testid="import-reread"
        >
          Read the file again
        </button>
      </div>
    </details>
  );
}

export function PreviewForm({
  job,
  busy,
  onConfirm,
  onCancel,
  onRepreview,
  targets,
}: {
  job: ImportJob;
  /** Sources of the project configured as import targets (the select is shown when any). */
  targets: string[];
  /** Set while confirm or cancel is in flight: the buttons are disabled. */
  busy: boolean;
  onConfirm: (body: ConfirmBody) => void;
  onCancel: () => void;
  /** Re-sniffs with other dialect hints (POST /preview); the page then shows the new preview. */
  onRepreview: (hints: PreviewHints) => void;
}) {
  const [edits, setEdits] = useState<ImportEdits>(() => initialEdits(job));
  const [problems, setProblems] = useState<EditProblem[]>([]);
  const [target, setTarget] = useState(job.target ?? '');
  const multiple = job.tables.length > 1;
  const datasets = job.fitsDatasets ?? [];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = editProblems(edits);
    setProblems(found);
    if (found.length > 0) {
      document.getElementById(found[0].field)?.focus();
      return;
    }
    onConfirm(confirmBody(job, edits, target || undefined));
  };
  const setTable = (i: number, next: TableEdit) =>
    setEdits((prev) => ({ ...prev, tables: prev.tables.map((t, j) => (j === i ? next : t)) }));

  return (
    <form
      className="panel import-step"
      onSubmit={submit}
      aria-labelledby="import-preview-title"
      data-testid="import-preview"
      data-import-id={job.id}
    >
      <header className="panel-header">
        <h2 id="import-preview-title">
          Preview of <span data-testid="import-filename">{job.filename}</span>
        </h2>
        <span className="muted">{formatBytes(job.uploadedBytes)}</span>
      </header>
      <div className="panel-body import-preview-body">
        <dl className="import-facts" data-testid="import-dialect">
          {dialectFacts(job.format, job.csv).map((f) => (
            <div key={f.label}>
              <dt>{f.label}</dt>
              <dd data-testid={`import-dialect-${f.label.toLowerCase().replace(/\s+/g, '-')}`}>{f.value}</dd>
            </div>
          ))}
        </dl>
        {job.csv && <DialectForm csv={job.csv} busy={busy} onApply={onRepreview} />}
        <label className="field">
          Source name
          <input
            id="import-name"
            type="text"
            value={edits.name}
            onChange={(e) => setEdits({ ...edits, name: e.target.value })}
            spellCheck={false}
            autoComplete="off"
            data-testid="import-name"
          />
        </label>
        {job.tables.map((t, i) => (
          <TablePreview
            key={i}
            table={t}
            index={i}
            edit={edits.tables[i]}
            onChange={(next) => setTable(i, next)}
            multiple={multiple}
            problems={problems}
          />
        ))}
        <fieldset className="import-options">
          <legend>On bad rows</legend>
          <label className="toggle">
            <input
              type="radio"
              name="onError"
              value="fail"
              checked={edits.onError === 'fail'}
              onChange={() => setEdits({ ...edits, onError: 'fail' })}
              data-testid="import-onerror-fail"
            />
            Fail the import at the first one (the error names its line and column)
          </label>
          <label className="toggle">
            <input
              type="radio"
              name="onError"
              value="skip"
              checked={edits.onError === 'skip'}
              onChange={() => setEdits({ ...edits, onError: 'skip' })}
              data-testid="import-onerror-skip"
            />
            Skip them (they are counted, and a sample is shown)
          </label>
        </fieldset>
        {targets.length > 0 && (
          <label className="field import-target">
            Load the rows into
            <select value={target} onChange={(e) => setTarget(e.target.value)} data-testid="import-target">
              <option value="">Parquet files on this server (default)</option>
              {targets.map((t) => (
                <option key={t} value={t}>
                  {t} (import target)
                </option>
              ))}
            </select>
          </label>
        )}
        {datasets.length > 0 && (
          <fieldset className="import-options">
            <legend>Also serve as a dataset of the project (the columns fit)</legend>
            {datasets.map((d) => (
              <label key={d} className="toggle">
                <input
                  type="checkbox"
                  checked={edits.datasets.includes(d)}
                  onChange={(e) =>
                    setEdits({
                      ...edits,
                      datasets: e.target.checked ? [...edits.datasets, d] : edits.datasets.filter((x) => x !== d),
                    })
                  }
                />
                {d}
              </label>
            ))}
          </fieldset>
        )}
        {problems.length > 0 && (
          <ul className="field-error import-problems" role="alert" data-testid="import-problems">
            {problems.map((p) => (
              <li key={`${p.field}:${p.message}`}>{p.message}</li>
            ))}
          </ul>
        )}
        <div className="import-actions">
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="import-confirm">
            Import
          </button>
          <button type="button" className="btn" onClick={onCancel} disabled={busy} data-testid="import-cancel">
            Cancel
          </button>
        </div>
      </div>
    </form>
  );
}
