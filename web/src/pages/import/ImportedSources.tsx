// The imported sources (GET /api/v1/sources, type "import"): searchable by name or file name
// (the search is in the URL), with format, where the rows are stored, size, rows, status
// (progress while importing, refreshed until none is), age, a query link, and Delete behind a
// confirmation dialog.

import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { deleteSource } from '../../api/imports';
import type { SourceInfo, SourcesAnswer } from '../../api/types';
import { DataTable, type Column } from '../../components/DataTable';
import { AsyncPanel } from '../../components/Panel';
import { ErrorState } from '../../components/StatusView';
import { formatAge, formatBytes, formatInt, formatPercent, formatTimestamp } from '../../format';
import type { AsyncState } from '../../state/hooks';
import { useProjects } from '../../state/projects';
import { useUrlText } from '../query/useUrlText';
import { anyImporting, filterImportedSources, importErrorText, queryLink } from './model';

/** How often the list is read again while an import is running. */
const IMPORTING_POLL_MS = 2000;

function StatusCell({ s }: { s: SourceInfo }) {
  const imp = s.import;
  if (!imp) return <>–</>;
  if (imp.status === 'importing') {
    const p = imp.progress ?? 0;
    return (
      <span className="import-status" data-testid={`imported-status-${s.id}`} data-status="importing">
        <progress max={100} value={p} aria-label={`${s.id} import progress`} /> {formatPercent(p)}
      </span>
    );
  }
  const tone = imp.status === 'ready' ? 'badge-ok' : imp.status === 'error' ? 'badge-error' : '';
  return (
    <span
      className={`badge ${tone}`}
      title={importErrorText(imp.error)}
      data-testid={`imported-status-${s.id}`}
      data-status={imp.status}
    >
      {imp.status}
    </span>
  );
}

function DeleteDialog({
  source,
  onClose,
  onDeleted,
}: {
  source: SourceInfo;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  const remove = () => {
    setBusy(true);
    setError(null);
    deleteSource(source.id).then(
      () => onDeleted(),
      (e: unknown) => {
        setBusy(false);
        setError(e instanceof Error ? e : new Error(String(e)));
      },
    );
  };
  const target = source.import?.kind && source.import.kind !== 'parquet';
  return (
    <dialog
      ref={ref}
      className="modal import-delete-dialog"
      aria-labelledby="import-delete-title"
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
      data-testid="import-delete-dialog"
    >
      <h2 id="import-delete-title">Delete source {source.id}?</h2>
      <p>
        {target
          ? `This removes the source from Tributary; its table stays in the ${source.import?.kind} target.`
          : `This removes the source and its imported files (${formatBytes(source.import?.sizeBytes)}). Queries and links that use it stop working.`}
      </p>
      {error && <ErrorState error={error} />}
      <div className="import-actions">
        <button
          type="button"
          className="btn btn-danger"
          onClick={remove}
          disabled={busy}
          data-testid="import-delete-confirm"
        >
          {busy ? 'Deleting…' : 'Delete'}
        </button>
        <button type="button" className="btn" onClick={onClose} disabled={busy} autoFocus>
          Keep it
        </button>
      </div>
    </dialog>
  );
}

export function ImportedSources({
  sources,
  refresh,
  polling,
}: {
  /** GET /api/v1/sources (the page reads it once for the list and the import targets). */
  sources: AsyncState<SourcesAnswer>;
  refresh: number;
  polling: boolean;
}) {
  const [search, setSearch] = useUrlText('search');
  const [deleting, setDeleting] = useState<SourceInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { reload } = sources;
  const project = useProjects().current?.id;

  // The page bumps `refresh` when an import ends; read the list again then.
  const firstRefresh = useRef(refresh);
  useEffect(() => {
    if (refresh !== firstRefresh.current) reload();
  }, [refresh, reload]);

  const importing = polling || anyImporting(sources.data?.sources);
  useEffect(() => {
    if (!importing) return;
    const timer = window.setInterval(reload, IMPORTING_POLL_MS);
    return () => window.clearInterval(timer);
  }, [importing, reload]);

  const columns: Column<SourceInfo>[] = [
    {
      key: 'id',
      label: 'Name',
      render: (s) => <code data-testid={`imported-name-${s.id}`}>{s.id}</code>,
    },
    { key: 'file', label: 'File', value: (s) => s.import?.filename, render: (s) => s.import?.filename ?? '–' },
    {
      key: 'format',
      label: 'Format',
      value: (s) => s.import?.format,
      render: (s) => s.import?.format.toUpperCase() ?? '–',
    },
    {
      key: 'kind',
      label: 'Stored in',
      value: (s) => s.import?.kind,
      render: (s) => (
        <span title="parquet: local files; postgres or clickhouse: an import target">{s.import?.kind ?? '–'}</span>
      ),
    },
    {
      key: 'size',
      label: 'Size',
      align: 'right',
      value: (s) => s.import?.sizeBytes,
      render: (s) => formatBytes(s.import?.sizeBytes),
    },
    {
      key: 'rows',
      label: 'Rows',
      align: 'right',
      value: (s) => s.import?.rowCount,
      render: (s) => (
        <span data-testid={`imported-rows-${s.id}`} data-value={s.import?.rowCount ?? ''}>
          {formatInt(s.import?.rowCount)}
        </span>
      ),
    },
    { key: 'status', label: 'Status', value: (s) => s.import?.status, render: (s) => <StatusCell s={s} /> },
    {
      key: 'created',
      label: 'Created',
      value: (s) => s.import?.createdAt,
      render: (s) => (
        <time dateTime={s.import?.createdAt} title={formatTimestamp(s.import?.createdAt)}>
          {formatAge(s.import?.createdAt)}
        </time>
      ),
    },
    {
      key: 'actions',
      label: 'Actions',
      sortable: false,
      render: (s) => {
        const table = s.import?.tables[0]?.name;
        return (
          <span className="import-row-actions">
            {table && s.import?.status === 'ready' && (
              <Link className="btn" to={queryLink(s.id, table, project)} aria-label={`Query ${s.id}`}>
                Query
              </Link>
            )}
            <button
              type="button"
              className="btn"
              onClick={() => {
                setNotice(null);
                setDeleting(s);
              }}
              aria-label={`Delete ${s.id}`}
              data-testid={`imported-delete-${s.id}`}
            >
              Delete
            </button>
          </span>
        );
      },
    },
  ];

  return (
    <AsyncPanel
      id="imported-sources"
      title="Imported sources"
      state={sources}
      actions={
        <button type="button" className="btn" onClick={reload} disabled={sources.loading}>
          Refresh
        </button>
      }
    >
      {(d) => {
        const all = filterImportedSources(d.sources, '', project);
        const shown = filterImportedSources(d.sources, search, project);
        return (
          <>
            <div className="toolbar import-list-toolbar">
              <label className="field">
                Search
                <input
                  type="search"
                  value={search}
                  onChange={(e) => setSearch(e.target.value)}
                  placeholder="name or file name"
                  data-testid="imported-search"
                />
              </label>
              <span className="muted" aria-live="polite" data-testid="imported-count">
                {shown.length} of {all.length} imported source{all.length === 1 ? '' : 's'}
              </span>
            </div>
            {notice && (
              <p className="banner" role="status" data-testid="imported-notice">
                {notice}
              </p>
            )}
            {all.length === 0 ? (
              <div className="state state-empty" data-state="empty">
                No file has been imported yet (or this key sees none). Upload one above.
              </div>
            ) : shown.length === 0 ? (
              <div className="state state-empty" data-state="empty">
                No imported source matches “{search}”.
              </div>
            ) : (
              <DataTable
                columns={columns}
                rows={shown}
                caption="Imported sources"
                rowKey={(s) => s.id}
                initialSort={{ key: 'created', desc: true }}
                testId="imported-table"
              />
            )}
            {deleting && (
              <DeleteDialog
                source={deleting}
                onClose={() => setDeleting(null)}
                onDeleted={() => {
                  setNotice(`Source ${deleting.id} was deleted.`);
                  setDeleting(null);
                  reload();
                }}
              />
            )}
          </>
        );
      }}
    </AsyncPanel>
  );
}
