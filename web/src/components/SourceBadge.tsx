// Names the source(s) behind a metric answer and how fresh it is; flags partial answers with
// which source failed and why.

import type { MetricMeta } from '../api/types';
import { formatAge } from '../format';

export function SourceBadge({ meta }: { meta: MetricMeta }) {
  const ok = meta.sources.filter((s) => s.status === 'ok').map((s) => s.id);
  const failed = meta.sources.filter((s) => s.status !== 'ok');
  const asOf = meta.cachedAt ?? meta.asOf;
  const title = [
    `sources: ${meta.sources.map((s) => `${s.id} (${s.status})`).join(', ')}`,
    `computed ${asOf}${meta.cached ? ' (cached)' : ''}`,
  ].join('\n');
  return (
    <span className="badges">
      <span className="badge badge-source" title={title} data-testid="source-badge">
        {ok.join(', ') || 'no source'} · {formatAge(asOf)}
      </span>
      {meta.partial && (
        <span
          className="badge badge-partial"
          data-testid="partial-badge"
          title={failed.map((s) => `${s.id}: ${s.error?.code ?? s.status} ${s.error?.message ?? ''}`).join('\n')}
        >
          partial: {failed.map((s) => `${s.id} ${s.error?.code ?? s.status}`).join(', ')}
        </span>
      )}
    </span>
  );
}
