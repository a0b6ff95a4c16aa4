// The caller's rate-limit windows (GET /api/v1/rate-limit/status; any valid key, not counted).

import { fetchRateLimits, type RateLimitStatus } from '../../api/admin';
import { DataTable, type Column } from '../../components/DataTable';
import { formatInt } from '../../format';
import { useAsync } from '../../state/hooks';
import { AdminCard } from './AdminCard';
import { callerLabel, rateLimitRows, type RateLimitRow } from './model';

const COLUMNS: Column<RateLimitRow>[] = [
  { key: 'project', label: 'Project' },
  { key: 'window', label: 'Window' },
  { key: 'limit', label: 'Limit', align: 'right', render: (r) => formatInt(r.limit) },
  { key: 'used', label: 'Used', align: 'right', render: (r) => formatInt(r.used) },
  { key: 'remaining', label: 'Remaining', align: 'right', render: (r) => formatInt(r.remaining) },
  {
    key: 'usedPercent',
    label: 'Use',
    sortable: false,
    render: (r) => (
      <meter
        className="rate-meter"
        min={0}
        max={100}
        low={70}
        high={90}
        optimum={0}
        value={r.usedPercent}
        aria-label={`${r.project} ${r.window} window used`}
      >
        {Math.round(r.usedPercent)}%
      </meter>
    ),
  },
  { key: 'resetSeconds', label: 'Resets in', align: 'right', render: (r) => `${formatInt(r.resetSeconds)} s` },
];

export function RateLimitPanel() {
  const status = useAsync<RateLimitStatus>('admin:rate-limits', fetchRateLimits);
  return (
    <AdminCard
      id="rate-limits"
      title="Rate limits"
      state={status}
      className="span-6"
      actions={
        <button type="button" className="btn" onClick={status.reload} disabled={status.loading}>
          Refresh
        </button>
      }
    >
      {(s) => {
        const rows = rateLimitRows(s);
        return (
          <>
            <p className="muted admin-note" data-testid="rate-limit-caller">
              Counted for {callerLabel(s.caller)}
              {s.shared ? ', shared by every replica through Redis' : ', in this process'}.
            </p>
            {rows.length === 0 ? (
              <div className="state state-empty" data-state="empty" data-testid="rate-limit-none">
                No rate limit applies to this caller (a loopback server without <code>rate_limits</code> or{' '}
                <code>auth</code> in its config).
              </div>
            ) : (
              <DataTable
                columns={COLUMNS}
                rows={rows}
                caption="Rate-limit windows of this caller"
                rowKey={(r) => r.key}
                testId="rate-limit-table"
              />
            )}
          </>
        );
      }}
    </AdminCard>
  );
}
