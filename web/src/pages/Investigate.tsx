// Investigate: pick services, an environment and a window (and optionally ask a question), run,
// and read what POST /api/v1/investigate found: the timeline of shifts, recoveries and changes,
// the components affected, the sources that failed or were skipped, and each source's evidence
// with the exact queries behind it. The form is in the URL once run (with the run time, so a
// preset window is reproduced exactly by a shared link); editing it does not run anything.

import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  fetchInvestigateServices,
  runInvestigation,
  type InvestigateServicesAnswer,
  type InvestigationAnswer,
} from '../api/investigate';
import { ErrorState, Loading } from '../components/StatusView';
import { formatDuration, formatTimestamp } from '../format';
import { useAsync, type AsyncState } from '../state/hooks';
import { useProjects } from '../state/projects';
import { EvidenceCard } from './investigate/Evidence';
import {
  buildInvestigationBody,
  groupTimeline,
  isoSeconds,
  NAME_RE,
  noSourcesTagged,
  parseInvestigateUrl,
  presetLabel,
  serviceChoices,
  slug,
  sourceCounts,
  synthesisView,
  toLocalInput,
  WINDOW_PRESETS,
  writeInvestigateUrl,
  type InvestigateForm,
  type WindowChoice,
} from './investigate/model';
import './Investigate.css';

/** Where the page sends readers who have no tagged source. */
const DOCS_PATH = 'docs/investigate.md';

function HowToTag({ project }: { project: string }) {
  return (
    <div className="state inv-how-to" data-state="empty" data-testid="inv-no-sources">
      <p>
        No source of project <code>{project}</code> takes part in investigations yet. A source does when it has an{' '}
        <code>investigate:</code> section (what evidence it holds: <code>metrics</code>, <code>logs</code> or{' '}
        <code>changes</code>) and, optionally, <code>tags:</code> naming the services and environments it covers. For
        example:
      </p>
      <pre className="inv-example">
        <code>{`sources:
  app_logs:
    type: postgres
    tags: {environments: [prod], services: [checkout]}
    investigate:
      logs: {table: app_logs, time_column: ts, service_column: service,
             level_column: level, message_column: message}`}</code>
      </pre>
      <p>
        Every key is described in the <strong>Configuration</strong> section of <code>{DOCS_PATH}</code> (in the
        Tributary repository). Then reload the config (Admin page) and come back.{' '}
        <Link to={`/sources?project=${encodeURIComponent(project)}`}>See this project's sources</Link>.
      </p>
    </div>
  );
}

/** A service no source names in its tags (such sources answer for every service asked about). */
function AddService({ onAdd }: { onAdd: (name: string) => void }) {
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const add = () => {
    const n = name.trim();
    if (!n) return;
    if (!NAME_RE.test(n)) {
      setProblem('letters, digits and _ . : - only (at most 128)');
      return;
    }
    onAdd(n);
    setName('');
    setProblem(null);
  };
  return (
    <div className="inv-add-service">
      <label className="field">
        Other service
        <input
          type="text"
          value={name}
          size={16}
          onChange={(e) => setName(e.target.value)}
          // Enter adds the service here instead of submitting (running) the whole form.
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
          data-testid="inv-add-service"
        />
      </label>
      <button type="button" className="btn" onClick={add}>
        Add
      </button>
      {problem && (
        <span className="field-error" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}

function ServicesField({
  services,
  project,
  draft,
  setDraft,
}: {
  services: AsyncState<InvestigateServicesAnswer>;
  project: string;
  draft: InvestigateForm;
  setDraft: (f: InvestigateForm) => void;
}) {
  const choices = serviceChoices(services.data, draft.services);
  const tagged = services.data?.services ?? [];
  const toggle = (name: string, on: boolean) =>
    setDraft({
      ...draft,
      services: on
        ? [...draft.services, name].filter((s, i, a) => a.indexOf(s) === i)
        : draft.services.filter((s) => s !== name),
    });
  return (
    <fieldset className="inv-fieldset" data-testid="inv-services">
      <legend>Services</legend>
      {services.error ? (
        <ErrorState error={services.error} onRetry={services.reload} />
      ) : services.data === undefined ? (
        <Loading label="Loading services…" />
      ) : noSourcesTagged(services.data) ? (
        <HowToTag project={project} />
      ) : (
        <>
          <div className="inv-checks">
            {choices.map((name) => (
              <label key={name} className="inv-check">
                <input
                  type="checkbox"
                  checked={draft.services.includes(name)}
                  onChange={(e) => toggle(name, e.target.checked)}
                  data-testid={`inv-service-${slug(name)}`}
                />
                {name}
                {!tagged.includes(name) && <span className="muted"> (no source tagged)</span>}
              </label>
            ))}
          </div>
          <AddService onAdd={(name) => toggle(name, true)} />
          <p className="muted inv-hint">
            None ticked: every service the project's sources are tagged for. A source tagged for no service in
            particular answers for any service you add.
          </p>
        </>
      )}
    </fieldset>
  );
}

function WindowField({ draft, setDraft }: { draft: InvestigateForm; setDraft: (f: InvestigateForm) => void }) {
  const choose = (choice: WindowChoice) => {
    if (choice === 'custom' && (!draft.from || !draft.to)) {
      // Start the custom window from the last hour, which the reader then moves.
      const now = Date.now();
      setDraft({ ...draft, window: choice, from: toLocalInput(now - 3_600_000), to: toLocalInput(now) });
    } else {
      setDraft({ ...draft, window: choice });
    }
  };
  const options: { value: WindowChoice; label: string }[] = [
    ...WINDOW_PRESETS.map((p) => ({ value: p, label: presetLabel(p) })),
    { value: 'custom', label: 'Custom' },
  ];
  return (
    <fieldset className="inv-fieldset" data-testid="inv-window">
      <legend>Window</legend>
      <div className="inv-radios">
        {options.map((o) => (
          <label key={o.value} className={`inv-radio ${draft.window === o.value ? 'active' : ''}`}>
            <input
              type="radio"
              name="inv-window"
              value={o.value}
              checked={draft.window === o.value}
              onChange={() => choose(o.value)}
              data-testid={`inv-window-${o.value}`}
            />
            {o.label}
          </label>
        ))}
      </div>
      {draft.window === 'custom' && (
        <div className="inv-custom">
          <label className="field">
            From (UTC)
            <input
              type="datetime-local"
              step={60}
              value={draft.from}
              onChange={(e) => setDraft({ ...draft, from: e.target.value })}
              data-testid="inv-from"
            />
          </label>
          <label className="field">
            To (UTC)
            <input
              type="datetime-local"
              step={60}
              value={draft.to}
              onChange={(e) => setDraft({ ...draft, to: e.target.value })}
              data-testid="inv-to"
            />
          </label>
        </div>
      )}
    </fieldset>
  );
}

function InvestigateFormView({
  initial,
  project,
  services,
  running,
  onRun,
}: {
  initial: InvestigateForm;
  project: string;
  services: AsyncState<InvestigateServicesAnswer>;
  running: boolean;
  onRun: (form: InvestigateForm) => string | null;
}) {
  const [draft, setDraft] = useState(initial);
  const [problem, setProblem] = useState<string | null>(null);
  // The URL changed under the form (back/forward, a pasted link): show what it holds.
  const initialKey = JSON.stringify(initial);
  useEffect(() => setDraft(JSON.parse(initialKey) as InvestigateForm), [initialKey]);
  const environments = services.data?.environments ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setProblem(onRun(draft));
  };
  return (
    <form className="panel inv-form" onSubmit={submit} aria-label="Investigation" data-testid="inv-form">
      <ServicesField services={services} project={project} draft={draft} setDraft={setDraft} />
      <div className="inv-form-row">
        {(environments.length > 0 || draft.environment) && (
          <label className="field">
            Environment
            <select
              value={draft.environment}
              onChange={(e) => setDraft({ ...draft, environment: e.target.value })}
              data-testid="inv-environment"
            >
              <option value="">Every environment</option>
              {environments.map((env) => (
                <option key={env} value={env}>
                  {env}
                </option>
              ))}
              {draft.environment && !environments.includes(draft.environment) && (
                <option value={draft.environment}>{draft.environment} (no source tagged)</option>
              )}
            </select>
          </label>
        )}
      </div>
      <WindowField draft={draft} setDraft={setDraft} />
      <label className="inv-question">
        <span>
          Question <span className="muted">(optional; passed to the summary model only)</span>
        </span>
        <input
          type="text"
          value={draft.question}
          placeholder="Why are checkout requests failing?"
          maxLength={4096}
          onChange={(e) => setDraft({ ...draft, question: e.target.value })}
          data-testid="inv-question"
        />
      </label>
      <div className="inv-actions">
        <button type="submit" className="btn btn-primary" disabled={running} data-testid="inv-run">
          {running ? 'Investigating…' : 'Run'}
        </button>
        {problem && (
          <span className="field-error" role="alert" data-testid="inv-form-error">
            {problem}
          </span>
        )}
      </div>
    </form>
  );
}

function Timeline({ answer }: { answer: InvestigationAnswer }) {
  const groups = groupTimeline(answer.timeline);
  return (
    <section className="panel" aria-labelledby="inv-timeline-title" data-testid="panel-timeline">
      <header className="panel-header">
        <h2 id="inv-timeline-title">Timeline</h2>
        <span className="badge">{answer.timeline.length} entries</span>
      </header>
      <div className="panel-body">
        {groups.length === 0 ? (
          <div className="state state-empty" data-state="empty">
            No series crossed its threshold and no change was recorded in this window.
          </div>
        ) : (
          <ol className="inv-timeline" data-testid="timeline">
            {groups.map((g) => (
              <li key={g.time} className="inv-timeline-group">
                <time dateTime={g.time} className="inv-timeline-time">
                  {g.label}
                </time>
                <ul>
                  {g.items.map(({ key, entry, kindLabel, value }) => (
                    <li
                      key={key}
                      className={`inv-entry inv-entry-${slug(entry.kind)}`}
                      data-testid="timeline-entry"
                      data-kind={entry.kind}
                      data-time={entry.time}
                      data-source={entry.source}
                      data-service={entry.service}
                      data-signal={entry.signal}
                    >
                      <span className={`badge inv-kind inv-kind-${slug(entry.kind)}`}>{kindLabel}</span>
                      <span className="inv-entry-description" data-testid="timeline-description">
                        {entry.description}
                      </span>
                      <span className="inv-entry-meta muted">
                        {entry.service} · {entry.source} · {entry.signal}
                        {value && <> · {value}</>}
                      </span>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}

function Synthesis({ answer }: { answer: InvestigationAnswer }) {
  const view = synthesisView(answer);
  if (!view) return null;
  return (
    <section className="panel inv-synthesis" aria-labelledby="inv-synthesis-title" data-testid="inv-synthesis">
      <header className="panel-header">
        <h2 id="inv-synthesis-title">Model-generated summary</h2>
        <span className="badge badge-warn" title="written by a language model from the evidence below; check it">
          generated by {view.model}
          {view.elapsedMs !== undefined && ` in ${formatDuration(view.elapsedMs)}`}
        </span>
      </header>
      <div className="panel-body">
        <p className="muted inv-line">
          Written by a language model from the evidence below; the timeline and the evidence are the reference.
        </p>
        {view.error && (
          <div className="state-error" role="alert" data-testid="inv-synthesis-error">
            The summary failed: <strong>{view.error.code}</strong>: {view.error.message}
          </div>
        )}
        {view.rootCause && (
          <>
            <h3>Root cause</h3>
            <p data-testid="inv-root-cause">{view.rootCause}</p>
          </>
        )}
        {view.affectedComponents && (
          <>
            <h3>Affected components</h3>
            <ul data-testid="inv-affected-components">
              {view.affectedComponents.map((c) => (
                <li key={c}>{c}</li>
              ))}
            </ul>
          </>
        )}
        {view.recommendedActions && (
          <>
            <h3>Recommended actions</h3>
            <ul data-testid="inv-recommended-actions">
              {view.recommendedActions.map((a, i) => (
                <li key={i}>{a}</li>
              ))}
            </ul>
          </>
        )}
      </div>
    </section>
  );
}

function SourcesOutcome({ answer }: { answer: InvestigationAnswer }) {
  const failed = answer.failed_sources;
  const skipped = answer.skipped_sources;
  if (failed.length === 0 && skipped.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="inv-outcome-title" data-testid="panel-source-outcome">
      <header className="panel-header">
        <h2 id="inv-outcome-title">Sources not heard from</h2>
      </header>
      <div className="panel-body inv-outcome">
        {failed.length > 0 && (
          <div data-testid="inv-failed">
            <h3>Failed</h3>
            <ul>
              {failed.map((f) => (
                <li key={f.source} data-testid={`failed-${slug(f.source)}`}>
                  <code>{f.source}</code> <span className="badge badge-error">{f.code}</span>
                  {f.status === 'timeout' && <span className="badge badge-warn">timed out</span>} {f.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {skipped.length > 0 && (
          <div data-testid="inv-skipped">
            <h3>Skipped</h3>
            <ul>
              {skipped.map((s) => (
                <li key={s.source} data-testid={`skipped-${slug(s.source)}`}>
                  <code>{s.source}</code>: {s.reason}
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </section>
  );
}

function Components({ answer }: { answer: InvestigationAnswer }) {
  return (
    <section className="panel" aria-labelledby="inv-components-title" data-testid="panel-components">
      <header className="panel-header">
        <h2 id="inv-components-title">Components affected</h2>
      </header>
      <div className="panel-body">
        {answer.components.length === 0 ? (
          <div className="state state-empty" data-state="empty">
            No service shifted in this window.
          </div>
        ) : (
          <ul className="inv-components">
            {answer.components.map((c) => (
              <li key={c.service} data-testid={`component-${slug(c.service)}`}>
                <strong>{c.service}</strong>{' '}
                <span className="muted">
                  first shift {formatTimestamp(c.first_shift)} · {c.signals.join(', ')} · from {c.sources.join(', ')}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

function Results({ answer }: { answer: InvestigationAnswer }) {
  const counts = sourceCounts(answer);
  return (
    <div className="inv-results" data-testid="inv-results" data-id={answer.id}>
      {answer.question && (
        <p className="inv-asked" data-testid="inv-asked">
          <span className="muted">Question:</span> {answer.question}
        </p>
      )}
      <p className="inv-summary muted" data-testid="inv-summary">
        {formatTimestamp(answer.window.start)} – {formatTimestamp(answer.window.end)}, against the baseline from{' '}
        {formatTimestamp(answer.window.baseline_start)} · step {answer.window.step_seconds} s · {counts.ok} source
        {counts.ok === 1 ? '' : 's'} answered, {counts.failed} failed, {counts.skipped} skipped · took{' '}
        {formatDuration(answer.elapsed_ms)}
      </p>
      <Synthesis answer={answer} />
      <div className="inv-top">
        <Timeline answer={answer} />
        <div className="inv-side">
          <Components answer={answer} />
          <SourcesOutcome answer={answer} />
        </div>
      </div>
      <h2 className="inv-section-title">Evidence per source</h2>
      {answer.evidence.length === 0 ? (
        <div className="panel state state-empty" data-state="empty" data-testid="inv-no-evidence">
          No source of the project is tagged for these services and this environment; the skipped sources above say why
          each was left out.
        </div>
      ) : (
        <div className="inv-evidence-list">
          {answer.evidence.map((e) => (
            <EvidenceCard key={e.source} evidence={e} answer={answer} />
          ))}
        </div>
      )}
    </div>
  );
}

export function InvestigatePage() {
  const [search, setSearch] = useSearchParams();
  const parsed = useMemo(() => parseInvestigateUrl(search), [search]);
  const { current, loading: projectsLoading } = useProjects();
  const project = current?.id;

  const services = useAsync<InvestigateServicesAnswer>(project ? `inv-services:${project}` : null, (signal) =>
    fetchInvestigateServices(project ?? '', signal),
  );

  // Runs only once the URL holds a run time (the Run button or a shared link), on a known project.
  const built = parsed.at && project ? buildInvestigationBody(parsed.form, project, parsed.at) : null;
  const body = built && 'body' in built ? built.body : null;
  const investigation = useAsync<InvestigationAnswer>(body ? `inv:${JSON.stringify(body)}` : null, (signal) =>
    runInvestigation(body!, signal),
  );

  const run = (form: InvestigateForm): string | null => {
    const at = isoSeconds(Date.now());
    const checked = buildInvestigationBody(form, project, at);
    if ('problem' in checked) return checked.problem;
    // A new history entry per run, so Back returns to the previous investigation.
    setSearch((prev) => writeInvestigateUrl(form, at, prev));
    if (body && JSON.stringify(checked.body) === JSON.stringify(body)) investigation.reload();
    return null;
  };

  return (
    <div className="page inv-page">
      <div className="inv-title">
        <h1>Investigate</h1>
        <span className="muted">
          Evidence from every source tagged for the services you pick, compared with the window before.
        </span>
      </div>
      {parsed.problems.length > 0 && (
        <div className="banner banner-warning" role="alert">
          {parsed.problems.join('; ')}
        </div>
      )}
      {!project ? (
        projectsLoading ? (
          <Loading />
        ) : null
      ) : (
        <InvestigateFormView
          initial={parsed.form}
          project={project}
          services={services}
          running={investigation.loading}
          onRun={run}
        />
      )}
      {built && 'problem' in built && (
        <div className="banner banner-warning" role="alert">
          This link's investigation cannot run: {built.problem}.
        </div>
      )}
      <section aria-label="Investigation results" aria-busy={investigation.loading} className="inv-results-wrap">
        {!body ? (
          <p className="muted inv-idle" data-testid="inv-idle">
            Pick services and a window, then Run. Nothing runs until you do.
          </p>
        ) : investigation.error ? (
          <ErrorState error={investigation.error} onRetry={investigation.reload} />
        ) : investigation.data === undefined ? (
          <Loading label="Investigating: asking every tagged source…" />
        ) : (
          <Results answer={investigation.data} />
        )}
      </section>
    </div>
  );
}
