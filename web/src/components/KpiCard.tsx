// One headline number with its change against the previous period and its source badge.

import type { ReactNode } from 'react';
import type { MetricMeta } from '../api/types';
import { computeChange } from '../format';
import { SourceBadge } from './SourceBadge';

interface KpiCardProps {
  /** Stable id: the card's data-testid is "kpi-<id>". */
  id: string;
  label: string;
  /** The raw value from the API (kept in data-value for tests and tooling). */
  value: number | null | undefined;
  format: (v: number | null | undefined) => string;
  /** The same figure over the previous period; omitted: no change line. */
  previous?: number | null;
  /** For figures where down is good (errors, latency). */
  lowerIsBetter?: boolean;
  meta?: MetricMeta;
  hint?: ReactNode;
}

export function KpiCard({ id, label, value, format, previous, lowerIsBetter, meta, hint }: KpiCardProps) {
  const change = previous === undefined ? undefined : computeChange(value, previous);
  const good =
    change && change.direction !== 'flat' && change.direction !== 'none'
      ? (change.direction === 'up') !== Boolean(lowerIsBetter)
      : undefined;
  return (
    <div className="kpi-card" data-testid={`kpi-${id}`} data-value={value ?? ''}>
      <div className="kpi-label">{label}</div>
      <div className="kpi-value" data-testid={`kpi-${id}-value`}>
        {format(value)}
      </div>
      {change && (
        <div
          className={`kpi-change ${good === undefined ? '' : good ? 'good' : 'bad'}`}
          data-testid={`kpi-${id}-change`}
          title="change against the previous period of the same length"
        >
          {change.text} <span className="muted">vs previous period</span>
        </div>
      )}
      {hint && <div className="kpi-hint muted">{hint}</div>}
      {meta && <SourceBadge meta={meta} />}
    </div>
  );
}
