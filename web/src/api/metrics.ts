// Typed calls for the metric packs (GET /api/v1/projects/{project}/metrics/{pack}/{metric}).

import { apiGet, buildUrl, type QueryParams } from './client';
import type { MetricEnvelope } from './types';

export interface MetricRequest {
  project: string;
  pack: string;
  metric: string;
  params?: QueryParams;
  /** Restricts the metric to one source; undefined means every source bound to the dataset. */
  source?: string;
}

export function metricPath(req: MetricRequest): string {
  const p = encodeURIComponent;
  return buildUrl(`/api/v1/projects/${p(req.project)}/metrics/${p(req.pack)}/${p(req.metric)}`, {
    ...req.params,
    source: req.source,
  });
}

export function fetchMetric<T>(req: MetricRequest, signal?: AbortSignal): Promise<MetricEnvelope<T>> {
  return apiGet<MetricEnvelope<T>>(metricPath(req), undefined, signal);
}
