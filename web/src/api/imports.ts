// The import routes (docs/import.md): upload a file (XMLHttpRequest, for upload progress),
// read and re-sniff its preview, confirm or cancel it, follow its progress on the event stream
// (fetch + ReadableStream: EventSource cannot send the API key), and delete an imported source.

import { ApiError, apiDelete, apiErrorFrom, apiGet, apiPost, authHeaders, buildUrl } from './client';
import { createSseParser } from './sse';

export interface CsvDialect {
  delimiter: string;
  quote: string;
  escape: string;
  header: boolean;
  /** "utf-8", "latin-1" or "utf-16". */
  encoding: string;
  skipRows: number;
}

export interface ImportColumn {
  /** The name in the file (header cell, or column1...). */
  sourceName: string;
  /** The name in the imported table. */
  name: string;
  /** A DuckDB type name: BIGINT, DOUBLE, DECIMAL(p,s), BOOLEAN, DATE, TIMESTAMP, TIME, VARCHAR. */
  type: string;
}

export interface ImportTable {
  name: string;
  /** XLSX: the sheet; null for other formats. */
  sheet: string | null;
  estimatedRows: number | null;
  estimateExact: boolean;
  columns: ImportColumn[];
  /** Present before confirmation: the first rows as text (null for NULL). */
  preview?: { rows: (string | null)[][]; badRows: number };
}

export interface ImportReject {
  table: string;
  sheet: string | null;
  line: number;
  column: number;
  columnName: string;
  message: string;
  raw: string;
}

export interface ImportErrorInfo {
  code: string;
  message: string;
}

export type ImportStatus = 'awaiting_confirmation' | 'queued' | 'importing' | 'ready' | 'error' | 'cancelled';

/** The import object every import route answers. */
export interface ImportJob {
  id: string;
  project: string;
  name: string;
  filename: string;
  uploadedBytes: number;
  status: ImportStatus;
  phase: string;
  progress: number;
  /** "csv", "tsv", "json", "ndjson", "xlsx" or "parquet". */
  format: string;
  /** CSV and TSV only. */
  csv: CsvDialect | null;
  onError: 'fail' | 'skip';
  target: string | null;
  tables: ImportTable[];
  /** Datasets of the project the file's columns fit. */
  fitsDatasets?: string[];
  rowsProcessed: number;
  totalRows: number | null;
  bytesProcessed: number;
  etaSeconds: number | null;
  rejectedRows: number;
  rejects: ImportReject[];
  error: ImportErrorInfo | null;
  createdAt: string;
  finishedAt: string | null;
}

/** Detection overrides for an upload or a re-sniff. */
export interface UploadHints {
  format?: string;
  delimiter?: string;
  quote?: string;
  escape?: string;
  header?: boolean;
  encoding?: string;
  skipRows?: number;
}

export interface UploadParams extends UploadHints {
  project: string;
  filename: string;
  /** The source id; the server derives one from the file name when absent. */
  name?: string;
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/** The URL of an upload: every parameter in the query string, the body being the raw file. */
export function uploadUrl(params: UploadParams): string {
  return buildUrl('/api/v1/imports', { ...params });
}

/**
 * Uploads `file` raw as the body of POST /api/v1/imports (XMLHttpRequest: fetch cannot report
 * upload progress). Resolves with the import awaiting confirmation and its preview; rejects with
 * an ApiError (the API's code and message), or an AbortError DOMException when `signal` aborts.
 */
export function uploadImport(
  file: Blob,
  params: UploadParams,
  onProgress?: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<ImportJob> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('upload aborted', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', uploadUrl(params));
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(apiErrorFrom(xhr.status, xhr.responseText, xhr.statusText));
        return;
      }
      try {
        resolve(JSON.parse(xhr.responseText) as ImportJob);
      } catch {
        reject(
          new ApiError(xhr.status, 'BAD_RESPONSE', 'the server answered the upload with something that is not JSON'),
        );
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'the upload did not reach the Tributary server'));
    xhr.onabort = () => reject(new DOMException('upload aborted', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

const importPath = (id: string, rest = '') => `/api/v1/imports/${encodeURIComponent(id)}${rest}`;

export const getImport = (id: string, signal?: AbortSignal) => apiGet<ImportJob>(importPath(id), undefined, signal);

export const getImportPreview = (id: string, signal?: AbortSignal) =>
  apiGet<ImportJob>(importPath(id, '/preview'), undefined, signal);

/** Re-sniffs with new hints (when the detected dialect was wrong). */
export interface PreviewHints {
  format?: string;
  csv?: Partial<CsvDialect>;
  sheets?: string[];
}

export const repreviewImport = (id: string, hints: PreviewHints) =>
  apiPost<ImportJob>(importPath(id, '/preview'), hints);

export interface ConfirmTable {
  name: string;
  sheet: string | null;
  columns: ImportColumn[];
}

/** POST /confirm's body: every key optional; a table left out of `tables` is not imported. */
export interface ConfirmBody {
  name?: string;
  onError?: 'fail' | 'skip';
  target?: string;
  tables?: ConfirmTable[];
  datasets?: string[];
}

export const confirmImport = (id: string, body: ConfirmBody) => apiPost<ImportJob>(importPath(id, '/confirm'), body);

/** Cancels a queued or running import, or discards one awaiting confirmation. */
export const cancelImport = (id: string) => apiDelete<ImportJob>(importPath(id));

/** The jobs the server keeps (running, and finished within imports.keep_finished_seconds). */
export async function listImports(project: string, signal?: AbortSignal): Promise<ImportJob[]> {
  // The contract names the list, not its wrapper: accept a bare array or {imports: [...]}.
  const answer = await apiGet<{ imports: ImportJob[] } | ImportJob[]>('/api/v1/imports', { project }, signal);
  return Array.isArray(answer) ? answer : (answer.imports ?? []);
}

/** Removes an imported source (its catalog entry and files). */
export const deleteSource = (id: string) => apiDelete<unknown>(`/api/v1/sources/${encodeURIComponent(id)}`);

/** The `data` of an event on GET /api/v1/imports/{id}/events. */
export interface ImportEventData {
  phase: string;
  progress: number;
  rowsProcessed: number;
  totalRows: number | null;
  totalExact?: boolean;
  bytesProcessed?: number;
  etaSeconds: number | null;
  status: string;
  /** complete: the source id and the rows imported. */
  source?: string;
  rows?: number;
  /** error: what went wrong (code CANCELLED after a cancel). */
  error?: ImportErrorInfo;
}

export interface ImportEvent {
  /** "progress", "complete" or "error". */
  type: string;
  id: string;
  data: ImportEventData;
}

/** Whether an event ends the stream. */
export const isFinalEvent = (e: ImportEvent) => e.type === 'complete' || e.type === 'error';

/**
 * Reads GET /api/v1/imports/{id}/events once, calling `onEvent` for each event, until the server
 * ends the stream or `signal` aborts. Resolves with the last event id (for Last-Event-ID on a
 * reconnect); rejects with an ApiError when the route answers an error.
 */
export async function readImportEvents(
  id: string,
  onEvent: (e: ImportEvent) => void,
  signal: AbortSignal,
  lastEventId = '',
): Promise<string> {
  const headers: Record<string, string> = { Accept: 'text/event-stream', ...authHeaders() };
  if (lastEventId) headers['Last-Event-ID'] = lastEventId;
  let resp: Response;
  try {
    resp = await fetch(importPath(id, '/events'), { headers, signal, cache: 'no-store' });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', `cannot reach the Tributary server (${(e as Error).message})`);
  }
  if (!resp.ok) throw apiErrorFrom(resp.status, await resp.text(), resp.statusText);
  if (!resp.body) throw new ApiError(resp.status, 'BAD_RESPONSE', 'the event stream has no body');
  return readEventStream(resp.body, onEvent, lastEventId);
}

/**
 * Reads an import's event stream body to its end: bytes are decoded as UTF-8 across chunk
 * boundaries, events parsed (sse.ts), and each JSON event passed to `onEvent`. Resolves with the
 * last event id (or `lastEventId` when the stream carried none).
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: ImportEvent) => void,
  lastEventId = '',
): Promise<string> {
  const parser = createSseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const emit = (text: string) => {
    for (const e of parser.push(text)) {
      let data: ImportEventData;
      try {
        data = JSON.parse(e.data) as ImportEventData;
      } catch {
        continue; // not one of the import's JSON events
      }
      onEvent({ type: e.event, id: e.id, data });
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      emit(decoder.decode(value, { stream: true }));
    }
    emit(decoder.decode());
  } finally {
    reader.releaseLock();
  }
  return parser.lastEventId() || lastEventId;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows an import's events until its final event (complete or error), reconnecting with
 * Last-Event-ID when the connection drops (the server replays what was missed). Resolves with
 * the final event, or null when `signal` aborted or the stream kept ending without one (the
 * caller then reads the import's state with getImport).
 */
export async function watchImport(
  id: string,
  onEvent: (e: ImportEvent) => void,
  signal: AbortSignal,
  maxReconnects = 5,
): Promise<ImportEvent | null> {
  let last = '';
  let final: ImportEvent | null = null;
  let failures = 0;
  while (!signal.aborted && !final) {
    try {
      last = await readImportEvents(
        id,
        (e) => {
          failures = 0;
          if (isFinalEvent(e)) final = e;
          onEvent(e);
        },
        signal,
        last,
      );
    } catch (e) {
      if (signal.aborted) return null;
      // An answer from the API (404: the job is gone, 403...) will not change on a retry.
      if (e instanceof ApiError && e.status !== 0) throw e;
    }
    if (final || signal.aborted) break;
    failures += 1;
    if (failures > maxReconnects) return null;
    await sleep(500 * failures, signal);
  }
  return final;
}
