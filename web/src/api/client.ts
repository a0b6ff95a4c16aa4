// The one way the page gets data: fetch against the same origin's REST API, with the API key
// (when auth is on) kept in sessionStorage only, so closing the tab forgets it.

import type { ErrorBody } from './types';

const KEY_STORAGE = 'tributary.apiKey';

/** An API error answer, or a network failure (status 0, code NETWORK). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId?: string;
  readonly body?: ErrorBody;

  constructor(status: number, code: string, message: string, requestId?: string, body?: ErrorBody) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.body = body;
  }
}

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

export function getApiKey(): string | null {
  return storage()?.getItem(KEY_STORAGE) ?? null;
}

export function setApiKey(key: string | null): void {
  const s = storage();
  if (!s) return;
  if (key) s.setItem(KEY_STORAGE, key);
  else s.removeItem(KEY_STORAGE);
}

/** Fired on window when the API answers 401: the shell then asks for a key. */
export const AUTH_REQUIRED_EVENT = 'tributary:auth-required';

export type QueryParams = Record<string, string | number | boolean | null | undefined>;

/** `path` with the defined params as a query string (sorted, so equal calls build equal URLs). */
export function buildUrl(path: string, params?: QueryParams): string {
  if (!params) return path;
  const search = new URLSearchParams();
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    if (value === undefined || value === null || value === '') continue;
    search.set(name, String(value));
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * A JSON.parse reviver; browsers with JSON.parse source text access also pass the number's
 * source text as `context.source` (the query console keeps big integers exact with it).
 */
export type JsonReviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/** The headers every API request carries: the API key (when one is set) as a bearer token. */
export function authHeaders(): Record<string, string> {
  const key = getApiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/**
 * The ApiError for an answer that is not OK (`text` is its body): the API's code, message and
 * request id when the body is the API's error JSON. A 401 also asks the shell for a key.
 */
export function apiErrorFrom(status: number, text: string, statusText = ''): ApiError {
  let parsed: ErrorBody | undefined;
  try {
    parsed = text ? (JSON.parse(text) as ErrorBody) : undefined;
  } catch {
    parsed = undefined;
  }
  const err = parsed?.error;
  if (status === 401 && typeof window !== 'undefined') {
    window.dispatchEvent(new CustomEvent(AUTH_REQUIRED_EVENT));
  }
  return new ApiError(
    status,
    err?.code ?? `HTTP_${status}`,
    err?.message ?? (text.slice(0, 300) || statusText),
    err?.requestId,
    parsed,
  );
}

async function request<T>(
  method: string,
  url: string,
  body: unknown,
  signal?: AbortSignal,
  reviver?: JsonReviver,
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp: Response;
  try {
    resp = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', `cannot reach the Tributary server (${(e as Error).message})`);
  }
  const text = await resp.text();
  if (!resp.ok) throw apiErrorFrom(resp.status, text, resp.statusText);
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text, reviver);
    } catch {
      parsed = undefined;
    }
  }
  if (parsed === undefined) {
    // A DELETE may answer 204 (or 200) with no body.
    if (!text && method === 'DELETE') return undefined as T;
    throw new ApiError(resp.status, 'BAD_RESPONSE', `the server answered ${url} with something that is not JSON`);
  }
  return parsed as T;
}

export function apiGet<T>(path: string, params?: QueryParams, signal?: AbortSignal): Promise<T> {
  return request<T>('GET', buildUrl(path, params), undefined, signal);
}

export function apiPost<T>(path: string, body: unknown, signal?: AbortSignal, reviver?: JsonReviver): Promise<T> {
  return request<T>('POST', path, body, signal, reviver);
}

export function apiDelete<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>('DELETE', path, undefined, signal);
}
