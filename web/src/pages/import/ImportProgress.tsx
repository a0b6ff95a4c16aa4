// Steps 3 and 4: the import running (phase, progress bar, rows, ETA, cancel), fed by the event
// stream; then its outcome (rows imported, rejected rows with a sample, "Query it" links).

import { Link } from 'react-router';
import type { ImportEventData, ImportJob, ImportReject } from '../../api/imports';
import { DataTable, type Column } from '../../components/DataTable';
import { formatBytes, formatInt, formatPercent } from '../../format';
import { formatEta, queryLink } from './model';

const PHASES: Record<string, string> = {
  uploading: 'Uploading',
  parsing: 'Reading the file',
  converting: 'Converting rows',
  writing: 'Writing the table',
  complete: 'Complete',
  error: 'Failed',
};

export function ImportRunning({
  job,
  event,
  cancelling,
  onCancel,
}: {
  job: ImportJob;
  /** The latest event; null until the first one arrives (the job's own fields are shown). */
  event: ImportEventData | null;
  cancelling: boolean;
  onCancel: () => void;
}) {
  const status = event?.status ?? job.status;
  const phase = event?.phase ?? job.phase;
  const progress = event?.progress ?? job.progress ?? 0;
  const rows = event?.rowsProcessed ?? job.rowsProcessed;
  const total = event?.totalRows ?? job.totalRows;
  const exact = event?.totalExact ?? false;
  const eta = event?.etaSeconds ?? job.etaSeconds;
  const bytes = event?.bytesProcessed ?? job.bytesProcessed;
  const queued = status === 'queued';
  const phaseText = queued ? 'Queued: waiting for another import to finish' : (PHASES[phase] ?? phase);
  return (
    <section
      className="panel import-step"
      aria-labelledby="import-run-title"
      data-testid="import-running"
      data-phase={phase}
      data-progress={progress}
    >
      <header className="panel-header">
        <h2 id="import-run-title">
          Importing <code>{job.name}</code>
        </h2>
        <span className="muted">{job.filename}</span>
      </header>
      <div className="panel-body">
        <label className="stacked" htmlFor="import-run-progress" data-testid="import-phase">
          {phaseText}
        </label>
        <progress
          id="import-run-progress"
          className="import-progress"
          max={100}
          value={queued ? undefined : progress}
          aria-valuetext={`${formatPercent(progress)}, ${phaseText}`}
        />
        <dl className="import-facts" aria-live="polite">
          <div>
            <dt>Done</dt>
            <dd data-testid="import-percent">{formatPercent(progress)}</dd>
          </div>
          <div>
            <dt>Rows</dt>
            <dd data-testid="import-rows-processed">
              {formatInt(rows)}
              {total !== null && total !== undefined && ` of ${exact ? '' : 'about '}${formatInt(total)}`}
            </dd>
          </div>
          <div>
            <dt>Read</dt>
            <dd>{formatBytes(bytes)}</dd>
          </div>
          <div>
            <dt>Time left</dt>
            <dd data-testid="import-eta">{formatEta(eta)}</dd>
          </div>
        </dl>
        <button type="button" className="btn" onClick={onCancel} disabled={cancelling} data-testid="import-run-cancel">
          {cancelling ? 'Cancelling…' : 'Cancel import'}
        </button>
      </div>
    </section>
  );
}

const REJECT_COLUMNS: Column<ImportReject>[] = [
  { key: 'line', label: 'Line', align: 'right', render: (r) => (r.line > 0 ? formatInt(r.line) : '–') },
  {
    key: 'column',
    label: 'Column',
    render: (r) => (r.column > 0 ? `${r.columnName || `#${r.column}`} (${r.column})` : 'whole row'),
  },
  { key: 'message', label: 'Message' },
  { key: 'raw', label: 'As written', sortable: false, render: (r) => <code className="import-raw">{r.raw}</code> },
];

export function ImportComplete({
  job,
  event,
  onAnother,
}: {
  job: ImportJob;
  event: ImportEventData | null;
  onAnother: () => void;
}) {
  const source = event?.source ?? job.name;
  const rows = event?.rows ?? job.rowsProcessed;
  const rejects = job.rejects ?? [];
  const sheets = rejects.some((r) => r.sheet);
  const rejectColumns: Column<ImportReject>[] = sheets
    ? [{ key: 'sheet', label: 'Sheet', render: (r) => r.sheet ?? '–' }, ...REJECT_COLUMNS]
    : REJECT_COLUMNS;
  return (
    <section
      className="panel import-step"
      aria-labelledby="import-done-title"
      data-testid="import-complete"
      data-rows={rows}
      data-source={source}
    >
      <header className="panel-header">
        <h2 id="import-done-title">Imported</h2>
      </header>
      <div className="panel-body">
        <p role="status">
          <strong data-testid="import-rows" data-value={rows}>
            {formatInt(rows)} {rows === 1 ? 'row' : 'rows'}
          </strong>{' '}
          imported from {job.filename} into source <code>{source}</code>
          {job.tables.length > 1 && ` (${job.tables.length} tables)`}.
        </p>
        {job.rejectedRows > 0 && (
          <>
            <p className="banner banner-warning" data-testid="import-rejected" data-value={job.rejectedRows}>
              {formatInt(job.rejectedRows)} {job.rejectedRows === 1 ? 'row was' : 'rows were'} rejected and skipped
              {rejects.length < job.rejectedRows ? `; the first ${rejects.length} are shown` : ''}.
            </p>
            <DataTable
              columns={rejectColumns}
              rows={rejects}
              caption="Rejected rows"
              rowKey={(r, i) => `${r.table}:${r.line}:${r.column}:${i}`}
              testId="import-rejects"
            />
          </>
        )}
        <div className="import-actions">
          {job.tables.map((t) => (
            <Link
              key={t.name}
              className="btn btn-primary"
              to={queryLink(source, t.name, job.project)}
              data-testid="import-query-link"
            >
              {job.tables.length > 1 ? `Query ${t.name}` : 'Query it'}
            </Link>
          ))}
          <button type="button" className="btn" onClick={onAnother} data-testid="import-another">
            Import another file
          </button>
        </div>
      </div>
    </section>
  );
}
