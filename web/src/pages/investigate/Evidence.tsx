// One source's evidence: status and elapsed time, its error when it failed, its series (charted
// with the baseline, threshold and shifts), error totals and top messages, changes, and the
// exact queries it ran (monospace, copyable, with parameters and options).

import { useRef, useState, type RefObject } from 'react';
import type {
  EvidenceQuery,
  InvestigationAnswer,
  SourceEvidence,
  TopMessage,
  ChangeRecord,
} from '../../api/investigate';
import { Chart } from '../../components/Chart';
import { DataTable, type Column } from '../../components/DataTable';
import { formatDuration, formatInt, formatNumber, formatTimestamp } from '../../format';
import { seriesChartOption } from './charts';
import { queryCopyText, queryView, slug, statusTone } from './model';

/** Copies the query; where the clipboard API is refused (plain http on a LAN address) selects it. */
function CopyButton({ query, target }: { query: EvidenceQuery; target: RefObject<HTMLElement | null> }) {
  const [done, setDone] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(queryCopyText(query));
      setDone('Copied');
    } catch {
      const el = target.current;
      if (el) {
        const range = document.createRange();
        range.selectNodeContents(el);
        const sel = window.getSelection();
        sel?.removeAllRanges();
        sel?.addRange(range);
      }
      setDone('Selected: press Ctrl+C');
    }
  };
  return (
    <>
      <button type="button" className="btn btn-small" onClick={() => void copy()} data-testid="query-copy">
        Copy<span className="visually-hidden"> query: {query.purpose}</span>
      </button>
      <span className="muted copy-status" role="status">
        {done}
      </span>
    </>
  );
}

function QueryBlock({ query }: { query: EvidenceQuery }) {
  const view = queryView(query);
  const pre = useRef<HTMLPreElement>(null);
  return (
    <li className="inv-query" data-testid="evidence-query">
      <div className="inv-query-head">
        <span className="inv-query-purpose" data-testid="query-purpose">
          {view.purpose}
        </span>
        <CopyButton query={query} target={pre} />
      </div>
      <pre className="inv-query-text" ref={pre} tabIndex={0} data-testid="query-text">
        <code>{view.text}</code>
      </pre>
      {view.params.length > 0 && (
        <div className="inv-query-extra">
          <span className="muted">Parameters</span>
          <ul className="inv-query-params" data-testid="query-params">
            {view.params.map((p) => (
              <li key={p}>
                <code>{p}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      {view.options.length > 0 && (
        <div className="inv-query-extra">
          <span className="muted">Options</span>
          <ul className="inv-query-params" data-testid="query-options">
            {view.options.map(([k, v]) => (
              <li key={k}>
                <code>
                  {k} = {v}
                </code>
              </li>
            ))}
          </ul>
        </div>
      )}
    </li>
  );
}

const MESSAGE_COLUMNS: Column<TopMessage>[] = [
  { key: 'message', label: 'Message', render: (m) => <span className="inv-message">{m.message}</span> },
  { key: 'service', label: 'Service' },
  { key: 'count', label: 'Count', align: 'right', render: (m) => formatInt(m.count) },
  { key: 'first_seen', label: 'First seen', render: (m) => formatTimestamp(m.first_seen) },
  { key: 'last_seen', label: 'Last seen', render: (m) => formatTimestamp(m.last_seen) },
];

const CHANGE_COLUMNS: Column<ChangeRecord>[] = [
  { key: 'time', label: 'Time', render: (c) => formatTimestamp(c.time) },
  { key: 'service', label: 'Service', render: (c) => c.service ?? '' },
  { key: 'description', label: 'Description' },
];

function SeriesFigure({
  evidence,
  series,
  answer,
}: {
  evidence: SourceEvidence;
  series: NonNullable<SourceEvidence['series']>[number];
  answer: InvestigationAnswer;
}) {
  const id = `series-${slug(evidence.source)}-${slug(series.signal)}-${slug(series.service)}`;
  const title = `${series.signal} of ${series.service}`;
  return (
    <figure className="inv-series" data-testid={id}>
      <figcaption>
        <strong>{title}</strong>{' '}
        <span className="muted">
          {typeof series.baseline === 'number'
            ? `baseline ${formatNumber(series.baseline)}${
                typeof series.threshold === 'number' ? ` · threshold ${formatNumber(series.threshold)}` : ''
              }${typeof series.mad === 'number' ? ` · MAD ${formatNumber(series.mad)}` : ''}`
            : 'no baseline (too few points before the window)'}{' '}
          · {formatInt(series.points.length)} points
        </span>
      </figcaption>
      {series.points.length > 0 ? (
        <Chart
          option={seriesChartOption(series, evidence.source, answer)}
          label={`${title} from ${evidence.source}, with its baseline and threshold`}
          height={200}
          testId={`${id}-chart`}
        />
      ) : (
        <p className="muted">No data points in this window.</p>
      )}
    </figure>
  );
}

export function EvidenceCard({ evidence, answer }: { evidence: SourceEvidence; answer: InvestigationAnswer }) {
  const tone = statusTone(evidence.status);
  const headingId = `evidence-${slug(evidence.source)}-title`;
  return (
    <section
      className="panel inv-evidence"
      aria-labelledby={headingId}
      data-testid={`evidence-${slug(evidence.source)}`}
      data-status={evidence.status}
    >
      <header className="panel-header">
        <h3 id={headingId}>{evidence.source}</h3>
        <span className="badges">
          <span className="badge">{evidence.type}</span>
          <span className="badge">{evidence.kind}</span>
          <span className={`badge badge-${tone}`} data-testid="evidence-status">
            {evidence.status}
          </span>
          <span className="badge" title="time this source took">
            {formatDuration(evidence.elapsed_ms)}
          </span>
        </span>
      </header>
      <div className="panel-body inv-evidence-body">
        {evidence.services && evidence.services.length > 0 && (
          <p className="muted inv-line">Asked about: {evidence.services.join(', ')}</p>
        )}
        {evidence.error && (
          <div className="state-error" role="alert" data-testid="evidence-error">
            <strong>{evidence.error.code}</strong>: {evidence.error.message}
          </div>
        )}
        {evidence.errors && (
          <p className="inv-line" data-testid="evidence-error-totals">
            <strong data-value={evidence.errors.total}>{formatInt(evidence.errors.total)}</strong> error lines in the
            window,{' '}
            <strong data-value={evidence.errors.baseline_total}>{formatInt(evidence.errors.baseline_total)}</strong> in
            the baseline window before it
          </p>
        )}
        {(evidence.series ?? []).map((s) => (
          <SeriesFigure key={`${s.signal}:${s.service}`} evidence={evidence} series={s} answer={answer} />
        ))}
        {evidence.errors?.top_messages && evidence.errors.top_messages.length > 0 && (
          <>
            <h4>Top error messages</h4>
            <DataTable
              columns={MESSAGE_COLUMNS}
              rows={evidence.errors.top_messages}
              caption={`Top error messages from ${evidence.source}`}
              rowKey={(m, i) => `${i}:${m.service}:${m.message}`}
              testId="evidence-top-messages"
            />
          </>
        )}
        {evidence.changes && evidence.changes.length > 0 && (
          <>
            <h4>Changes</h4>
            <DataTable
              columns={CHANGE_COLUMNS}
              rows={evidence.changes}
              caption={`Changes from ${evidence.source}`}
              rowKey={(c, i) => `${i}:${c.time}`}
              testId="evidence-changes"
            />
          </>
        )}
        {evidence.kind === 'changes' && evidence.status === 'ok' && (evidence.changes ?? []).length === 0 && (
          <p className="muted inv-line">No change in this window.</p>
        )}
        {evidence.queries.length > 0 && (
          <details className="inv-queries" open>
            <summary>
              {evidence.queries.length === 1 ? 'The query' : `The ${evidence.queries.length} queries`} run on{' '}
              {evidence.source}
            </summary>
            <ul className="inv-query-list">
              {evidence.queries.map((q, i) => (
                <QueryBlock key={i} query={q} />
              ))}
            </ul>
          </details>
        )}
      </div>
    </section>
  );
}
