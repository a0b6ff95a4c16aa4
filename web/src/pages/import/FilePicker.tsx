// Step 1 of an import: choose a file (the native file input, or drop it on the zone around it)
// and an optional source name, then upload it; while it uploads, its progress (bytes, %, speed).

import { useEffect, useState, type DragEvent, type FormEvent } from 'react';
import { formatBytes } from '../../format';
import { uploadStatus } from './model';

/** The extensions the importer reads (docs/import.md); the server still checks the content. */
const ACCEPT = '.csv,.tsv,.tab,.txt,.json,.ndjson,.jsonl,.xlsx,.parquet';

export function FilePicker({
  project,
  onUpload,
}: {
  project: string | undefined;
  onUpload: (file: File, name: string) => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [dragging, setDragging] = useState(false);

  // A file dropped beside the zone would make the browser open it and leave the page: take it.
  useEffect(() => {
    const over = (e: globalThis.DragEvent) => e.preventDefault();
    const drop = (e: globalThis.DragEvent) => {
      e.preventDefault();
      const dropped = e.dataTransfer?.files[0];
      if (dropped) setFile(dropped);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, []);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation();
    setDragging(false);
    const dropped = e.dataTransfer.files[0];
    if (dropped) setFile(dropped);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file && project) onUpload(file, name.trim());
  };

  return (
    <form className="import-pick" onSubmit={submit} aria-label="Upload a file" data-testid="import-pick">
      <div
        className={`dropzone ${dragging ? 'dragging' : ''}`}
        onDragEnter={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }}
        onDragLeave={(e) => {
          // Leaving for a child element is not leaving the zone.
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
        }}
        onDrop={onDrop}
        data-testid="import-dropzone"
      >
        <p className="dropzone-title">Drop a file here, or choose one</p>
        <label className="stacked" htmlFor="import-file">
          File
        </label>
        <input
          id="import-file"
          type="file"
          accept={ACCEPT}
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          aria-describedby="import-file-hint"
          data-testid="import-file"
        />
        <p id="import-file-hint" className="muted hint">
          CSV, TSV, JSON, NDJSON, XLSX or Parquet. The format, delimiter, header and encoding are detected; you check
          the columns before anything is imported.
        </p>
        {file && (
          <p className="dropzone-file" data-testid="import-chosen">
            <strong>{file.name}</strong> · {formatBytes(file.size)}
          </p>
        )}
      </div>
      <div className="import-pick-actions">
        <label className="field">
          Source name (optional)
          <input
            type="text"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="from the file name"
            autoComplete="off"
            spellCheck={false}
            data-testid="import-source-name"
          />
        </label>
        <button type="submit" className="btn btn-primary" disabled={!file || !project} data-testid="import-upload">
          Upload and preview
        </button>
        {!project && <span className="muted">Choose a project first.</span>}
      </div>
    </form>
  );
}

export interface UploadingState {
  file: File;
  loaded: number;
  total: number;
  startedAt: number;
}

/** The upload's progress bar: bytes sent of the file, percent and speed, and a cancel button. */
export function UploadProgressView({ upload, onCancel }: { upload: UploadingState; onCancel: () => void }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(timer);
  }, []);
  const status = uploadStatus(upload.loaded, upload.total || upload.file.size, now - upload.startedAt);
  const done = upload.loaded >= upload.total && upload.total > 0;
  return (
    <section className="panel import-step" aria-labelledby="import-upload-title" data-testid="import-uploading">
      <header className="panel-header">
        <h2 id="import-upload-title">Uploading {upload.file.name}</h2>
      </header>
      <div className="panel-body">
        <label className="stacked" htmlFor="import-upload-progress">
          {done ? 'Uploaded; detecting the format and reading the first rows…' : 'Upload progress'}
        </label>
        <progress
          id="import-upload-progress"
          className="import-progress"
          max={100}
          value={status.percent}
          aria-valuetext={status.text}
        />
        <p className="import-stats" aria-live="polite" data-testid="import-upload-status">
          {status.text}
        </p>
        <button type="button" className="btn" onClick={onCancel} data-testid="import-upload-cancel">
          Cancel upload
        </button>
      </div>
    </section>
  );
}
