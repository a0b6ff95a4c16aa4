// The REST API's answer shapes the dashboard reads (README "API reference" is the contract).

export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
  /** Metric answers whose sources all failed list each source's outcome. */
  sources?: { id: string; status: string; code?: string; message?: string }[];
}

export interface SourceOutcome {
  id: string;
  /** "ok", "error", "timeout", ... */
  status: string;
  rows: number;
  elapsedMs: number;
  error?: { code: string; message: string };
}

export interface MetricWarning {
  code: string;
  message: string;
  source?: string;
  bytes?: number;
  usd?: number;
}

export interface MetricMeta {
  project: string;
  pack: string;
  metric: string;
  asOf: string;
  from: string | null;
  to: string | null;
  partial: boolean;
  sources: SourceOutcome[];
  cached: boolean;
  cachedAt?: string;
  warnings?: MetricWarning[];
}

export interface MetricEnvelope<T> {
  data: T;
  meta: MetricMeta;
}

export interface ProjectInfo {
  id: string;
  sources: string[];
  datasets: Record<string, { source: string; table: string; bindings?: { source: string; table: string }[] }>;
  packs: string[];
}

export interface ProjectsAnswer {
  defaultProject: string | null;
  projects: ProjectInfo[];
}

export interface SourceInfo {
  id: string;
  type: string;
  status: string;
  latencyMs: number | null;
  checkedAt: string | null;
  error: { code: string; message: string } | null;
  capabilities: Record<string, boolean | string>;
  /** Set on PostgreSQL and ClickHouse sources configured with `import_target:`. */
  importTarget?: boolean;
  /** Imported sources (type "import", docs/import.md): the file and its conversion. */
  import?: ImportedSourceInfo;
}

/** The `import` object of an imported source in GET /api/v1/sources. */
export interface ImportedSourceInfo {
  id: string;
  /** Where the rows live: "parquet" (local files), "postgres" or "clickhouse" (an import target). */
  kind: string;
  format: string;
  filename: string;
  /** The project that owns the import. */
  project?: string;
  /** The import target holding the rows; null for local Parquet. */
  target?: string | null;
  sizeBytes: number;
  rowCount: number | null;
  /** "importing", "ready" or "error". */
  status: string;
  /** Why the import failed (a message, or the API's {code, message}). */
  error: string | { code: string; message: string } | null;
  createdAt: string;
  lastAccessedAt: string | null;
  tables: { name: string; rows: number | null; bytes: number | null; columns: { name: string; type: string }[] }[];
  /** 0-100 while importing (null when the job is no longer known). */
  progress?: number | null;
}

export interface SourcesAnswer {
  sources: SourceInfo[];
}

export interface TableRef {
  schema?: string;
  name: string;
  kind: string;
}

export interface TablesAnswer {
  source: string;
  tables: TableRef[];
}

export interface ColumnInfo {
  name: string;
  type: string;
  sourceType: string;
  nullable: boolean;
}

export interface TableAnswer {
  source: string;
  table: TableRef;
  columns: ColumnInfo[];
}

export interface QueryColumn {
  name: string;
  type: string;
  sourceType: string;
}

export interface QueryAnswer {
  columns: QueryColumn[];
  rows: unknown[][];
  stats: {
    rows: number;
    elapsedMs: number;
    truncated: boolean;
    /** What cut the result when truncated: "rows" (the row limit) or "bytes" (the byte limit). */
    truncatedBy?: string;
    bytes?: number;
  };
  meta?: { warnings?: MetricWarning[] };
}
