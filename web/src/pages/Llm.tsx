// LLM operations: every metric of the `llm` pack for the current project, source and range.
// Each panel fetches on its own (one failing metric never blanks the page) and shows its source
// badge; page state (the tenant table's sort, the log viewer's filters and page) is in the URL.

import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Chart } from '../components/Chart';
import { DataTable, type Column } from '../components/DataTable';
import { KpiCard } from '../components/KpiCard';
import { Panel } from '../components/Panel';
import { RangePicker, SourcePicker } from '../components/Pickers';
import {
  formatAge,
  formatDecimal,
  formatDuration,
  formatInt,
  formatPercent,
  formatTimestamp,
  formatUsd,
} from '../format';
import type { MetricEnvelope } from '../api/types';
import { useTheme, useUrlParam, useViewState, type AsyncState } from '../state/hooks';
import { rangeDays, rangeLabel, rangeParams, type Range } from '../state/view';
import {
  anomalyTypesOption,
  costTrendOption,
  dailyTrafficOption,
  errorPieOption,
  heatmapOption,
  hourlyTrafficOption,
} from './llm/charts';
import {
  buildHeatmapMatrix,
  type HeatmapCell,
  DAY_NAMES,
  hourLabel,
  hoursBefore,
  hoursParams,
  MAX_HOURS,
  parseLogQuery,
  sumField,
  withFilter,
  writeLogQuery,
} from './llm/helpers';
import { LogViewer } from './llm/LogViewer';
import type {
  AnomalyStats,
  CostTrend,
  DailyTraffic,
  ErrorAnalysis,
  HourlyTraffic,
  QueryPattern,
  RealtimeKpi,
  TenantUsage,
  TokenEfficiency,
} from './llm/types';
import { useLlmMetric } from './llm/useMetric';
import './Llm.css';
import { formatSortParam, parseSortParam } from '../state/urlSort';

/** A figure under a chart: the raw value in data-value so tests compare it with the API. */
function Figure({
  label,
  value,
  format,
  testId,
}: {
  label: string;
  value: number;
  format: (v: number) => string;
  testId: string;
}) {
  return (
    <span className="llm-figure" data-testid={testId} data-value={value}>
      <span className="muted">{label}</span> <strong>{format(value)}</strong>
    </span>
  );
}

// ---- realtime KPIs ----

const KPI_FIELDS: {
  id: keyof RealtimeKpi;
  label: string;
  format: (v: number | null | undefined) => string;
  lowerIsBetter?: boolean;
}[] = [
  { id: 'totalRequests', label: 'Total requests', format: formatInt },
  { id: 'successRate', label: 'Success rate', format: (v) => formatPercent(v, 2) },
  { id: 'avgResponseTime', label: 'Avg response time', format: formatDuration, lowerIsBetter: true },
  { id: 'totalTokens', label: 'Total tokens', format: formatInt },
  { id: 'activeUsers', label: 'Active users', format: formatInt },
  { id: 'errorCount', label: 'Errors', format: formatInt, lowerIsBetter: true },
];

function RealtimeKpis() {
  const current = useLlmMetric<RealtimeKpi>('realtime_kpi', {});
  // The previous 24 hours: the same metric as of exactly 24 h before the current answer's asOf.
  const asOf = current.data?.meta.asOf;
  const previous = useLlmMetric<RealtimeKpi>('realtime_kpi', asOf ? { asOf: hoursBefore(asOf, 24) } : null);
  return (
    <Panel id="realtime-kpi" title="Last 24 hours" className="span-12" state={current} isEmpty={() => false}>
      {(data, envelope) => (
        <div className="kpi-grid llm-kpis" data-testid="realtime-kpis" data-as-of={envelope.meta.asOf}>
          {KPI_FIELDS.map((f) => (
            <KpiCard
              key={f.id}
              id={f.id}
              label={f.label}
              value={data[f.id] as number}
              format={f.format}
              // While the previous window loads (or if it failed) there is no change line.
              previous={previous.data ? (previous.data.data[f.id] as number) : undefined}
              lowerIsBetter={f.lowerIsBetter}
            />
          ))}
        </div>
      )}
    </Panel>
  );
}

// ---- traffic and cost ----

function HourlyTrafficPanel({ range }: { range: Range }) {
  const state = useLlmMetric<HourlyTraffic[]>('hourly_traffic', rangeParams(range, 'range'));
  const option = useMemo(() => (state.data ? hourlyTrafficOption(state.data.data) : null), [state.data]);
  return (
    <Panel id="hourly-traffic" title="Hourly traffic" className="span-8" state={state}>
      {(rows) => (
        <>
          <div className="llm-figures">
            <Figure
              label="Requests"
              value={sumField(rows, 'requests')}
              format={formatInt}
              testId="hourly-total-requests"
            />
            <Figure label="Errors" value={sumField(rows, 'errors')} format={formatInt} testId="hourly-total-errors" />
            <Figure label="Hours" value={rows.length} format={formatInt} testId="hourly-hours" />
          </div>
          {option && (
            <Chart
              option={option}
              label="Requests, errors and average latency per UTC hour"
              testId="chart-hourly-traffic"
            />
          )}
        </>
      )}
    </Panel>
  );
}

const DAILY_COLUMNS: Column<DailyTraffic>[] = [
  { key: 'date', label: 'Date' },
  { key: 'requests', label: 'Requests', align: 'right', render: (r) => formatInt(r.requests) },
  { key: 'errors', label: 'Errors', align: 'right', render: (r) => formatInt(r.errors) },
  { key: 'uniqueUsers', label: 'Unique users', align: 'right', render: (r) => formatInt(r.uniqueUsers) },
  { key: 'totalTokens', label: 'Tokens', align: 'right', render: (r) => formatInt(r.totalTokens) },
  { key: 'avgLatencyMs', label: 'Avg latency', align: 'right', render: (r) => formatDuration(r.avgLatencyMs) },
];

function DailyTrafficPanel({ range }: { range: Range }) {
  const state = useLlmMetric<DailyTraffic[]>('daily_traffic', rangeParams(range, 'days'));
  const option = useMemo(() => (state.data ? dailyTrafficOption(state.data.data) : null), [state.data]);
  return (
    <Panel id="daily-traffic" title="Daily traffic" className="span-6" state={state}>
      {(rows) => (
        <>
          <div className="llm-figures">
            <Figure
              label="Requests"
              value={sumField(rows, 'requests')}
              format={formatInt}
              testId="daily-total-requests"
            />
            <Figure label="Errors" value={sumField(rows, 'errors')} format={formatInt} testId="daily-total-errors" />
            <Figure
              label="Tokens"
              value={sumField(rows, 'totalTokens')}
              format={formatInt}
              testId="daily-total-tokens"
            />
          </div>
          {option && (
            <Chart option={option} label="Requests, errors and unique users per UTC day" testId="chart-daily-traffic" />
          )}
          <details className="llm-details">
            <summary>Show as table</summary>
            <div className="scroll-table">
              <DataTable
                columns={DAILY_COLUMNS}
                rows={rows}
                caption="Daily traffic"
                rowKey={(r) => r.date}
                testId="daily-table"
              />
            </div>
          </details>
        </>
      )}
    </Panel>
  );
}

function CostTrendPanel({ range }: { range: Range }) {
  const state = useLlmMetric<CostTrend[]>('cost_trend', rangeParams(range, 'days'));
  const option = useMemo(() => (state.data ? costTrendOption(state.data.data) : null), [state.data]);
  return (
    <Panel id="cost-trend" title="Cost trend" className="span-6" state={state}>
      {(rows) => {
        const cost = sumField(rows, 'totalCost');
        const requests = sumField(rows, 'requests');
        return (
          <>
            <div className="llm-figures">
              <Figure label="Total cost" value={cost} format={formatUsd} testId="cost-total" />
              <Figure
                label="Per request"
                value={requests ? cost / requests : 0}
                format={formatUsd}
                testId="cost-per-request"
              />
            </div>
            {option && (
              <Chart option={option} label="Total cost and cost per request per UTC day" testId="chart-cost-trend" />
            )}
          </>
        );
      }}
    </Panel>
  );
}

// ---- tenants ----

const TENANT_COLUMNS: Column<TenantUsage>[] = [
  { key: 'tenantId', label: 'Tenant', render: (r) => <TenantLogsLink tenant={r.tenantId} /> },
  { key: 'requests', label: 'Requests', align: 'right', render: (r) => formatInt(r.requests) },
  { key: 'totalTokens', label: 'Tokens', align: 'right', render: (r) => formatInt(r.totalTokens) },
  { key: 'totalCost', label: 'Cost', align: 'right', render: (r) => formatUsd(r.totalCost) },
  { key: 'avgLatencyMs', label: 'Avg latency', align: 'right', render: (r) => formatDuration(r.avgLatencyMs) },
  { key: 'errorRate', label: 'Error rate', align: 'right', render: (r) => formatPercent(r.errorRate, 2) },
  { key: 'uniqueUsers', label: 'Unique users', align: 'right', render: (r) => formatInt(r.uniqueUsers) },
];
const TENANT_SORT_KEYS = TENANT_COLUMNS.map((c) => c.key);
const DEFAULT_TENANT_SORT = { key: 'requests', desc: true };

/** A link to this page with the log viewer filtered to `tenant` (first page, other filters kept). */
function TenantLogsLink({ tenant }: { tenant: string }) {
  const [search] = useSearchParams();
  const next = writeLogQuery(withFilter(parseLogQuery(search).query, 'tenant', tenant), search);
  return (
    <Link
      to={{ search: `?${next.toString()}` }}
      replace
      title={`Show the request log of ${tenant}`}
      onClick={() => document.querySelector('[data-testid="panel-sample-logs"]')?.scrollIntoView({ block: 'start' })}
    >
      {tenant}
    </Link>
  );
}

function TenantUsagePanel({ state }: { state: AsyncState<MetricEnvelope<TenantUsage[]>> }) {
  const [sortParam, setSortParam] = useUrlParam('tenantSort');
  return (
    <TablePanel
      id="tenant-usage"
      title="Usage per tenant"
      caption="Usage per tenant"
      className="span-12"
      state={state}
      columns={TENANT_COLUMNS}
      rowKey={(r) => r.tenantId}
      sort={parseSortParam(sortParam, TENANT_SORT_KEYS, DEFAULT_TENANT_SORT)}
      onSortChange={(s) => setSortParam(formatSortParam(s))}
      testId="tenant-table"
    />
  );
}

const EFFICIENCY_COLUMNS: Column<TokenEfficiency>[] = [
  { key: 'tenantId', label: 'Tenant' },
  { key: 'avgPromptTokens', label: 'Avg prompt', align: 'right', render: (r) => formatDecimal(r.avgPromptTokens, 1) },
  {
    key: 'avgCompletionTokens',
    label: 'Avg completion',
    align: 'right',
    render: (r) => formatDecimal(r.avgCompletionTokens, 1),
  },
  {
    key: 'completionRatio',
    label: 'Completion ratio',
    align: 'right',
    render: (r) => formatDecimal(r.completionRatio, 3),
  },
  { key: 'costPer1kTokens', label: 'Cost / 1k tokens', align: 'right', render: (r) => formatUsd(r.costPer1kTokens) },
];

// ---- usage pattern ----

function HeatmapPanel({ range }: { range: Range }) {
  const state = useLlmMetric<HeatmapCell[]>('usage_heatmap', rangeParams(range, 'days'));
  const matrix = useMemo(() => (state.data ? buildHeatmapMatrix(state.data.data) : null), [state.data]);
  const theme = useTheme();
  const option = useMemo(() => (matrix ? heatmapOption(matrix, theme) : null), [matrix, theme]);
  return (
    <Panel id="usage-heatmap" title="Usage by day of week and hour (UTC)" className="span-12" state={state}>
      {() =>
        matrix &&
        option && (
          <>
            <div className="llm-figures">
              <Figure label="Requests" value={matrix.total} format={formatInt} testId="heatmap-total" />
              {matrix.peak && (
                <span className="llm-figure" data-testid="heatmap-peak">
                  <span className="muted">Busiest</span>{' '}
                  <strong>
                    {DAY_NAMES[matrix.peak.dayOfWeek]} {hourLabel(matrix.peak.hour)}
                  </strong>{' '}
                  ({formatInt(matrix.peak.requests)})
                </span>
              )}
            </div>
            <Chart
              option={option}
              label="Requests per day of week and UTC hour"
              height={300}
              testId="chart-usage-heatmap"
            />
          </>
        )
      }
    </Panel>
  );
}

const PATTERN_COLUMNS: Column<QueryPattern>[] = [
  { key: 'pattern', label: 'Category' },
  { key: 'count', label: 'Requests', align: 'right', render: (r) => formatInt(r.count) },
  { key: 'avgLatencyMs', label: 'Avg latency', align: 'right', render: (r) => formatDuration(r.avgLatencyMs) },
  { key: 'avgTokens', label: 'Avg tokens', align: 'right', render: (r) => formatDecimal(r.avgTokens, 1) },
  { key: 'errorRate', label: 'Error rate', align: 'right', render: (r) => formatPercent(r.errorRate, 2) },
];

interface TablePanelProps<Row> {
  id: string;
  title: string;
  caption: string;
  state: AsyncState<MetricEnvelope<Row[]>>;
  columns: Column<Row>[];
  rowKey: (row: Row) => string;
  testId: string;
  className?: string;
  sort?: { key: string; desc: boolean };
  onSortChange?: (sort: { key: string; desc: boolean }) => void;
}

/** A metric whose answer is a list, shown as a table that scrolls inside its panel. */
function TablePanel<Row>({ id, title, state, className = 'span-6', ...table }: TablePanelProps<Row>) {
  return (
    <Panel id={id} title={title} className={className} state={state}>
      {(rows) => (
        <div className="scroll-table">
          <DataTable {...table} rows={rows} />
        </div>
      )}
    </Panel>
  );
}

function TokenEfficiencyPanel({ range }: { range: Range }) {
  return (
    <TablePanel
      id="token-efficiency"
      title="Token efficiency per tenant"
      caption="Token efficiency per tenant"
      state={useLlmMetric<TokenEfficiency[]>('token_efficiency', rangeParams(range, 'range'))}
      columns={EFFICIENCY_COLUMNS}
      rowKey={(r) => r.tenantId}
      testId="efficiency-table"
    />
  );
}

function QueryPatternsPanel({ range }: { range: Range }) {
  return (
    <TablePanel
      id="query-patterns"
      title="Query patterns"
      caption="Requests by query category"
      state={useLlmMetric<QueryPattern[]>('query_patterns', rangeParams(range, 'range'))}
      columns={PATTERN_COLUMNS}
      rowKey={(r) => r.pattern}
      testId="patterns-table"
    />
  );
}

// ---- errors and anomalies ----

const ERROR_COLUMNS: Column<ErrorAnalysis>[] = [
  { key: 'errorType', label: 'Error type' },
  { key: 'count', label: 'Count', align: 'right', render: (r) => formatInt(r.count) },
  { key: 'percentage', label: 'Share', align: 'right', render: (r) => formatPercent(r.percentage) },
  { key: 'affectedTenants', label: 'Tenants', align: 'right', render: (r) => formatInt(r.affectedTenants) },
  {
    key: 'lastOccurrence',
    label: 'Last seen',
    render: (r) => (
      <time dateTime={r.lastOccurrence} title={formatTimestamp(r.lastOccurrence)}>
        {formatAge(r.lastOccurrence)}
      </time>
    ),
  },
];

function ErrorAnalysisPanel({ state }: { state: AsyncState<MetricEnvelope<ErrorAnalysis[]>> }) {
  const option = useMemo(() => (state.data ? errorPieOption(state.data.data) : null), [state.data]);
  return (
    <Panel
      id="error-analysis"
      title="Errors by type"
      className="span-12"
      state={state}
      emptyMessage="No errors in this range."
    >
      {(rows) => (
        <div className="llm-split">
          {option && (
            <Chart option={option} label="Share of errors by type" height={260} testId="chart-error-analysis" />
          )}
          <div className="scroll-table">
            <DataTable
              columns={ERROR_COLUMNS}
              rows={rows}
              caption="Errors by type"
              rowKey={(r) => r.errorType}
              testId="error-table"
            />
          </div>
        </div>
      )}
    </Panel>
  );
}

function AnomalyPanel({ range }: { range: Range }) {
  const params = hoursParams(range);
  const state = useLlmMetric<AnomalyStats>('anomaly_stats', params);
  const option = useMemo(() => (state.data ? anomalyTypesOption(state.data.data.topAnomalyTypes) : null), [state.data]);
  const hours = Number(params.hours);
  return (
    <Panel
      id="anomaly-stats"
      title={`Anomalies, last ${formatInt(hours)} hours`}
      className="span-4"
      state={state}
      isEmpty={() => false}
    >
      {(data) => (
        <>
          <div className="llm-anomaly-kpis">
            <KpiCard id="totalAnomalies" label="Anomalies" value={data.totalAnomalies} format={formatInt} />
            <KpiCard
              id="anomalyRate"
              label="Of requests"
              value={data.anomalyRate}
              format={(v) => formatPercent(v, 2)}
            />
          </div>
          {rangeDays(range) * 24 > MAX_HOURS && (
            <p className="muted llm-note">
              The anomaly window is at most {MAX_HOURS} hours (30 days), shorter than the range.
            </p>
          )}
          {data.topAnomalyTypes.length === 0 ? (
            <p className="muted">No anomalies in this window.</p>
          ) : (
            option && (
              <Chart option={option} label="Most frequent anomaly types" height={180} testId="chart-anomaly-types" />
            )
          )}
        </>
      )}
    </Panel>
  );
}

// ---- the page ----

export function LlmPage() {
  const [view] = useViewState();
  const { range } = view;
  // Fetched here because the log viewer's tenant and error type filters offer their values.
  const tenants = useLlmMetric<TenantUsage[]>('tenant_usage', rangeParams(range, 'range'));
  const errors = useLlmMetric<ErrorAnalysis[]>('error_analysis', rangeParams(range, 'range'));
  const tenantIds = useMemo(() => tenants.data?.data.map((t) => t.tenantId) ?? [], [tenants.data]);
  const errorTypes = useMemo(() => errors.data?.data.map((e) => e.errorType) ?? [], [errors.data]);

  return (
    <div className="page llm-page">
      <h1>LLM operations</h1>
      <div className="toolbar">
        <RangePicker />
        <SourcePicker />
        <span className="muted" data-testid="range-label">
          {rangeLabel(range)} (UTC)
        </span>
      </div>
      <div className="grid">
        <RealtimeKpis />
        <HourlyTrafficPanel range={range} />
        <AnomalyPanel range={range} />
        <DailyTrafficPanel range={range} />
        <CostTrendPanel range={range} />
        <TenantUsagePanel state={tenants} />
        <HeatmapPanel range={range} />
        <ErrorAnalysisPanel state={errors} />
        <TokenEfficiencyPanel range={range} />
        <QueryPatternsPanel range={range} />
        <LogViewer tenants={tenantIds} errorTypes={errorTypes} />
      </div>
    </div>
  );
}
