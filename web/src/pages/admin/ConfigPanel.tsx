// The loaded config (GET /api/v1/admin/config) and its reload (POST /api/v1/admin/config/reload).
// A reload validates the whole file first; when it is invalid the old config keeps serving and
// the error (file:line:col) is shown here.

import { useState } from 'react';
import { fetchAdminConfig, reloadConfig, type AdminConfig, type ConfigReloadAnswer } from '../../api/admin';
import { ErrorState } from '../../components/StatusView';
import { formatInt, formatTimestamp } from '../../format';
import { useAsync, type AsyncState } from '../../state/hooks';
import { AdminCard, NeedsAdminKey } from './AdminCard';
import { needsAdminKey } from './model';

type ReloadState =
  | { step: 'idle' }
  | { step: 'reloading' }
  | { step: 'done'; answer: ConfigReloadAnswer }
  | { step: 'failed'; error: Error };

function ReloadResult({ state }: { state: ReloadState }) {
  if (state.step === 'done') {
    const { answer } = state;
    return (
      <p className="admin-result" role="status" data-testid="config-reload-result">
        {answer.previousVersion === answer.configVersion
          ? `Reloaded; the config did not change (version ${answer.configVersion}).`
          : `Reloaded: version ${answer.previousVersion} → ${answer.configVersion}, loaded ${formatTimestamp(answer.loadedAt)}.`}
      </p>
    );
  }
  if (state.step === 'failed') {
    return (
      <div className="config-error" data-testid="config-reload-error">
        {needsAdminKey(state.error) ? (
          <NeedsAdminKey error={state.error} what="Reloading the config" />
        ) : (
          <>
            <ErrorState error={state.error} />
            <p className="muted admin-note">The previous config keeps serving until the file is fixed and reloaded.</p>
          </>
        )}
      </div>
    );
  }
  return null;
}

export function useAdminConfig(): AsyncState<AdminConfig> {
  return useAsync<AdminConfig>('admin:config', fetchAdminConfig);
}

export function ConfigPanel({ config }: { config: AsyncState<AdminConfig> }) {
  const [reload, setReload] = useState<ReloadState>({ step: 'idle' });

  const run = () => {
    setReload({ step: 'reloading' });
    reloadConfig().then(
      (answer) => {
        setReload({ step: 'done', answer });
        config.reload();
      },
      (error: unknown) =>
        setReload({ step: 'failed', error: error instanceof Error ? error : new Error(String(error)) }),
    );
  };

  return (
    <AdminCard id="config" title="Configuration" state={config} className="span-6">
      {(c) => (
        <>
          <dl className="admin-facts">
            <dt>Config version</dt>
            <dd>
              <code data-testid="config-version">{c.configVersion}</code>
            </dd>
            <dt>File</dt>
            <dd data-testid="config-path">
              {c.path ? <code>{c.path}</code> : <span className="muted">none: the built-in demo config</span>}
            </dd>
            <dt>Loaded</dt>
            <dd data-testid="config-loaded-at">{formatTimestamp(c.loadedAt)}</dd>
            <dt>Projects / sources</dt>
            <dd>
              {formatInt(c.projects)} / {formatInt(c.sources)}
            </dd>
            <dt>Server version</dt>
            <dd>{c.version}</dd>
          </dl>
          <div className="admin-row">
            <button
              type="button"
              className="btn btn-primary"
              onClick={run}
              disabled={!c.reloadable || reload.step === 'reloading'}
              aria-describedby={c.reloadable ? undefined : 'config-not-reloadable'}
              data-testid="config-reload"
            >
              {reload.step === 'reloading' ? 'Reloading…' : 'Reload config'}
            </button>
            {!c.reloadable && (
              <span id="config-not-reloadable" className="muted">
                Nothing to reload: this server runs without a config file.
              </span>
            )}
          </div>
          <ReloadResult state={reload} />
        </>
      )}
    </AdminCard>
  );
}
