// Every configured source with its health (status, type, last check latency and time, the error
// when unhealthy) and capabilities, and a schema browser: source -> tables (filterable) ->
// columns. The chosen source is the route (/sources/:sourceId); the table and the filter are URL
// parameters, so a schema view is shared by its link.

import { useNavigate, useParams, useLocation, Link } from 'react-router';
import { apiGet } from '../api/client';
import type { SourceInfo, SourcesAnswer, TableAnswer, TablesAnswer } from '../api/types';
import { DataTable, type Column } from '../components/DataTable';
import { formatAge, formatDuration, formatTimestamp } from '../format';
import { useAsync, useUrlParam } from '../state/hooks';
import { AsyncPanel } from '../components/Panel';
import { capabilityChips, filterTables, qualifiedName, statusTone } from './sources/model';
import './Sources.css';

const enc = encodeURIComponent;

/** The URL's search without the schema browser's own parameters (they belong to one source). */
function sharedSearch(search: string): string {
  const params = new URLSearchParams(search);
  params.delete('table');
  params.delete('filter');
  const s = params.toString();
  return s ? `?${s}` : '';
}

function StatusBadge({ source }: { source: SourceInfo }) {
  return (
    <span
      className={`badge badge-status badge-status-${statusTone(source.status)}`}
      data-testid={`source-status-${source.id}`}
    >
      {source.status}
    </span>
  );
}

function SourceCard({ source, selected }: { source: SourceInfo; selected: boolean }) {
  const { search } = useLocation();
  const chips = capabilityChips(source.capabilities);
  return (
    <article
      className={`source-card ${selected ? 'selected' : ''}`}
      data-testid={`source-card-${source.id}`}
      aria-labelledby={`source-${source.id}-name`}
    >
      <header className="source-card-header">
        <h3 id={`source-${source.id}-name`}>{source.id}</h3>
        <span className="badge" data-testid={`source-type-${source.id}`}>
          {source.type}
        </span>
        <StatusBadge source={source} />
      </header>
      <dl className="source-facts">
        <div>
          <dt>Health check latency</dt>
          <dd data-testid={`source-latency-${source.id}`}>{formatDuration(source.latencyMs)}</dd>
        </div>
        <div>
          <dt>Checked</dt>
          <dd title={formatTimestamp(source.checkedAt)}>
            {source.checkedAt ? formatAge(source.checkedAt) : 'not yet'}
          </dd>
        </div>
      </dl>
      {source.error && (
        <div className="state-error source-error" role="alert" data-testid={`source-error-${source.id}`}>
          <strong>{source.error.code}</strong>: {source.error.message}
        </div>
      )}
      <ul className="chips" aria-label="Capabilities" data-testid={`source-capabilities-${source.id}`}>
        {chips.map((c) => (
          <li key={c.label} className={`chip ${c.supported ? '' : 'chip-no'}`}>
            {c.supported ? (
              c.label
            ) : (
              <>
                <span className="visually-hidden">no </span>
                <s>{c.label}</s>
              </>
            )}
          </li>
        ))}
      </ul>
      <Link
        to={`/sources/${enc(source.id)}${sharedSearch(search)}`}
        className="btn"
        aria-current={selected ? 'page' : undefined}
        data-testid={`browse-${source.id}`}
      >
        Browse schema
      </Link>
    </article>
  );
}

const COLUMN_COLUMNS: Column<TableAnswer['columns'][number]>[] = [
  { key: 'name', label: 'Column', render: (c) => <code>{c.name}</code> },
  { key: 'type', label: 'Type' },
  { key: 'sourceType', label: 'Source type', render: (c) => <code>{c.sourceType}</code> },
  { key: 'nullable', label: 'Nullable', render: (c) => (c.nullable ? 'yes' : 'no') },
];

function ColumnsBox({ sourceId, table }: { sourceId: string; table: string }) {
  const state = useAsync<TableAnswer>(`columns:${sourceId}:${table}`, (signal) =>
    apiGet<TableAnswer>(`/api/v1/sources/${enc(sourceId)}/tables/${enc(table)}`, undefined, signal),
  );
  return (
    <AsyncPanel
      id="columns"
      title={
        <>
          Columns of <code>{table}</code>
        </>
      }
      state={state}
      isEmpty={(d) => d.columns.length === 0}
      emptyMessage="This table has no columns."
      className="schema-columns"
    >
      {(d) => (
        <>
          <p className="muted schema-meta">
            {d.table.kind} · {d.columns.length} column{d.columns.length === 1 ? '' : 's'}
          </p>
          <DataTable
            columns={COLUMN_COLUMNS}
            rows={d.columns}
            caption={`Columns of ${table}`}
            rowKey={(c) => c.name}
            testId="columns-table"
          />
        </>
      )}
    </AsyncPanel>
  );
}

function SchemaBrowser({ sources, sourceId }: { sources: SourceInfo[] | undefined; sourceId: string | undefined }) {
  const navigate = useNavigate();
  const { search } = useLocation();
  const [filter, setFilter] = useUrlParam('filter');
  const [table, setTable] = useUrlParam('table');
  const source = sources?.find((s) => s.id === sourceId);
  const introspects = source?.capabilities?.schemaIntrospection !== false;
  const tables = useAsync<TablesAnswer>(sourceId && introspects ? `tables:${sourceId}` : null, (signal) =>
    apiGet<TablesAnswer>(`/api/v1/sources/${enc(sourceId ?? '')}/tables`, undefined, signal),
  );

  return (
    <section className="schema-browser" aria-labelledby="schema-title" data-testid="schema-browser">
      <div className="schema-toolbar">
        <h2 id="schema-title">Schema browser</h2>
        <label className="picker">
          Source
          <select
            value={sourceId ?? ''}
            onChange={(e) =>
              navigate(
                e.target.value
                  ? `/sources/${enc(e.target.value)}${sharedSearch(search)}`
                  : `/sources${sharedSearch(search)}`,
              )
            }
            data-testid="schema-source"
          >
            <option value="">Choose a source…</option>
            {(sources ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.id} ({s.type})
              </option>
            ))}
            {sourceId && sources && !source && <option value={sourceId}>{sourceId} (not configured)</option>}
          </select>
        </label>
      </div>
      {!sourceId ? (
        <div className="state state-empty" data-state="empty">
          Choose a source to see its tables and columns.
        </div>
      ) : !introspects ? (
        <div className="state state-empty" data-state="empty" data-testid="no-introspection">
          Source <code>{sourceId}</code> ({source?.type}) does not list tables: its connector has no schema
          introspection. Query it from the query console instead.
        </div>
      ) : (
        <div className="grid">
          <AsyncPanel
            id="tables"
            title={
              <>
                Tables of <code>{sourceId}</code>
              </>
            }
            state={tables}
            className="span-4"
            isEmpty={(d) => d.tables.length === 0}
            emptyMessage="This source has no tables."
          >
            {(d) => {
              const shown = filterTables(d.tables, filter ?? '');
              return (
                <>
                  <label className="field table-filter">
                    Filter
                    <input
                      type="search"
                      value={filter ?? ''}
                      onChange={(e) => setFilter(e.target.value)}
                      placeholder="table name"
                      data-testid="table-filter"
                    />
                  </label>
                  <p className="muted schema-meta" aria-live="polite">
                    {shown.length} of {d.tables.length} table{d.tables.length === 1 ? '' : 's'}
                  </p>
                  <ul className="table-list" data-testid="table-list">
                    {shown.map((t) => {
                      const name = qualifiedName(t);
                      const active = name === table;
                      return (
                        <li key={name}>
                          <button
                            type="button"
                            className={`table-item ${active ? 'active' : ''}`}
                            aria-pressed={active}
                            onClick={() => setTable(name)}
                            data-testid={`table-${t.name}`}
                          >
                            {t.schema && <span className="muted">{t.schema}.</span>}
                            {t.name}
                            <span className="table-kind">{t.kind}</span>
                          </button>
                        </li>
                      );
                    })}
                  </ul>
                  {shown.length === 0 && (
                    <div className="state state-empty" data-state="empty">
                      No table matches “{filter}”.
                    </div>
                  )}
                </>
              );
            }}
          </AsyncPanel>
          <div className="span-8 schema-right">
            {table ? (
              <ColumnsBox sourceId={sourceId} table={table} />
            ) : (
              <div className="panel state state-empty" data-state="empty">
                Choose a table to see its columns, types and nullability.
              </div>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

export function SourcesPage() {
  const { sourceId } = useParams();
  const sources = useAsync<SourcesAnswer>('sources', (signal) =>
    apiGet<SourcesAnswer>('/api/v1/sources', undefined, signal),
  );
  return (
    <div className="page sources-page">
      <h1>Sources</h1>
      <AsyncPanel
        id="sources"
        title="Configured sources"
        state={sources}
        isEmpty={(d) => d.sources.length === 0}
        emptyMessage="No source is configured (or this key sees none)."
        actions={
          <button type="button" className="btn" onClick={sources.reload} disabled={sources.loading}>
            Refresh
          </button>
        }
      >
        {(d) => (
          <div className="source-cards">
            {d.sources.map((s) => (
              <SourceCard key={s.id} source={s} selected={s.id === sourceId} />
            ))}
          </div>
        )}
      </AsyncPanel>
      <SchemaBrowser sources={sources.data?.sources} sourceId={sourceId} />
    </div>
  );
}
