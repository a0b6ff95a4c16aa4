// A titled panel around a non-metric API answer (sources, tables, columns): the same loading,
// error and empty states as the metric Panel, without a source badge (these answers have no meta).

import type { ReactNode } from 'react';
import type { AsyncState } from '../../state/hooks';
import { EmptyState, ErrorState, Loading } from '../../components/StatusView';

interface BoxProps<T> {
  id: string;
  title: ReactNode;
  state: AsyncState<T>;
  isEmpty?: (data: T) => boolean;
  emptyMessage?: string;
  actions?: ReactNode;
  className?: string;
  children: (data: T) => ReactNode;
}

export function Box<T>({ id, title, state, isEmpty, emptyMessage, actions, className, children }: BoxProps<T>) {
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
        {actions}
      </header>
      <div className="panel-body">
        {state.error ? (
          <ErrorState error={state.error} onRetry={state.reload} />
        ) : state.data === undefined ? (
          <Loading />
        ) : isEmpty?.(state.data) ? (
          <EmptyState message={emptyMessage} />
        ) : (
          children(state.data)
        )}
      </div>
    </section>
  );
}
