// A titled card around one admin answer, like Panel for metrics: loading and error states,
// and for a 403 a plain "needs an admin key" instead of a bare error code.

import type { ReactNode } from 'react';
import type { AsyncState } from '../../state/hooks';
import { ErrorState, Loading } from '../../components/StatusView';
import { needsAdminKey } from './model';

export function NeedsAdminKey({ error, what }: { error: Error; what: string }) {
  return (
    <div
      className="state state-error"
      role="alert"
      data-state="error"
      data-error-code="PERMISSION_DENIED"
      data-testid="needs-admin-key"
    >
      <strong>{what} needs an admin key.</strong> The key in use was refused: {error.message}. Use <em>Forget key</em>{' '}
      at the top and enter a key with the <code>admin</code> role.
    </div>
  );
}

interface AdminCardProps<T> {
  id: string;
  title: string;
  state: AsyncState<T>;
  actions?: ReactNode;
  className?: string;
  children: (data: T) => ReactNode;
}

export function AdminCard<T>({ id, title, state, actions, className, children }: AdminCardProps<T>) {
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
          needsAdminKey(state.error) ? (
            <NeedsAdminKey error={state.error} what={title} />
          ) : (
            <ErrorState error={state.error} onRetry={state.reload} />
          )
        ) : state.data === undefined ? (
          <Loading />
        ) : (
          children(state.data)
        )}
      </div>
    </section>
  );
}
