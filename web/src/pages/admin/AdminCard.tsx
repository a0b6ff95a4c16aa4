// A titled card around one admin answer, like Panel for metrics: loading and error states,
// and for a 403 a plain "needs an admin key" instead of a bare error code.

import type { ReactNode } from 'react';
import type { AsyncState } from '../../state/hooks';
import { AsyncPanel } from '../../components/Panel';
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

/** An admin answer's panel: a 403 reads "needs an admin key" rather than a bare error code. */
export function AdminCard<T>({ title, ...rest }: AdminCardProps<T>) {
  return (
    <AsyncPanel<T>
      title={title}
      {...rest}
      renderError={(error) => (needsAdminKey(error) ? <NeedsAdminKey error={error} what={title} /> : undefined)}
    />
  );
}
