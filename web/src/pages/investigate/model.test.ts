import { describe, expect, it } from 'vitest';
import type { InvestigationAnswer, TimelineEntry } from '../../api/investigate';
import { formatNumber } from '../../format';
import {
  buildInvestigationBody,
  EMPTY_FORM,
  groupTimeline,
  isoSeconds,
  kindLabel,
  noSourcesTagged,
  parseInvestigateUrl,
  parseUtc,
  queryCopyText,
  queryView,
  serviceChoices,
  slug,
  sourceCounts,
  statusTone,
  synthesisView,
  toLocalInput,
  valueVsBaseline,
  windowRange,
  writeInvestigateUrl,
  type InvestigateForm,
} from './model';

const AT = '2026-12-03T11:00:00Z';

function answer(over: Partial<InvestigationAnswer> = {}): InvestigationAnswer {
  return {
    id: 'inv_1',
    project: 'shop',
    context: { services: ['checkout'], time_range: { start: '2026-12-03T10:00:00Z', end: AT } },
    window: { baseline_start: '2026-12-03T09:00:00Z', start: '2026-12-03T10:00:00Z', end: AT, step_seconds: 60 },
    timeline: [],
    evidence: [],
    components: [],
    failed_sources: [],
    skipped_sources: [],
    elapsed_ms: 12,
    ...over,
  };
}

function entry(over: Partial<TimelineEntry>): TimelineEntry {
  return {
    time: '2026-12-03T10:31:00Z',
    kind: 'shift',
    service: 'checkout',
    source: 'prom',
    signal: 'error_rate',
    description: 'd',
    ...over,
  };
}

describe('formatNumber', () => {
  it('keeps three significant digits under 1, two decimals under 100, one above, with grouping', () => {
    expect(formatNumber(0.0123456)).toBe('0.0123');
    expect(formatNumber(0.31)).toBe('0.31');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(2.345)).toBe('2.35');
    expect(formatNumber(31)).toBe('31');
    expect(formatNumber(1234.56)).toBe('1,234.6');
    expect(formatNumber(-0.5)).toBe('-0.5');
    expect(formatNumber(null)).toBe('–');
    expect(formatNumber(Number.NaN)).toBe('–');
  });
});

describe('URL state', () => {
  it('parses services, environment, window, custom bounds, question and run time', () => {
    const p = parseInvestigateUrl(
      new URLSearchParams(
        'services=checkout,payments,checkout&env=prod&window=custom&from=2026-12-03T10:00&to=2026-12-03T11:00&q=why&at=2026-12-03T11:00:00Z',
      ),
    );
    expect(p.problems).toEqual([]);
    expect(p.form).toEqual({
      services: ['checkout', 'payments'],
      environment: 'prod',
      window: 'custom',
      from: '2026-12-03T10:00',
      to: '2026-12-03T11:00',
      question: 'why',
    });
    expect(p.at).toBe('2026-12-03T11:00:00Z');
  });

  it('defaults to the last hour with nothing run, and reports bad values instead of throwing', () => {
    expect(parseInvestigateUrl(new URLSearchParams(''))).toEqual({ form: EMPTY_FORM, at: null, problems: [] });
    const p = parseInvestigateUrl(new URLSearchParams('services=ok,bad%20name&env=a/b&window=2d&at=yesterday'));
    expect(p.form.services).toEqual(['ok']);
    expect(p.form.environment).toBe('');
    expect(p.form.window).toBe('1h');
    expect(p.at).toBeNull();
    expect(p.problems).toHaveLength(4);
    expect(p.problems[0]).toContain("'bad name'");
    expect(p.problems[2]).toContain("window '2d'");
  });

  it('writes only what differs from the defaults and keeps the shell parameters', () => {
    const form: InvestigateForm = { ...EMPTY_FORM, services: ['checkout', 'payments'], question: '  why?  ' };
    const out = writeInvestigateUrl(form, AT, new URLSearchParams('project=shop&range=7d&from=x'));
    expect(out.toString()).toBe(
      'project=shop&range=7d&services=checkout%2Cpayments&q=why%3F&at=2026-12-03T11%3A00%3A00Z',
    );
    const custom = writeInvestigateUrl({ ...form, window: 'custom', from: 'a', to: 'b' }, null);
    expect(custom.get('window')).toBe('custom');
    expect(custom.get('from')).toBe('a');
    expect(custom.has('at')).toBe(false);
  });

  it('round-trips through the URL', () => {
    const form: InvestigateForm = {
      services: ['llm-gateway'],
      environment: 'prod',
      window: '6h',
      from: '',
      to: '',
      question: 'q',
    };
    const p = parseInvestigateUrl(writeInvestigateUrl(form, AT));
    expect(p.form).toEqual(form);
    expect(p.at).toBe(AT);
  });
});

describe('time window → request', () => {
  it('reads datetime-local values as UTC and RFC 3339 with their zone', () => {
    expect(parseUtc('2026-12-03T10:00')).toBe(Date.parse('2026-12-03T10:00:00Z'));
    expect(parseUtc('2026-12-03T10:00:30')).toBe(Date.parse('2026-12-03T10:00:30Z'));
    expect(parseUtc('2026-12-03T12:00:00+02:00')).toBe(Date.parse('2026-12-03T10:00:00Z'));
    expect(parseUtc('2026-12-03')).toBeNull();
    expect(parseUtc('2026-13-03T10:00')).toBeNull();
    expect(parseUtc('now-1h')).toBeNull();
  });

  it('formats whole-second UTC timestamps and datetime-local values', () => {
    expect(isoSeconds(Date.parse('2026-12-03T10:00:05.987Z'))).toBe('2026-12-03T10:00:05Z');
    expect(toLocalInput(Date.parse('2026-12-03T10:07:05Z'))).toBe('2026-12-03T10:07');
  });

  it('counts each preset back from the run time', () => {
    const cases: [InvestigateForm['window'], string][] = [
      ['15m', '2026-12-03T10:45:00Z'],
      ['1h', '2026-12-03T10:00:00Z'],
      ['6h', '2026-12-03T05:00:00Z'],
      ['24h', '2026-12-02T11:00:00Z'],
    ];
    for (const [window, start] of cases) {
      expect(windowRange({ ...EMPTY_FORM, window }, AT)).toEqual({ start, end: AT });
    }
  });

  it('checks the custom window', () => {
    const c = (from: string, to: string) => windowRange({ ...EMPTY_FORM, window: 'custom', from, to }, AT);
    expect(c('2026-12-03T10:00', '2026-12-03T10:30')).toEqual({
      start: '2026-12-03T10:00:00Z',
      end: '2026-12-03T10:30:00Z',
    });
    expect(c('', '2026-12-03T10:30')).toEqual({ problem: 'pick the start of the custom window' });
    expect(c('2026-12-03T10:00', '')).toEqual({ problem: 'pick the end of the custom window' });
    expect(c('2026-12-03T10:30', '2026-12-03T10:30')).toEqual({
      problem: 'the end of the window must be after its start',
    });
    expect(c('2026-11-01T00:00', '2026-12-03T00:00')).toEqual({ problem: 'the window is longer than 31 days' });
    expect(c('later', '2026-12-03T10:30')).toEqual({ problem: "start 'later' is not a date and time" });
  });

  it('builds the body with only the fields that are set', () => {
    expect(buildInvestigationBody(EMPTY_FORM, 'shop', AT)).toEqual({
      body: { project: 'shop', context: { time_range: { start: '2026-12-03T10:00:00Z', end: AT } } },
    });
    const full = buildInvestigationBody(
      { ...EMPTY_FORM, services: ['checkout'], environment: 'prod', question: ' why? ', window: '15m' },
      undefined,
      AT,
    );
    expect(full).toEqual({
      body: {
        question: 'why?',
        context: {
          environment: 'prod',
          services: ['checkout'],
          time_range: { start: '2026-12-03T10:45:00Z', end: AT },
        },
      },
    });
    expect(buildInvestigationBody({ ...EMPTY_FORM, question: 'é'.repeat(2049) }, 'shop', AT)).toEqual({
      problem: 'the question is longer than 4096 bytes',
    });
    expect(buildInvestigationBody({ ...EMPTY_FORM, window: 'custom' }, 'shop', AT)).toEqual({
      problem: 'pick the start of the custom window',
    });
  });
});

describe('services answer', () => {
  const services = {
    project: 'shop',
    services: ['checkout', 'payments'],
    environments: ['prod'],
    sources: [{ id: 'prom', kind: 'metrics', services: ['checkout'], environments: [] }],
    synthesis: false,
  };
  it('offers the tagged services, then chosen ones no source is tagged for', () => {
    expect(serviceChoices(services, ['billing', 'checkout'])).toEqual(['checkout', 'payments', 'billing']);
    expect(serviceChoices(undefined, ['x'])).toEqual(['x']);
  });
  it('knows when no source takes part', () => {
    expect(noSourcesTagged(services)).toBe(false);
    expect(noSourcesTagged({ ...services, services: [], sources: [] })).toBe(true);
  });
});

describe('answer → view', () => {
  it('says value against baseline, threshold and ratio when present', () => {
    expect(valueVsBaseline({ value: 0.31, baseline: 0.01, threshold: 0.02, ratio: 31 })).toBe(
      '0.31 vs baseline 0.01 (threshold 0.02, 31×)',
    );
    expect(valueVsBaseline({ value: 4, baseline: 0, threshold: 0 })).toBe('4 vs baseline 0 (threshold 0)');
    expect(valueVsBaseline({ value: 1250.5 })).toBe('1,250.5');
    expect(valueVsBaseline({})).toBeNull();
  });

  it('labels the kinds', () => {
    expect(kindLabel('shift')).toBe('Shift');
    expect(kindLabel('recovery')).toBe('Recovery');
    expect(kindLabel('deploy_or_change')).toBe('Deploy or change');
    expect(kindLabel('other')).toBe('other');
  });

  it('groups timeline entries of the same time in the API order', () => {
    const t = [
      entry({ time: '2026-12-03T10:30:00Z', kind: 'deploy_or_change', source: 'deploys', signal: 'change' }),
      entry({ time: '2026-12-03T10:31:00Z', value: 0.31, baseline: 0.01, threshold: 0.02, ratio: 31 }),
      entry({ time: '2026-12-03T10:31:00Z', source: 'app_logs', signal: 'errors', value: 40 }),
      entry({ time: '2026-12-03T10:52:00Z', kind: 'recovery', value: 0.012 }),
    ];
    const groups = groupTimeline(t);
    expect(groups.map((g) => [g.time, g.label, g.items.length])).toEqual([
      ['2026-12-03T10:30:00Z', '2026-12-03 10:30:00 UTC', 1],
      ['2026-12-03T10:31:00Z', '2026-12-03 10:31:00 UTC', 2],
      ['2026-12-03T10:52:00Z', '2026-12-03 10:52:00 UTC', 1],
    ]);
    expect(groups[0].items[0].value).toBeNull();
    expect(groups[0].items[0].kindLabel).toBe('Deploy or change');
    expect(groups[1].items.map((i) => i.entry.source)).toEqual(['prom', 'app_logs']);
    expect(groups[1].items[0].value).toBe('0.31 vs baseline 0.01 (threshold 0.02, 31×)');
    expect(new Set(groups.flatMap((g) => g.items.map((i) => i.key))).size).toBe(4);
    expect(groupTimeline([])).toEqual([]);
  });

  it('shows a query exactly, with its parameters as JSON and its options sorted', () => {
    const q = {
      purpose: 'error counts',
      query: 'SELECT count(*)\nFROM app_logs WHERE ts >= $1 AND ts < $2',
      params: ['2026-12-03T09:00:00Z', 3, null],
      options: { step: '60s', end: 'e', start: 's' },
    };
    expect(queryView(q)).toEqual({
      purpose: 'error counts',
      text: q.query,
      params: ['$1 = "2026-12-03T09:00:00Z"', '$2 = 3', '$3 = null'],
      options: [
        ['end', 'e'],
        ['start', 's'],
        ['step', '60s'],
      ],
    });
    expect(queryCopyText(q)).toBe(
      [
        q.query,
        '',
        '-- params',
        '-- $1 = "2026-12-03T09:00:00Z"',
        '-- $2 = 3',
        '-- $3 = null',
        '',
        '-- options',
        '-- end = e',
        '-- start = s',
        '-- step = 60s',
      ].join('\n'),
    );
    expect(queryView({ purpose: 'p', query: 'up' })).toEqual({ purpose: 'p', text: 'up', params: [], options: [] });
    expect(queryCopyText({ purpose: 'p', query: 'up' })).toBe('up');
  });

  it('tones statuses and counts sources', () => {
    expect([statusTone('ok'), statusTone('error'), statusTone('timeout')]).toEqual(['ok', 'error', 'warn']);
    const base = { type: 'duckdb', kind: 'logs', elapsed_ms: 1, queries: [] };
    const a = answer({
      evidence: [
        { ...base, source: 'a', status: 'ok' },
        { ...base, source: 'b', status: 'error' },
        { ...base, source: 'c', status: 'timeout' },
      ],
      skipped_sources: [{ source: 'd', reason: 'r' }],
    });
    expect(sourceCounts(a)).toEqual({ ok: 1, failed: 2, skipped: 1 });
  });

  it('gives no synthesis without one, and only the fields the answer holds', () => {
    expect(synthesisView(answer())).toBeNull();
    expect(
      synthesisView(answer({ synthesis: { model: 'm', error: { code: 'UNAVAILABLE', message: 'down' } } })),
    ).toEqual({
      model: 'm',
      error: { code: 'UNAVAILABLE', message: 'down' },
    });
    expect(
      synthesisView(
        answer({
          synthesis: { model: 'm', elapsed_ms: 800 },
          root_cause: 'deploy v2',
          affected_components: [],
          recommended_actions: ['roll back'],
        }),
      ),
    ).toEqual({ model: 'm', elapsedMs: 800, rootCause: 'deploy v2', recommendedActions: ['roll back'] });
  });

  it('makes test handles from names', () => {
    expect(slug('app_logs')).toBe('app_logs');
    expect(slug('llm-gateway')).toBe('llm-gateway');
    expect(slug('a b/c')).toBe('a_b_c');
  });
});
