// Titled cards around async answers, so every view shows loading, error and empty states the
// same way: AsyncPanel for any API answer, Panel for a metric (adds the source badge).

import type { ReactNode } from 'react';
import type { MetricEnvelope } from '../api/types';
import type { AsyncState } from '../state/hooks';
import { SourceBadge } from './SourceBadge';
import { EmptyState, ErrorState, Loading } from './StatusView';

interface AsyncPanelProps<T> {
  /** Stable id, also the panel's data-testid ("panel-<id>"). */
  id: string;
  title: ReactNode;
  state: AsyncState<T>;
  /** Whether the answer has nothing to show (then the empty state replaces the body). */
  isEmpty?: (data: T) => boolean;
  emptyMessage?: string;
  /** Shown next to the title once the answer is in (e.g. the source badge). */
  badge?: (data: T) => ReactNode;
  actions?: ReactNode;
  className?: string;
  /** Replaces the standard error state (e.g. "needs an admin key" for a 403). */
  renderError?: (error: Error) => ReactNode;
  children: (data: T) => ReactNode;
}

export function AsyncPanel<T>(props: AsyncPanelProps<T>) {
  const { id, title, state, isEmpty, emptyMessage, badge, actions, className, renderError, children } = props;
  const data = state.data;
  const headingId = `panel-${id}-title`;
  return (
    <section
      className={`panel ${className ?? ''}`}
      aria-labelledby={headingId}
      data-testid={`panel-${id}`}
      aria-busy={state.loading}
    >
      <header className="panel-header">
        <h2 id={headingId}>{title}</h2>
        {data !== undefined && badge?.(data)}
        {actions}
      </header>
      <div className="panel-body">
        {state.error ? (
          (renderError?.(state.error) ?? <ErrorState error={state.error} onRetry={state.reload} />)
        ) : data === undefined ? (
          <Loading />
        ) : isEmpty?.(data) ? (
          <EmptyState message={emptyMessage} />
        ) : (
          children(data)
        )}
      </div>
    </section>
  );
}

interface PanelProps<T> {
  id: string;
  title: string;
  state: AsyncState<MetricEnvelope<T>>;
  /** Whether the metric's data has nothing to show (default: an empty list). */
  isEmpty?: (data: T) => boolean;
  emptyMessage?: string;
  actions?: ReactNode;
  className?: string;
  children: (data: T, envelope: MetricEnvelope<T>) => ReactNode;
}

/** A metric's panel: AsyncPanel with the metric envelope's source badge. */
export function Panel<T>({ isEmpty, children, ...rest }: PanelProps<T>) {
  return (
    <AsyncPanel<MetricEnvelope<T>>
      {...rest}
      isEmpty={(e) => (isEmpty ? isEmpty(e.data) : Array.isArray(e.data) && e.data.length === 0)}
      badge={(e) => <SourceBadge meta={e.meta} />}
    >
      {(e) => children(e.data, e)}
    </AsyncPanel>
  );
}
