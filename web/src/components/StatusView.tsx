// The loading, empty and error states every view uses, so they look and read the same.

import { ApiError } from '../api/client';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite" data-state="loading">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ message = 'No data for this selection.' }: { message?: string }) {
  return (
    <div className="state state-empty" data-state="empty">
      {message}
    </div>
  );
}

/** An error with its code, message, per-source failures and request id, and a retry button. */
export function ErrorState({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const api = error instanceof ApiError ? error : undefined;
  const failed = api?.body?.sources?.filter((s) => s.status !== 'ok') ?? [];
  return (
    <div className="state state-error" role="alert" data-state="error" data-error-code={api?.code ?? 'ERROR'}>
      <strong>{api ? api.code : 'Error'}</strong>: {error.message}
      {failed.length > 0 && (
        <ul className="failed-sources">
          {failed.map((s) => (
            <li key={s.id}>
              source <code>{s.id}</code> {s.status}
              {s.code ? ` (${s.code})` : ''}
              {s.message ? `: ${s.message}` : ''}
            </li>
          ))}
        </ul>
      )}
      {api?.requestId && <div className="request-id">request id {api.requestId}</div>}
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
