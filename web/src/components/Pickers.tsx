// The range, source and project pickers. They read and write the URL's view state, so every
// page that uses them shares one selection and a link reproduces it.

import { useEffect, useState, type FormEvent } from 'react';
import { useProjects } from '../state/projects';
import { useViewState } from '../state/hooks';
import { customRangeProblem, RANGE_PRESETS, rangeBounds, utcToday } from '../state/view';

export function RangePicker() {
  const [view, setView] = useViewState();
  const today = utcToday();
  const bounds = rangeBounds(view.range, today);
  const [start, setStart] = useState(bounds.start);
  const [end, setEnd] = useState(bounds.end);
  const [problem, setProblem] = useState<string | null>(null);
  const custom = view.range.kind === 'custom';
  const [showCustom, setShowCustom] = useState(custom);
  useEffect(() => {
    setStart(bounds.start);
    setEnd(bounds.end);
    // Only when the URL's range changes, not on every render.
  }, [bounds.start, bounds.end]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const p = customRangeProblem(start, end);
    setProblem(p);
    if (!p) setView({ range: { kind: 'custom', start, end } });
  };

  return (
    <div className="range-picker" role="group" aria-label="Date range">
      {RANGE_PRESETS.map((preset) => {
        const active = view.range.kind === 'preset' && view.range.preset === preset;
        return (
          <button
            key={preset}
            type="button"
            className={`btn btn-toggle ${active ? 'active' : ''}`}
            aria-pressed={active}
            data-testid={`range-${preset}`}
            onClick={() => {
              setShowCustom(false);
              setView({ range: { kind: 'preset', preset } });
            }}
          >
            {preset.replace('d', ' days')}
          </button>
        );
      })}
      <button
        type="button"
        className={`btn btn-toggle ${custom ? 'active' : ''}`}
        aria-pressed={custom}
        aria-expanded={showCustom}
        data-testid="range-custom"
        onClick={() => setShowCustom((v) => !v)}
      >
        Custom
      </button>
      {showCustom && (
        <form className="custom-range" onSubmit={apply}>
          <label>
            From{' '}
            <input
              type="date"
              value={start}
              max={today}
              onChange={(e) => setStart(e.target.value)}
              data-testid="range-start"
            />
          </label>
          <label>
            To{' '}
            <input
              type="date"
              value={end}
              max={today}
              onChange={(e) => setEnd(e.target.value)}
              data-testid="range-end"
            />
          </label>
          <button type="submit" className="btn" data-testid="range-apply">
            Apply
          </button>
          {problem && (
            <span className="field-error" role="alert">
              {problem}
            </span>
          )}
        </form>
      )}
    </div>
  );
}

export function SourcePicker() {
  const [view, setView] = useViewState();
  const { current } = useProjects();
  const sources = current?.sources ?? [];
  return (
    <label className="picker">
      Source
      <select
        value={view.source ?? ''}
        onChange={(e) => setView({ source: e.target.value || undefined })}
        data-testid="source-picker"
      >
        <option value="">All sources</option>
        {sources.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
        {view.source && !sources.includes(view.source) && (
          <option value={view.source}>{view.source} (not in project)</option>
        )}
      </select>
    </label>
  );
}

export function ProjectPicker() {
  const [view, setView] = useViewState();
  const { projects, current } = useProjects();
  if (projects.length === 0) return null;
  return (
    <label className="picker">
      Project
      <select
        value={current?.id ?? view.project ?? ''}
        // A source belongs to a project: switching projects resets the source to "All".
        onChange={(e) => setView({ project: e.target.value, source: undefined })}
        data-testid="project-picker"
      >
        {projects.map((p) => (
          <option key={p.id} value={p.id}>
            {p.id}
          </option>
        ))}
      </select>
    </label>
  );
}
