// One `llm` pack metric for the current project and source, through useAsync (so loading,
// errors, refresh and auto refresh behave like every other view).

import { fetchMetric, metricPath, type MetricRequest } from '../../api/metrics';
import type { MetricEnvelope } from '../../api/types';
import { useAsync, useViewState, type AsyncState } from '../../state/hooks';
import { useProjects } from '../../state/projects';
import type { MetricParams } from '../../state/view';

/** `params` null: do not fetch yet (e.g. waiting for another answer). */
export function useLlmMetric<T>(metric: string, params: MetricParams | null): AsyncState<MetricEnvelope<T>> {
  const { current } = useProjects();
  const [view] = useViewState();
  const req: MetricRequest | null =
    current && params ? { project: current.id, pack: 'llm', metric, params, source: view.source } : null;
  // The URL is the key: equal parameters share one request, a change refetches.
  const key = req ? metricPath(req) : null;
  return useAsync<MetricEnvelope<T>>(key, (signal) => fetchMetric<T>(req as MetricRequest, signal));
}
