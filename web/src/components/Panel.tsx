// A titled card around one metric (or any async answer): shows loading, error and empty states,
// and the source badge once data is in.

import type { ReactNode } from 'react';
import type { MetricEnvelope } from '../api/types';
import type { AsyncState } from '../state/hooks';
import { SourceBadge } from './SourceBadge';
import { EmptyState, ErrorState, Loading } from './StatusView';

interface PanelProps<T> {
  /** Stable id, also the panel's data-testid ("panel-<id>"). */
  id: string;
  title: string;
  state: AsyncState<MetricEnvelope<T>>;
  /** Whether the answer has nothing to show (default: an empty list). */
  isEmpty?: (data: T) => boolean;
  emptyMessage?: string;
  actions?: ReactNode;
  className?: string;
  children: (data: T, envelope: MetricEnvelope<T>) => ReactNode;
}

export function Panel<T>({ id, title, state, isEmpty, emptyMessage, actions, className, children }: PanelProps<T>) {
  const envelope = state.data;
  const empty =
    envelope !== undefined &&
    (isEmpty ? isEmpty(envelope.data) : Array.isArray(envelope.data) && envelope.data.length === 0);
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
        {envelope && <SourceBadge meta={envelope.meta} />}
        {actions}
      </header>
      <div className="panel-body">
        {state.error ? (
          <ErrorState error={state.error} onRetry={state.reload} />
        ) : envelope === undefined ? (
          <Loading />
        ) : empty ? (
          <EmptyState message={emptyMessage} />
        ) : (
          children(envelope.data, envelope)
        )}
      </div>
    </section>
  );
}
