// Cache statistics (GET /api/v1/cache/stats) and clearing (POST /api/v1/cache/clear), for one
// project or all, after an explicit confirmation; the statistics are fetched again after it.

import { useState } from 'react';
import { clearCache, fetchCacheStats, type CacheClearAnswer, type CacheStats } from '../../api/admin';
import { DataTable, type Column } from '../../components/DataTable';
import { KpiCard } from '../../components/KpiCard';
import { ErrorState } from '../../components/StatusView';
import { formatBytes, formatInt, formatPercent } from '../../format';
import { useAsync, type AsyncState } from '../../state/hooks';
import { AdminCard, NeedsAdminKey } from './AdminCard';
import { cacheProjectRows, needsAdminKey, type CacheProjectRow } from './model';

const PROJECT_COLUMNS: Column<CacheProjectRow>[] = [
  { key: 'project', label: 'Project' },
  { key: 'entries', label: 'Entries', align: 'right', render: (r) => formatInt(r.entries) },
  { key: 'bytes', label: 'Size', align: 'right', render: (r) => formatBytes(r.bytes) },
  { key: 'hitRatio', label: 'Hit ratio', align: 'right', render: (r) => formatPercent(r.hitRatio * 100) },
  { key: 'hits', label: 'Hits', align: 'right', render: (r) => formatInt(r.hits) },
  { key: 'misses', label: 'Misses', align: 'right', render: (r) => formatInt(r.misses) },
  { key: 'staleHits', label: 'Stale hits', align: 'right', render: (r) => formatInt(r.staleHits) },
  { key: 'evictions', label: 'Evictions', align: 'right', render: (r) => formatInt(r.evictions) },
];

type ClearState =
  | { step: 'idle' }
  | { step: 'confirm' }
  | { step: 'clearing' }
  | { step: 'done'; answer: CacheClearAnswer }
  | { step: 'failed'; error: Error };

function ClearControls({ stats, onCleared }: { stats: CacheStats; onCleared: () => void }) {
  const [scope, setScope] = useState('');
  const [state, setState] = useState<ClearState>({ step: 'idle' });
  const projects = Object.keys(stats.projects ?? {}).sort();
  const target = scope ? `project ${scope}` : 'every project';
  const entries = scope ? (stats.projects[scope]?.entries ?? 0) : stats.entries;

  const clear = () => {
    setState({ step: 'clearing' });
    clearCache(scope || undefined).then(
      (answer) => {
        setState({ step: 'done', answer });
        onCleared();
      },
      (error: unknown) =>
        setState({ step: 'failed', error: error instanceof Error ? error : new Error(String(error)) }),
    );
  };

  return (
    <div className="cache-clear" data-testid="cache-clear">
      <div className="admin-row">
        <label className="picker">
          Clear
          <select
            value={scope}
            onChange={(e) => {
              setScope(e.target.value);
              setState({ step: 'idle' });
            }}
            disabled={state.step === 'confirm' || state.step === 'clearing'}
            data-testid="cache-clear-scope"
          >
            <option value="">All projects</option>
            {projects.map((p) => (
              <option key={p} value={p}>
                Project {p}
              </option>
            ))}
          </select>
        </label>
        {state.step === 'confirm' || state.step === 'clearing' ? (
          <span className="confirm" role="group" aria-label="Confirm clearing the cache">
            <span>
              Remove {formatInt(entries)} cached {entries === 1 ? 'answer' : 'answers'} of {target}? The next requests
              query the sources again.
            </span>
            <button
              type="button"
              className="btn btn-danger"
              onClick={clear}
              disabled={state.step === 'clearing'}
              data-testid="cache-clear-confirm"
            >
              {state.step === 'clearing' ? 'Clearing…' : 'Yes, clear'}
            </button>
            <button
              type="button"
              className="btn"
              onClick={() => setState({ step: 'idle' })}
              disabled={state.step === 'clearing'}
            >
              Keep
            </button>
          </span>
        ) : (
          <button
            type="button"
            className="btn"
            onClick={() => setState({ step: 'confirm' })}
            data-testid="cache-clear-button"
          >
            Clear cache…
          </button>
        )}
      </div>
      {state.step === 'done' && (
        <p className="admin-result" role="status" data-testid="cache-clear-result">
          Cleared {formatInt(state.answer.cleared)} {state.answer.cleared === 1 ? 'entry' : 'entries'}
          {state.answer.project ? ` of project ${state.answer.project}` : ' of every project'}.
        </p>
      )}
      {state.step === 'failed' &&
        (needsAdminKey(state.error) ? (
          <NeedsAdminKey error={state.error} what="Clearing the cache" />
        ) : (
          <ErrorState error={state.error} />
        ))}
    </div>
  );
}

/** The statistics' answer, fetched by the page (it also tells whether the key is an admin's). */
export function useCacheStats(): AsyncState<CacheStats> {
  return useAsync<CacheStats>('admin:cache-stats', fetchCacheStats);
}

export function CachePanel({ stats }: { stats: AsyncState<CacheStats> }) {
  return (
    <AdminCard
      id="cache"
      title="Result cache"
      state={stats}
      className="span-12"
      actions={
        <button
          type="button"
          className="btn"
          onClick={stats.reload}
          disabled={stats.loading}
          data-testid="cache-refresh"
        >
          Refresh
        </button>
      }
    >
      {(s) => (
        <>
          <p className="admin-row muted" data-testid="cache-backend">
            <span className="badge">{s.backend}</span>
            <span className={`badge ${s.status === 'ok' ? 'badge-ok' : s.status === 'disabled' ? '' : 'badge-error'}`}>
              {s.status}
            </span>
            {!s.enabled && <span>The cache is turned off (cache.enabled: false).</span>}
            {s.error && <span className="field-error">{s.error}</span>}
          </p>
          <div className="kpi-grid">
            <KpiCard id="cache-entries" label="Entries" value={s.entries} format={formatInt} />
            <KpiCard
              id="cache-bytes"
              label="Size"
              value={s.bytes}
              format={formatBytes}
              hint={
                s.maxBytes
                  ? `of ${formatBytes(s.maxBytes)} (${formatPercent((s.bytes / s.maxBytes) * 100)})`
                  : undefined
              }
            />
            <KpiCard
              id="cache-hit-ratio"
              label="Hit ratio"
              value={s.hitRatio}
              format={(v) => formatPercent(v === null || v === undefined ? v : v * 100)}
              hint={`${formatInt(s.hits)} hits, ${formatInt(s.misses)} misses`}
            />
            <KpiCard id="cache-evictions" label="Evictions" value={s.evictions} format={formatInt} />
            <KpiCard
              id="cache-stale-hits"
              label="Stale hits"
              value={s.staleHits}
              format={formatInt}
              hint={`${formatInt(s.refreshes)} background refreshes, ${formatInt(s.coalesced)} coalesced`}
            />
            <KpiCard id="cache-backend-errors" label="Backend errors" value={s.backendErrors} format={formatInt} />
          </div>
          <h3 className="admin-subtitle">Per project</h3>
          {cacheProjectRows(s).length === 0 ? (
            <div className="state state-empty" data-state="empty">
              No project has cached answers.
            </div>
          ) : (
            <DataTable
              columns={PROJECT_COLUMNS}
              rows={cacheProjectRows(s)}
              caption="Cache statistics per project"
              rowKey={(r) => r.project}
              testId="cache-projects"
            />
          )}
          <ClearControls stats={s} onCleared={stats.reload} />
        </>
      )}
    </AdminCard>
  );
}
