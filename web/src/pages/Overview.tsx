// The product analytics overview (web pack): headline totals with their change against the
// previous period, daily users and events, page views per feature, the top clients, the
// conversion funnel, and daily sessions/conversions/revenue. Range, source, project and the
// clients table's sort live in the URL, so a view is shared by its link.

import { useMemo } from 'react';
import { fetchMetric, metricPath, type MetricRequest } from '../api/metrics';
import type { MetricEnvelope } from '../api/types';
import { Chart } from '../components/Chart';
import { DataTable, type Column } from '../components/DataTable';
import { KpiCard } from '../components/KpiCard';
import { Panel } from '../components/Panel';
import { RangePicker, SourcePicker } from '../components/Pickers';
import { ErrorState, Loading } from '../components/StatusView';
import { computeChange, formatDecimal, formatInt, formatPercent, formatUsd } from '../format';
import { useAsync, useUrlParam, useViewState, type AsyncState } from '../state/hooks';
import { useProjects } from '../state/projects';
import { previousRange, rangeLabel, rangeParams, utcToday, type MetricParams } from '../state/view';
import { dailyOption, featuresOption, funnelOption, kpisOption } from './overview/charts';
import { dailySeries, overallConversion, stepLabel, sumFields, type FunnelStep } from './overview/series';
import { parseSortParam, writeSortParam, type SortState } from '../state/urlSort';
import './Overview.css';

interface Summary {
  total_users: number;
  total_events: number;
  page_views: number;
  active_clients: number;
}
interface DailyRow {
  date: string;
  users: number;
  events: number;
}
interface FeatureRow {
  feature: string;
  views: number;
}
interface ClientRow {
  client: string;
  events: number;
  users: number;
  page_views: number;
}
interface KpiRow {
  date: string;
  users: number;
  sessions: number;
  events: number;
  conversions: number;
  revenue: number;
}
interface SessionTrends {
  current: { sessions: number; users: number };
  previous: { sessions: number; users: number };
  sessionsGrowth: number;
  usersGrowth: number;
}

/** The headline cards, in order: summary field, label. */
const KPIS: { field: keyof Summary; label: string }[] = [
  { field: 'total_users', label: 'Total users' },
  { field: 'total_events', label: 'Events' },
  { field: 'page_views', label: 'Page views' },
  { field: 'active_clients', label: 'Active clients' },
];

/** One web pack metric for the current project and source; no request until the project is known. */
function useWebMetric<T>(
  project: string | undefined,
  metric: string,
  params: MetricParams,
  source: string | undefined,
) {
  const req: MetricRequest | null = project ? { project, pack: 'web', metric, params, source } : null;
  const key = req ? metricPath(req) : null;
  return useAsync<MetricEnvelope<T>>(key, (signal) => fetchMetric<T>(req as MetricRequest, signal));
}

function SummaryCards({
  current,
  previous,
}: {
  current: AsyncState<MetricEnvelope<Summary>>;
  previous: AsyncState<MetricEnvelope<Summary>>;
}) {
  let body;
  if (current.error) body = <ErrorState error={current.error} onRetry={current.reload} />;
  else if (!current.data) body = <Loading />;
  else {
    const data = current.data.data;
    const prev = previous.data?.data;
    body = (
      <div className="kpi-grid">
        {KPIS.map(({ field, label }) => (
          <KpiCard
            key={field}
            id={field}
            label={label}
            value={data[field]}
            format={formatInt}
            // undefined while the previous period loads (no change line yet); null when it failed.
            previous={prev ? prev[field] : previous.error ? null : undefined}
            meta={current.data?.meta}
            hint={
              prev ? (
                <>previous period {formatInt(prev[field])}</>
              ) : previous.error ? (
                <span title={previous.error.message}>previous period unavailable</span>
              ) : undefined
            }
          />
        ))}
      </div>
    );
  }
  return (
    <section
      className="overview-kpis"
      aria-label="Totals"
      data-testid="panel-summary"
      aria-busy={current.loading || previous.loading}
    >
      {body}
    </section>
  );
}

const CLIENT_COLUMNS: Column<ClientRow>[] = [
  { key: 'client', label: 'Client' },
  { key: 'events', label: 'Events', align: 'right', render: (r) => formatInt(r.events) },
  { key: 'users', label: 'Users', align: 'right', render: (r) => formatInt(r.users) },
  { key: 'page_views', label: 'Page views', align: 'right', render: (r) => formatInt(r.page_views) },
];
const CLIENT_SORT_DEFAULT: SortState = { key: 'events', desc: true };

function ClientsTable({ rows }: { rows: ClientRow[] }) {
  const [param, setParam] = useUrlParam('clientsSort');
  const sort = parseSortParam(
    param,
    CLIENT_COLUMNS.map((c) => c.key),
    CLIENT_SORT_DEFAULT,
  );
  return (
    <DataTable
      columns={CLIENT_COLUMNS}
      rows={rows}
      caption="Top clients by events"
      rowKey={(r) => r.client}
      sort={sort}
      onSortChange={(s) => setParam(writeSortParam(s, CLIENT_SORT_DEFAULT))}
      testId="clients-table"
    />
  );
}

function FunnelView({ steps }: { steps: FunnelStep[] }) {
  const option = useMemo(() => funnelOption(steps), [steps]);
  const overall = overallConversion(steps);
  return (
    <>
      <Chart option={option} label="Conversion funnel: users reaching each step" height={240} testId="funnel-chart" />
      <div className="table-wrap">
        <table className="data-table" data-testid="funnel-table">
          <caption className="visually-hidden">Funnel steps with conversion and drop-off</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col" className="num">
                Users
              </th>
              <th scope="col" className="num">
                From previous
              </th>
              <th scope="col" className="num">
                Drop-off
              </th>
            </tr>
          </thead>
          <tbody>
            {steps.map((s) => (
              <tr key={s.step}>
                <td>{stepLabel(s.step)}</td>
                <td className="num">{formatInt(s.users)}</td>
                <td className="num">{formatPercent(s.conversionRate)}</td>
                <td className="num">{s.dropOff ? `−${formatInt(s.dropOff)}` : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted funnel-overall" data-testid="funnel-overall">
        Overall conversion {formatPercent(overall, 2)}
      </p>
    </>
  );
}

function KpisView({ envelope }: { envelope: MetricEnvelope<KpiRow[]> }) {
  const { data, meta } = envelope;
  const series = useMemo(() => dailySeries(data, ['sessions', 'conversions'], meta), [data, meta]);
  const option = useMemo(() => kpisOption(series), [series]);
  const totals = sumFields(data, ['sessions', 'conversions', 'revenue']);
  return (
    <>
      <dl className="overview-totals">
        <div>
          <dt>Sessions (sum of days)</dt>
          <dd data-testid="kpis-sessions">{formatInt(totals.sessions)}</dd>
        </div>
        <div>
          <dt>Conversions</dt>
          <dd data-testid="kpis-conversions">{formatInt(totals.conversions)}</dd>
        </div>
        <div>
          <dt title="purchase revenue in every currency, summed as recorded">Revenue</dt>
          <dd data-testid="kpis-revenue">{formatUsd(totals.revenue)}</dd>
        </div>
        <div>
          <dt>Conversion per session</dt>
          <dd>{totals.sessions ? formatPercent((totals.conversions / totals.sessions) * 100, 2) : '–'}</dd>
        </div>
      </dl>
      <Chart option={option} label="Sessions and conversions per day" height={240} testId="kpis-chart" />
    </>
  );
}

function TrendsView({ data }: { data: SessionTrends }) {
  const rows = [
    {
      label: 'Sessions',
      current: data.current.sessions,
      previous: data.previous.sessions,
      growth: data.sessionsGrowth,
    },
    { label: 'Users', current: data.current.users, previous: data.previous.users, growth: data.usersGrowth },
  ];
  return (
    <div className="table-wrap">
      <table className="data-table" data-testid="trends-table">
        <caption className="visually-hidden">Sessions and users against the previous period</caption>
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col" className="num">
              This period
            </th>
            <th scope="col" className="num">
              Previous
            </th>
            <th scope="col" className="num">
              Growth
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const change = computeChange(r.current, r.previous);
            return (
              <tr key={r.label}>
                <th scope="row">{r.label}</th>
                <td className="num">{formatInt(r.current)}</td>
                <td className="num">{formatInt(r.previous)}</td>
                <td className={`num trend-${change.direction}`}>
                  {r.growth > 0 ? '+' : r.growth < 0 ? '−' : ''}
                  {formatDecimal(Math.abs(r.growth), 1)}%
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function OverviewPage() {
  const [view] = useViewState();
  const { current: project, loading: projectsLoading } = useProjects();
  const projectId = project?.id;
  const source = view.source;
  const today = utcToday();
  const days = rangeParams(view.range, 'days');
  const range = rangeParams(view.range, 'range');
  const previous = previousRange(view.range, today);
  const prevDays = rangeParams(previous, 'days');

  const summary = useWebMetric<Summary>(projectId, 'summary', days, source);
  const summaryPrev = useWebMetric<Summary>(projectId, 'summary', prevDays, source);
  const daily = useWebMetric<DailyRow[]>(projectId, 'daily', days, source);
  const features = useWebMetric<FeatureRow[]>(projectId, 'features', days, source);
  const clients = useWebMetric<ClientRow[]>(projectId, 'clients', days, source);
  const funnel = useWebMetric<FunnelStep[]>(projectId, 'funnel', range, source);
  const kpis = useWebMetric<KpiRow[]>(projectId, 'kpis', range, source);
  const trends = useWebMetric<SessionTrends>(projectId, 'session_trends', range, source);

  const dailyChart = useMemo(
    () => (daily.data ? dailyOption(dailySeries(daily.data.data, ['users', 'events'], daily.data.meta)) : undefined),
    [daily.data],
  );
  const featuresChart = useMemo(
    () => (features.data ? featuresOption(features.data.data) : undefined),
    [features.data],
  );

  const noWebPack = project !== undefined && !project.packs.includes('web');

  return (
    <div className="page overview">
      <div className="page-title">
        <h1>Overview</h1>
        <span className="muted" data-testid="overview-scope">
          {rangeLabel(view.range)} · {source ? `source ${source}` : 'all sources'}
          {projectId ? ` · project ${projectId}` : ''} · changes against {rangeLabel(previous)}
        </span>
      </div>
      <div className="toolbar">
        <RangePicker />
        <SourcePicker />
      </div>
      {noWebPack ? (
        <div className="state state-empty" data-state="empty" data-testid="no-web-pack">
          Project <code>{project.id}</code> binds no <code>web_events</code> dataset, so the product analytics pack
          cannot answer for it. Pick another project, or bind <code>web_events</code> in the config (README,
          Configuration reference).
        </div>
      ) : !projectId && !projectsLoading ? null : (
        <>
          <SummaryCards current={summary} previous={summaryPrev} />
          <div className="grid">
            <Panel id="daily" title="Daily users and events" state={daily} className="span-8">
              {() => <Chart option={dailyChart ?? {}} label="Users and events per day" testId="daily-chart" />}
            </Panel>
            <Panel id="features" title="Page views by feature" state={features} className="span-4">
              {(rows) => (
                <Chart
                  option={featuresChart ?? {}}
                  label="Page views per feature"
                  height={Math.max(200, rows.length * 30 + 40)}
                  testId="features-chart"
                />
              )}
            </Panel>
            <Panel id="clients" title="Top clients" state={clients} className="span-6">
              {(rows) => <ClientsTable rows={rows} />}
            </Panel>
            <Panel
              id="funnel"
              title="Conversion funnel"
              state={funnel}
              className="span-6"
              isEmpty={(s) => s.length === 0 || s[0].users === 0}
            >
              {(steps) => <FunnelView steps={steps} />}
            </Panel>
            <Panel id="kpis" title="Sessions, conversions and revenue" state={kpis} className="span-8">
              {(_rows, envelope) => <KpisView envelope={envelope} />}
            </Panel>
            <Panel
              id="session-trends"
              title="Growth against the previous period"
              state={trends}
              className="span-4"
              isEmpty={() => false}
            >
              {(data) => <TrendsView data={data} />}
            </Panel>
          </div>
        </>
      )}
    </div>
  );
}
