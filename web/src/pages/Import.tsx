// The import page: upload a file into the current project (progress while it uploads), check
// the detected format and columns and edit names and types, import it while the event stream
// reports progress, then query it; below, the imported sources. The import's id is in the URL
// (`import`), so reloading the page (or sharing the link) comes back to the same step.

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, apiGet } from '../api/client';
import {
  cancelImport,
  confirmImport,
  getImport,
  getImportPreview,
  repreviewImport,
  uploadImport,
  watchImport,
  type ConfirmBody,
  type ImportEventData,
  type ImportJob,
  type PreviewHints,
} from '../api/imports';
import type { SourcesAnswer } from '../api/types';
import { ErrorState, Loading } from '../components/StatusView';
import { useAsync, useUrlParam } from '../state/hooks';
import { useProjects } from '../state/projects';
import { FilePicker, UploadProgressView, type UploadingState } from './import/FilePicker';
import { ImportComplete, ImportRunning } from './import/ImportProgress';
import { ImportedSources } from './import/ImportedSources';
import { importTargets } from './import/model';
import { PreviewForm } from './import/PreviewForm';
import './Import.css';

type Step =
  | { step: 'pick'; error?: Error; notice?: string }
  | { step: 'loading' }
  | ({ step: 'uploading' } & UploadingState)
  | { step: 'preview'; job: ImportJob; busy: boolean }
  | { step: 'importing'; job: ImportJob; event: ImportEventData | null; cancelling: boolean }
  | { step: 'complete'; job: ImportJob; event: ImportEventData | null };

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));
const isAbort = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';

/** The step an import (read back from the API) is at. */
async function stepOf(job: ImportJob, signal?: AbortSignal): Promise<Step> {
  switch (job.status) {
    case 'awaiting_confirmation':
      return { step: 'preview', job: await getImportPreview(job.id, signal), busy: false };
    case 'queued':
    case 'importing':
      return { step: 'importing', job, event: null, cancelling: false };
    case 'ready':
      return { step: 'complete', job, event: null };
    case 'cancelled':
      return { step: 'pick', notice: `The import of ${job.filename} was cancelled; nothing was imported.` };
    default:
      return {
        step: 'pick',
        error: new ApiError(
          0,
          job.error?.code ?? 'IMPORT_FAILED',
          job.error?.message ?? `the import of ${job.filename} failed`,
        ),
      };
  }
}

export function ImportPage() {
  const { current, projects, reload: reloadProjects } = useProjects();
  const sources = useAsync<SourcesAnswer>('sources', (signal) =>
    apiGet<SourcesAnswer>('/api/v1/sources', undefined, signal),
  );
  const [importId, setImportId] = useUrlParam('import');
  const [step, setStep] = useState<Step>(() => (importId ? { step: 'loading' } : { step: 'pick' }));
  // Bumped when an import ends or is discarded: the list below reads the sources again.
  const [listRefresh, setListRefresh] = useState(0);
  // A refused confirm or cancel: shown above the step, which stays.
  const [confirmError, setConfirmError] = useState<Error | null>(null);
  const uploadAbort = useRef<AbortController | null>(null);
  const resumed = useRef(false);

  const toPick = useCallback(
    (s: Extract<Step, { step: 'pick' }> = { step: 'pick' }) => {
      setImportId(null);
      setStep(s);
    },
    [setImportId],
  );

  // Opened with ?import=<id> (a reload, a link): read the import back and show its step.
  useEffect(() => {
    if (resumed.current || !importId) return;
    resumed.current = true;
    const c = new AbortController();
    getImport(importId, c.signal)
      .then((job) => stepOf(job, c.signal))
      .then(setStep, (e: unknown) => {
        if (isAbort(e)) return;
        if (e instanceof ApiError && e.status === 404) {
          toPick({ step: 'pick', notice: 'That import is no longer kept by the server; upload the file again.' });
        } else toPick({ step: 'pick', error: asError(e) });
      });
    return () => c.abort();
  }, [importId, toPick]);

  // Leaving the page stops an upload in flight (an import on the server goes on).
  useEffect(() => () => uploadAbort.current?.abort(), []);

  const upload = (file: File, name: string) => {
    if (!current) return;
    const c = new AbortController();
    uploadAbort.current = c;
    setStep({ step: 'uploading', file, loaded: 0, total: file.size, startedAt: Date.now() });
    uploadImport(
      file,
      { project: current.id, filename: file.name, name: name || undefined },
      ({ loaded, total }) =>
        setStep((prev) => (prev.step === 'uploading' && prev.file === file ? { ...prev, loaded, total } : prev)),
      c.signal,
    ).then(
      (job) => {
        uploadAbort.current = null;
        resumed.current = true;
        setImportId(job.id);
        setStep({ step: 'preview', job, busy: false });
      },
      (e: unknown) => {
        uploadAbort.current = null;
        if (isAbort(e)) toPick({ step: 'pick', notice: 'Upload cancelled.' });
        else toPick({ step: 'pick', error: asError(e) });
      },
    );
  };

  const confirm = (job: ImportJob, body: ConfirmBody) => {
    setStep({ step: 'preview', job, busy: true });
    confirmImport(job.id, body).then(
      (next) => setStep({ step: 'importing', job: next, event: null, cancelling: false }),
      (e: unknown) => {
        // A refused edit (e.g. a name taken) keeps the preview so it can be fixed; the API's code
        // and message are shown above it.
        setStep({ step: 'preview', job, busy: false });
        setConfirmError(asError(e));
      },
    );
  };
  // A re-read preview replaces the form (and its edits, which belonged to the old columns).
  const [previewVersion, setPreviewVersion] = useState(0);
  const repreview = (job: ImportJob, hints: PreviewHints) => {
    setStep({ step: 'preview', job, busy: true });
    repreviewImport(job.id, hints).then(
      (next) => {
        setPreviewVersion((n) => n + 1);
        setStep({ step: 'preview', job: next, busy: false });
      },
      (e: unknown) => {
        setStep({ step: 'preview', job, busy: false });
        setConfirmError(asError(e));
      },
    );
  };

  const discard = (job: ImportJob) => {
    setStep({ step: 'preview', job, busy: true });
    cancelImport(job.id).then(
      () => toPick({ step: 'pick', notice: `The upload of ${job.filename} was discarded.` }),
      (e: unknown) => toPick({ step: 'pick', error: asError(e) }),
    );
  };

  // While importing: follow the event stream until complete or error.
  const watchedId = step.step === 'importing' ? step.job.id : null;
  useEffect(() => {
    if (!watchedId) return;
    const c = new AbortController();
    const onEvent = (e: { data: ImportEventData }) =>
      setStep((prev) => (prev.step === 'importing' && prev.job.id === watchedId ? { ...prev, event: e.data } : prev));
    const finish = async () => {
      const final = await watchImport(watchedId, onEvent, c.signal);
      if (c.signal.aborted) return;
      if (final?.type === 'error') {
        const err = final.data.error ?? { code: 'IMPORT_FAILED', message: 'the import failed' };
        setListRefresh((n) => n + 1);
        if (err.code === 'CANCELLED') toPick({ step: 'pick', notice: 'Import cancelled; nothing was imported.' });
        else toPick({ step: 'pick', error: new ApiError(0, err.code, err.message) });
        return;
      }
      // Complete (or the stream ended without a final event): the import object has the outcome.
      const job = await getImport(watchedId, c.signal).catch((e: unknown) => {
        if (final?.type === 'complete' && !isAbort(e)) return null;
        throw e;
      });
      if (c.signal.aborted) return;
      setListRefresh((n) => n + 1);
      if (final?.type === 'complete') {
        reloadProjects(); // the project now has the source: the query console lists it
        setStep((prev) =>
          prev.step === 'importing' ? { step: 'complete', job: job ?? prev.job, event: final.data } : prev,
        );
      } else if (job) {
        const next = await stepOf(job, c.signal);
        if (next.step !== 'importing') setStep(next);
        else toPick({ step: 'pick', error: new ApiError(0, 'NETWORK', 'lost the progress stream; reload the page') });
      }
    };
    finish().catch((e: unknown) => {
      if (!isAbort(e) && !c.signal.aborted) toPick({ step: 'pick', error: asError(e) });
    });
    return () => c.abort();
  }, [watchedId, toPick, reloadProjects]);

  const cancelRunning = (job: ImportJob) => {
    setStep((prev) => (prev.step === 'importing' ? { ...prev, cancelling: true } : prev));
    cancelImport(job.id).then(
      // The stream then ends with the CANCELLED error, which returns to the file picker.
      () => undefined,
      (e: unknown) => {
        setStep((prev) => (prev.step === 'importing' ? { ...prev, cancelling: false } : prev));
        setConfirmError(asError(e));
      },
    );
  };

  return (
    <div className="page import-page">
      <h1>Import a file</h1>
      <p className="muted import-intro">
        The file becomes a source of project <strong data-testid="import-project">{current?.id ?? '…'}</strong>,
        queryable at once in the query console.
      </p>
      {step.step === 'pick' && (
        <>
          {step.error && (
            <div className="import-error" data-testid="import-error">
              <ErrorState error={step.error} />
            </div>
          )}
          {step.notice && (
            <p className="banner" role="status" data-testid="import-notice">
              {step.notice}
            </p>
          )}
          <FilePicker project={current?.id} onUpload={upload} />
        </>
      )}
      {step.step === 'loading' && <Loading label="Loading the import…" />}
      {step.step === 'uploading' && <UploadProgressView upload={step} onCancel={() => uploadAbort.current?.abort()} />}
      {confirmError && (step.step === 'preview' || step.step === 'importing') && (
        <div className="import-error" data-testid="import-error">
          <ErrorState error={confirmError} />
        </div>
      )}
      {step.step === 'preview' && (
        <PreviewForm
          key={`${step.job.id}:${previewVersion}`}
          job={step.job}
          busy={step.busy}
          targets={importTargets(sources.data?.sources, projects.find((p) => p.id === step.job.project)?.sources ?? [])}
          onConfirm={(body) => {
            setConfirmError(null);
            confirm(step.job, body);
          }}
          onCancel={() => {
            setConfirmError(null);
            discard(step.job);
          }}
          onRepreview={(hints) => {
            setConfirmError(null);
            repreview(step.job, hints);
          }}
        />
      )}
      {step.step === 'importing' && (
        <ImportRunning
          job={step.job}
          event={step.event}
          cancelling={step.cancelling}
          onCancel={() => cancelRunning(step.job)}
        />
      )}
      {step.step === 'complete' && <ImportComplete job={step.job} event={step.event} onAnother={() => toPick()} />}
      <ImportedSources sources={sources} refresh={listRefresh} polling={step.step === 'importing'} />
    </div>
  );
}
