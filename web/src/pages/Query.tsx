// The query console: pick a source of the current project, write a read-only query, run it with
// the button or Ctrl+Enter (Cmd+Enter on a Mac), cancel it, read the rows with their types, and
// download them as CSV. The source, query, row limit, parameters and options live in the URL, so
// a query can be shared by its link; recent queries are kept for the tab (sessionStorage).

import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ApiError, apiGet } from '../api/client';
import { runQuery, type QueryBody } from '../api/query';
import type { QueryAnswer, SourcesAnswer } from '../api/types';
import { EmptyState, ErrorState, Loading } from '../components/StatusView';
import { formatBytes, formatDuration, formatInt } from '../format';
import { useAsync, useViewState } from '../state/hooks';
import { useProjects } from '../state/projects';
import { csvFileName, toCsv } from './query/csv';
import { loadHistory, pushHistory, saveHistory, type HistoryEntry } from './query/history';
import { HistoryList } from './query/HistoryList';
import { ResultGrid } from './query/ResultGrid';
import { buildQueryBody, isMacPlatform, isRunShortcut, languageLabel, sqlForUrl, type BuiltBody } from './query/sql';
import { SqlEditor, type SqlEditorHandle } from './query/SqlEditor';
import { TableList } from './query/TableList';
import { useUrlText } from './query/useUrlText';
import './Query.css';

type RunState =
  | { status: 'idle' }
  | { status: 'running'; body: QueryBody; startedAt: number }
  | { status: 'done'; body: QueryBody; answer: QueryAnswer; at: Date }
  | { status: 'error'; body: QueryBody; error: Error }
  | { status: 'cancelled'; body: QueryBody };

const MAC = typeof navigator !== 'undefined' && isMacPlatform(navigator.platform || navigator.userAgent);
const RUN_KEYS = MAC ? '⌘+Enter' : 'Ctrl+Enter';

/** Seconds since `startedAt`, updated while a query runs. */
function RunningFor({ startedAt }: { startedAt: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 200);
    return () => window.clearInterval(timer);
  }, []);
  return <Loading label={`Running… ${formatDuration(now - startedAt)}`} />;
}

function download(answer: QueryAnswer, source: string, at: Date) {
  const blob = new Blob([toCsv(answer.columns, answer.rows)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = csvFileName(source, at);
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The browser reads the blob after the click returns; free it once the download has started.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function ResultBody({ run, onRetry }: { run: RunState; onRetry: () => void }) {
  switch (run.status) {
    case 'idle':
      return <EmptyState message={`Run a query (${RUN_KEYS}) to see its rows here.`} />;
    case 'running':
      return <RunningFor startedAt={run.startedAt} />;
    case 'cancelled':
      return (
        <div className="state state-empty" data-state="cancelled" data-testid="query-cancelled">
          Query cancelled; the server stops it in the engine.
        </div>
      );
    case 'error':
      return (
        <div className="query-error" data-testid="query-error">
          <ErrorState error={run.error} onRetry={onRetry} />
        </div>
      );
    case 'done': {
      const { answer, body } = run;
      const { stats } = answer;
      const warnings = answer.meta?.warnings ?? [];
      return (
        <>
          {warnings.map((w, i) => (
            <div key={i} className="banner banner-warning" role="status" data-testid="query-warning">
              <strong>{w.code}</strong>: {w.message}
              {w.bytes !== undefined && ` (${formatBytes(w.bytes)}`}
              {w.bytes !== undefined && w.usd !== undefined && `, about $${w.usd.toFixed(2)}`}
              {w.bytes !== undefined && ')'}
            </div>
          ))}
          {stats.truncated && (
            <div className="banner banner-warning" role="status" data-testid="query-truncated">
              <strong>Truncated:</strong>{' '}
              {stats.truncatedBy === 'bytes'
                ? `the result reached the server's byte limit; only the first ${formatInt(stats.rows)} rows are shown.`
                : `only the first ${formatInt(stats.rows)} rows are shown: the row limit of ${formatInt(body.limit ?? stats.rows)} rows was reached.`}{' '}
              Raise the row limit, or narrow the query (WHERE, GROUP BY).
            </div>
          )}
          {answer.columns.length === 0 || answer.rows.length === 0 ? (
            <EmptyState message="The query returned no rows." />
          ) : (
            <ResultGrid columns={answer.columns} rows={answer.rows} />
          )}
        </>
      );
    }
  }
}

/** What a screen reader hears when a run ends (the grid itself is not read out). */
function announce(run: RunState): string {
  if (run.status === 'done') return `${run.answer.stats.rows} rows${run.answer.stats.truncated ? ', truncated' : ''}`;
  if (run.status === 'error') return `query failed: ${run.error.message}`;
  if (run.status === 'cancelled') return 'query cancelled';
  return '';
}

export function QueryPage() {
  const [view, setView] = useViewState();
  const { current, loading: projectsLoading } = useProjects();
  const sources = useAsync<SourcesAnswer>('sources', (signal) =>
    apiGet<SourcesAnswer>('/api/v1/sources', undefined, signal),
  );
  const projectSources = current?.sources ?? [];
  // The query console always needs one source: the URL's, else the project's first.
  const source = view.source ?? projectSources[0];
  const info = sources.data?.sources.find((s) => s.id === source);
  const dialect = typeof info?.capabilities.dialect === 'string' ? info.capabilities.dialect : '';
  const language = languageLabel(dialect);

  const [sql, setSql] = useUrlText('sql', sqlForUrl);
  const [limit, setLimit] = useUrlText('limit');
  const [params, setParams] = useUrlText('params');
  const [options, setOptions] = useUrlText('options');
  const [showOptions, setShowOptions] = useState(() => Boolean(params || options));
  const [formError, setFormError] = useState<Extract<BuiltBody, { ok: false }> | null>(null);
  const [run, setRun] = useState<RunState>({ status: 'idle' });
  const [history, setHistory] = useState<HistoryEntry[]>(loadHistory);
  const controller = useRef<AbortController | null>(null);
  const editor = useRef<SqlEditorHandle>(null);

  // Leaving the page stops a running query (the server cancels it when the request goes away).
  useEffect(() => () => controller.current?.abort(), []);
  useEffect(() => saveHistory(history), [history]);

  const remember = useCallback((entry: HistoryEntry) => setHistory((list) => pushHistory(list, entry)), []);

  const execute = useCallback(() => {
    if (controller.current) return;
    const built = buildQueryBody({ source: source ?? '', sql, project: current?.id, limit, params, options });
    if (!built.ok) {
      setFormError(built);
      if (built.field === 'params' || built.field === 'options') setShowOptions(true);
      return;
    }
    setFormError(null);
    const body = built.body;
    const c = new AbortController();
    controller.current = c;
    setRun({ status: 'running', body, startedAt: Date.now() });
    const at = new Date();
    runQuery(body, c.signal).then(
      (answer) => {
        if (controller.current !== c) return;
        controller.current = null;
        setRun({ status: 'done', body, answer, at });
        remember({ source: body.source, sql: body.sql, at: at.toISOString(), rows: answer.stats.rows });
      },
      (error: unknown) => {
        if (controller.current !== c) return;
        controller.current = null;
        const err = error instanceof Error ? error : new Error(String(error));
        setRun({ status: 'error', body, error: err });
        remember({
          source: body.source,
          sql: body.sql,
          at: at.toISOString(),
          error: err instanceof ApiError ? err.code : 'ERROR',
        });
      },
    );
  }, [source, sql, current?.id, limit, params, options, remember]);

  const cancel = () => {
    const c = controller.current;
    if (!c || run.status !== 'running') return;
    controller.current = null;
    c.abort();
    setRun({ status: 'cancelled', body: run.body });
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    execute();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLFormElement>) => {
    if (isRunShortcut(e, MAC)) {
      e.preventDefault();
      execute();
    }
  };

  const running = run.status === 'running';
  const sqlTooLong = sql.trim() !== '' && sqlForUrl(sql) === null;
  const fieldError = (field: string) =>
    formError?.field === field ? (
      <span className="field-error" role="alert" id={`query-${field}-error`} data-testid={`query-${field}-error`}>
        {formError.message}
      </span>
    ) : null;

  return (
    <div className="page query-page">
      <h1>Query console</h1>
      <div className="query-layout">
        <div className="query-main">
          <form
            className="panel query-form"
            onSubmit={onSubmit}
            onKeyDown={onKeyDown}
            aria-label="Query"
            data-testid="query-form"
          >
            <div className="query-source-row">
              <label className="picker">
                Source
                <select
                  value={source ?? ''}
                  onChange={(e) => setView({ source: e.target.value || undefined })}
                  disabled={projectSources.length === 0}
                  data-testid="query-source"
                >
                  {projectSources.length === 0 && (
                    <option value="">{projectsLoading ? 'Loading…' : 'No source'}</option>
                  )}
                  {projectSources.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                  {source && !projectSources.includes(source) && (
                    <option value={source}>{source} (not in this project)</option>
                  )}
                </select>
              </label>
              {info && (
                <span className="badges" data-testid="query-source-info">
                  <span className="badge">
                    {info.type}
                    {dialect && dialect !== info.type ? ` · ${dialect}` : ''}
                  </span>
                  <span
                    className={`badge ${info.status === 'ok' ? 'badge-ok' : 'badge-error'}`}
                    title={info.error ? `${info.error.code}: ${info.error.message}` : undefined}
                  >
                    {info.status}
                  </span>
                </span>
              )}
              {fieldError('source')}
            </div>
            <label htmlFor="query-sql" className="editor-label">
              {language} query
            </label>
            <SqlEditor
              ref={editor}
              id="query-sql"
              value={sql}
              onChange={setSql}
              placeholder={
                dialect === 'promql'
                  ? 'rate(http_requests_total[5m])'
                  : 'SELECT event_name, count(*) AS n FROM web_events GROUP BY 1 ORDER BY 2 DESC'
              }
              describedBy={formError?.field === 'sql' ? 'query-sql-hint query-sql-error' : 'query-sql-hint'}
              invalid={formError?.field === 'sql'}
            />
            <p id="query-sql-hint" className="muted hint">
              {RUN_KEYS} runs the query. Tab indents; Esc then Tab leaves the editor. Only read-only statements are
              accepted.
            </p>
            {fieldError('sql')}
            {sqlTooLong && (
              <p className="muted hint" data-testid="query-sql-not-in-link">
                This query is too long to keep in the page's link; copy the text to share it.
              </p>
            )}
            <div className="query-actions">
              {/* Distinct keys: reusing one <button> for both would turn the clicked Cancel into a
                  submit button before the click's default action, which then runs the query again. */}
              {running ? (
                <button
                  key="cancel"
                  type="button"
                  className="btn"
                  onClick={(e) => {
                    e.preventDefault();
                    cancel();
                  }}
                  data-testid="query-cancel"
                >
                  Cancel
                </button>
              ) : (
                <button key="run" type="submit" className="btn btn-primary" data-testid="query-run" title={RUN_KEYS}>
                  Run <span className="kbd">{RUN_KEYS}</span>
                </button>
              )}
              <label className="field">
                Row limit
                <input
                  type="text"
                  inputMode="numeric"
                  className="limit-input"
                  value={limit}
                  onChange={(e) => setLimit(e.target.value)}
                  placeholder="default"
                  aria-describedby={formError?.field === 'limit' ? 'query-limit-error' : undefined}
                  aria-invalid={formError?.field === 'limit' || undefined}
                  data-testid="query-limit"
                />
              </label>
              <button
                type="button"
                className="btn"
                aria-expanded={showOptions}
                aria-controls="query-options"
                onClick={() => setShowOptions((v) => !v)}
              >
                Parameters and options
              </button>
              <button
                type="button"
                className="btn"
                disabled={run.status !== 'done' || run.answer.columns.length === 0}
                onClick={() => run.status === 'done' && download(run.answer, run.body.source, run.at)}
                data-testid="query-download"
              >
                Download CSV
              </button>
            </div>
            {fieldError('limit')}
            {showOptions && (
              <div id="query-options" className="query-options">
                <label className="stacked">
                  Parameters: a JSON array binding $1, $2, …
                  <input
                    type="text"
                    className="mono"
                    value={params}
                    onChange={(e) => setParams(e.target.value)}
                    placeholder='["purchase", {"type": "date", "value": "2026-11-01"}]'
                    data-testid="query-params"
                  />
                </label>
                {fieldError('params')}
                <label className="stacked">
                  Options: a JSON object of per-query connector options (e.g. Prometheus start, end, step)
                  <input
                    type="text"
                    className="mono"
                    value={options}
                    onChange={(e) => setOptions(e.target.value)}
                    placeholder='{"start": "now-1h", "end": "now", "step": "60s"}'
                    data-testid="query-options"
                  />
                </label>
                {fieldError('options')}
              </div>
            )}
          </form>
          <section
            className="panel result-panel"
            aria-labelledby="query-result-title"
            aria-busy={running}
            data-testid="panel-query-result"
          >
            <header className="panel-header">
              <h2 id="query-result-title">Result</h2>
              {run.status === 'done' && (
                <span className="query-stats" data-testid="query-stats">
                  <span data-testid="query-rowcount" data-value={run.answer.stats.rows}>
                    {formatInt(run.answer.stats.rows)} {run.answer.stats.rows === 1 ? 'row' : 'rows'}
                  </span>
                  {' · '}
                  <span data-testid="query-elapsed" data-value={run.answer.stats.elapsedMs}>
                    {formatDuration(run.answer.stats.elapsedMs)}
                  </span>
                  {run.answer.stats.bytes !== undefined && ` · ${formatBytes(run.answer.stats.bytes)}`}
                  {run.answer.stats.truncated && (
                    <span className="badge badge-warn" title="see the warning below">
                      truncated
                    </span>
                  )}
                </span>
              )}
            </header>
            <div className="panel-body">
              <div className="visually-hidden" aria-live="polite">
                {announce(run)}
              </div>
              <ResultBody run={run} onRetry={execute} />
            </div>
          </section>
        </div>
        <aside className="query-side" aria-label="Tables and history">
          <TableList source={source} dialect={dialect} onInsert={(text) => editor.current?.insert(text)} />
          <HistoryList
            entries={history}
            onPick={(entry) => {
              setSql(entry.sql);
              if (entry.source !== source) setView({ source: entry.source });
              editor.current?.focus();
            }}
            onClear={() => setHistory([])}
          />
        </aside>
      </div>
    </div>
  );
}
