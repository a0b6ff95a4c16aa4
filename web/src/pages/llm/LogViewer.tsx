// The log viewer: the most recent requests (llm/sample_logs), a page at a time, with filters.
// Every filter, the page size and the offset live in the URL (log* parameters), so a filtered
// page can be shared by its link.

import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { buildUrl } from '../../api/client';
import { DataTable, type Column } from '../../components/DataTable';
import { Panel } from '../../components/Panel';
import { formatDuration, formatInt, formatTimestamp, formatUsd } from '../../format';
import {
  hasFilters,
  hasNextPage,
  logMetricParams,
  PAGE_SIZES,
  parseLogQuery,
  previousOffset,
  searchProblem,
  withFilter,
  writeLogQuery,
  type LogFilterKey,
  type LogQuery,
} from './helpers';
import type { LogRow } from './types';
import { useLlmMetric } from './useMetric';

const STATUSES = ['success', 'error'];

const COLUMNS = (
  [
    { key: 'timestamp', label: 'Time (UTC)', render: (r) => formatTimestamp(r.timestamp).replace(' UTC', '') },
    { key: 'requestId', label: 'Request id', render: (r) => <code data-testid="log-request-id">{r.requestId}</code> },
    { key: 'tenantId', label: 'Tenant' },
    { key: 'userId', label: 'User' },
    { key: 'model', label: 'Model' },
    {
      key: 'status',
      label: 'Status',
      render: (r) => (
        <span className={`badge ${r.status === 'success' ? 'badge-ok' : 'badge-error'}`} data-testid="log-status">
          {r.status}
        </span>
      ),
    },
    { key: 'errorType', label: 'Error type', render: (r) => r.errorType ?? '–' },
    { key: 'latencyMs', label: 'Latency', align: 'right', render: (r) => formatDuration(r.latencyMs) },
    { key: 'promptTokens', label: 'Prompt tokens', align: 'right', render: (r) => formatInt(r.promptTokens) },
    {
      key: 'completionTokens',
      label: 'Completion tokens',
      align: 'right',
      render: (r) => formatInt(r.completionTokens),
    },
    { key: 'costUsd', label: 'Cost', align: 'right', render: (r) => formatUsd(r.costUsd) },
    { key: 'queryCategory', label: 'Category' },
    {
      key: 'isAnomaly',
      label: 'Anomaly',
      render: (r) => (r.isAnomaly ? <span className="badge badge-warn">{r.anomalyType ?? 'unknown'}</span> : '–'),
    },
  ] satisfies Column<LogRow>[]
).map((c): Column<LogRow> => ({ ...c, sortable: false })); // a page of the log keeps the API's order (newest first)

/** Adds the current value to a list of options when it is not there (a URL may name any value). */
function withCurrent(options: readonly string[], current: string | undefined): string[] {
  const out = [...new Set(options)].sort();
  if (current && !out.includes(current)) out.unshift(current);
  return out;
}

interface FilterSelectProps {
  label: string;
  value: string | undefined;
  options: { value: string; label: string }[];
  anyLabel: string;
  testId: string;
  onChange: (value: string | undefined) => void;
}

function FilterSelect({ label, value, options, anyLabel, testId, onChange }: FilterSelectProps) {
  return (
    <label className="field">
      {label}
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)} data-testid={testId}>
        <option value="">{anyLabel}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

interface LogViewerProps {
  /** Known tenants (from tenant_usage) and error types (from error_analysis) for the selects. */
  tenants: string[];
  errorTypes: string[];
}

export function LogViewer({ tenants, errorTypes }: LogViewerProps) {
  const [search, setSearch] = useSearchParams();
  const { query, problems } = useMemo(() => parseLogQuery(search), [search]);
  const state = useLlmMetric<LogRow[]>('sample_logs', logMetricParams(query));
  const rows = state.data?.data;

  // The models seen so far feed the model field's suggestions (the pack has no model list).
  const [models, setModels] = useState<string[]>([]);
  useEffect(() => {
    if (!rows) return;
    setModels((prev) => {
      const next = new Set(prev);
      for (const r of rows) next.add(r.model);
      return next.size === prev.length ? prev : [...next].sort();
    });
  }, [rows]);

  // The text fields are drafts until applied (Enter or Apply), so typing does not fetch per key.
  const [modelDraft, setModelDraft] = useState(query.model ?? '');
  const [searchDraft, setSearchDraft] = useState(query.search ?? '');
  useEffect(() => setModelDraft(query.model ?? ''), [query.model]);
  useEffect(() => setSearchDraft(query.search ?? ''), [query.search]);
  const draftProblem = searchProblem(searchDraft.trim());

  const update = (next: LogQuery) => setSearch((prev) => writeLogQuery(next, prev), { replace: true });
  const setFilter = (key: LogFilterKey, value: string | undefined) => update(withFilter(query, key, value));
  const applyText = (e: FormEvent) => {
    e.preventDefault();
    if (draftProblem) return;
    let next = withFilter(query, 'model', modelDraft.trim() || undefined);
    next = withFilter(next, 'search', searchDraft.trim() || undefined);
    update(next);
  };

  const shown = rows?.length ?? 0;
  const first = query.offset + 1;
  const last = query.offset + shown;
  const nextEnabled = rows !== undefined && hasNextPage(shown, query.limit, query.offset);
  const opt = (v: string) => ({ value: v, label: v });

  const controls = (
    <div className="log-controls">
      {problems.length > 0 && (
        <div className="banner banner-warning" role="alert">
          {problems.join('; ')}
        </div>
      )}
      <form className="log-filters" onSubmit={applyText} aria-label="Log filters">
        <FilterSelect
          label="Tenant"
          value={query.tenant}
          options={withCurrent(tenants, query.tenant).map(opt)}
          anyLabel="All tenants"
          testId="log-filter-tenant"
          onChange={(v) => setFilter('tenant', v)}
        />
        <FilterSelect
          label="Status"
          value={query.status}
          options={withCurrent(STATUSES, query.status).map(opt)}
          anyLabel="Any status"
          testId="log-filter-status"
          onChange={(v) => setFilter('status', v)}
        />
        <FilterSelect
          label="Error type"
          value={query.errorType}
          options={withCurrent(errorTypes, query.errorType).map(opt)}
          anyLabel="Any error type"
          testId="log-filter-error-type"
          onChange={(v) => setFilter('errorType', v)}
        />
        <FilterSelect
          label="Anomaly"
          value={query.anomaly}
          options={[
            { value: 'true', label: 'Anomalies only' },
            { value: 'false', label: 'No anomalies' },
          ]}
          anyLabel="Any"
          testId="log-filter-anomaly"
          onChange={(v) => setFilter('anomaly', v)}
        />
        <label className="field">
          Model
          <input
            type="text"
            list="llm-log-models"
            value={modelDraft}
            placeholder="any model"
            onChange={(e) => setModelDraft(e.target.value)}
            data-testid="log-filter-model"
          />
        </label>
        <datalist id="llm-log-models">
          {models.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
        <label className="field">
          Search
          <input
            type="search"
            value={searchDraft}
            maxLength={64}
            placeholder="request or user id"
            aria-invalid={draftProblem ? true : undefined}
            aria-describedby={draftProblem ? 'llm-log-search-problem' : undefined}
            onChange={(e) => setSearchDraft(e.target.value)}
            data-testid="log-filter-search"
          />
        </label>
        <button type="submit" className="btn" disabled={Boolean(draftProblem)} data-testid="log-filter-apply">
          Apply
        </button>
        {hasFilters(query) && (
          <button
            type="button"
            className="btn"
            data-testid="log-filter-clear"
            onClick={() => update({ limit: query.limit, offset: 0 })}
          >
            Clear filters
          </button>
        )}
        {draftProblem && (
          <span id="llm-log-search-problem" className="field-error" role="alert">
            {draftProblem}
          </span>
        )}
      </form>
      <div className="log-pager" role="group" aria-label="Log pages">
        <label className="field">
          Page size
          <select
            value={query.limit}
            onChange={(e) => update({ ...query, limit: Number(e.target.value), offset: 0 })}
            data-testid="log-page-size"
          >
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn"
          disabled={query.offset === 0}
          onClick={() => update({ ...query, offset: previousOffset(query) })}
          data-testid="log-prev"
        >
          Previous
        </button>
        <button
          type="button"
          className="btn"
          disabled={!nextEnabled}
          onClick={() => update({ ...query, offset: query.offset + query.limit })}
          data-testid="log-next"
        >
          Next
        </button>
        <span
          className="muted"
          data-testid="log-range"
          data-offset={query.offset}
          // The sample_logs parameters in force (sorted), so tests can wait for exactly this page.
          data-query={buildUrl('', logMetricParams(query))}
          aria-live="polite"
        >
          {rows === undefined
            ? ''
            : shown === 0
              ? `no rows from ${formatInt(first)}`
              : `rows ${formatInt(first)}–${formatInt(last)}`}
        </span>
      </div>
    </div>
  );

  return (
    <Panel
      id="sample-logs"
      title="Request log"
      className="span-12 log-viewer"
      state={state}
      actions={controls}
      emptyMessage={
        hasFilters(query)
          ? 'No requests match these filters.'
          : query.offset > 0
            ? 'No more requests.'
            : 'No requests logged.'
      }
    >
      {(data) => (
        <div className="scroll-table">
          <DataTable
            columns={COLUMNS}
            rows={data}
            caption="Most recent requests"
            rowKey={(r, i) => `${i}-${r.requestId}`}
            testId="log-table"
          />
        </div>
      )}
    </Panel>
  );
}
