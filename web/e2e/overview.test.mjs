// The overview page in a real browser against the real binary: the KPI cards equal the API's
// numbers for the same parameters (and their change the change of the API's two periods), the
// range picker refetches, the URL holds the view, and with one of two sources of a split
// dataset stopped the page shows the partial badge and the other source's numbers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  api,
  dataDir,
  importWebModule,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  startDemoAndBrowser,
  startServer,
  waitForSettled,
} from './harness.mjs';

const KPI_FIELDS = ['total_users', 'total_events', 'page_views', 'active_clients'];
const PANELS = ['daily', 'features', 'clients', 'funnel', 'kpis', 'session-trends'];
const DAY_MS = 86_400_000;
const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);
const dateMs = (d) => Date.parse(`${d}T00:00:00Z`);

/** The summary params of the period before [start, end] (same length), as the API takes them. */
function previousParams(start, end) {
  const days = Math.round((dateMs(end) - dateMs(start)) / DAY_MS) + 1;
  return `days=${days}&asOf=${isoDate(dateMs(start) - DAY_MS)}T23:59:59Z`;
}

async function summary(server, query) {
  const r = await api(server, `/api/v1/projects/demo/metrics/web/summary?${query}`);
  assert.equal(r.status, 200, `summary?${query}: ${r.text}`);
  return r.json;
}

/** Waits until the card of `field` shows `value` (the page refetched), then reads every card. */
async function readCards(page, expectField, expectValue) {
  await page.waitForFunction(
    ([f, v]) => document.querySelector(`[data-testid="kpi-${f}"]`)?.getAttribute('data-value') === String(v),
    [expectField, expectValue],
    { timeout: 30_000 },
  );
  await waitForSettled(page);
  const cards = {};
  for (const f of KPI_FIELDS) {
    const card = page.getByTestId(`kpi-${f}`);
    cards[f] = {
      raw: await card.getAttribute('data-value'),
      value: (await page.getByTestId(`kpi-${f}-value`).textContent()).trim(),
      change: (await page.getByTestId(`kpi-${f}-change`).textContent()).trim(),
      badge: (await card.getByTestId('source-badge').textContent()).trim(),
    };
  }
  return cards;
}

function assertCards(fmt, cards, current, previous, label) {
  for (const f of KPI_FIELDS) {
    const c = current.data[f];
    const p = previous.data[f];
    assert.equal(cards[f].raw, String(c), `${label}: kpi-${f} data-value`);
    assert.equal(cards[f].value, fmt.formatInt(c), `${label}: kpi-${f} text`);
    const change = fmt.computeChange(c, p).text;
    assert.ok(
      cards[f].change.startsWith(`${change} `),
      `${label}: kpi-${f} change '${cards[f].change}' should be ${change} (${c} vs ${p})`,
    );
    assert.match(cards[f].badge, /^demo · /, `${label}: kpi-${f} badge names the source`);
  }
}

describe('overview on the demo data', () => {
  let server;
  let browser;
  let fmt;

  let stop;
  before(async () => {
    fmt = await importWebModule('src/format.ts');
    ({ server, browser, stop } = await startDemoAndBrowser());
  });
  after(() => stop?.());

  test('KPI cards equal the API for 30 days, with the change against the previous 30 days; every panel renders', async () => {
    const { page, errors, context } = await openPage(browser);
    await page.goto(`${server.url}/overview`);
    const today = isoDate(Date.now());
    const current = await summary(server, 'days=30');
    const previous = await summary(server, previousParams(isoDate(dateMs(today) - 29 * DAY_MS), today));
    const cards = await readCards(page, 'total_users', current.data.total_users);
    assertCards(fmt, cards, current, previous, '30 days');

    for (const id of PANELS) {
      const panel = page.getByTestId(`panel-${id}`);
      assert.equal(await panel.locator('[data-state="error"]').count(), 0, `panel ${id} shows no error`);
      assert.match((await panel.getByTestId('source-badge').textContent()).trim(), /^demo · /, `panel ${id} badge`);
    }
    // The clients table is the API's list, in its order (events, descending).
    const clients = (await api(server, '/api/v1/projects/demo/metrics/web/clients?days=30')).json.data;
    const firstCells = await page.getByTestId('clients-table').locator('tbody tr td:first-child').allTextContents();
    assert.deepEqual(
      firstCells,
      clients.map((c) => c.client),
    );
    // The funnel's users per step.
    const funnel = (await api(server, '/api/v1/projects/demo/metrics/web/funnel?days=30')).json.data;
    const funnelUsers = await page.getByTestId('funnel-table').locator('tbody tr td:nth-child(2)').allTextContents();
    assert.deepEqual(
      funnelUsers,
      funnel.map((s) => fmt.formatInt(s.users)),
    );
    assert.ok((await page.getByTestId('daily-chart').locator('svg').count()) > 0, 'the daily chart is drawn');
    assert.ok((await page.getByTestId('features-chart').locator('svg').count()) > 0, 'the features chart is drawn');

    await screenshot(page, 'overview-light');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('"7 days" refetches: the cards change and equal the API for days=7', async () => {
    const { page, errors, context } = await openPage(browser);
    await page.goto(`${server.url}/overview`);
    const d30 = await summary(server, 'days=30');
    await readCards(page, 'total_events', d30.data.total_events);

    await page.getByTestId('range-7d').click();
    await page.waitForURL(/range=7d/);
    const today = isoDate(Date.now());
    const d7 = await summary(server, 'days=7');
    const prev7 = await summary(server, previousParams(isoDate(dateMs(today) - 6 * DAY_MS), today));
    assert.notEqual(d7.data.total_events, d30.data.total_events, 'the demo data differs between 7 and 30 days');
    const cards = await readCards(page, 'total_events', d7.data.total_events);
    assertCards(fmt, cards, d7, prev7, '7 days');
    assert.equal(await page.getByTestId('range-7d').getAttribute('aria-pressed'), 'true');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a custom range from the date inputs matches the API, and the URL reproduces the view', async () => {
    const { page, errors, context } = await openPage(browser);
    await page.goto(`${server.url}/overview`);
    await waitForSettled(page);
    const now = Date.now();
    const start = isoDate(now - 20 * DAY_MS);
    const end = isoDate(now - 10 * DAY_MS);
    await page.getByTestId('range-custom').click();
    await page.getByTestId('range-start').fill(start);
    await page.getByTestId('range-end').fill(end);
    await page.getByTestId('range-apply').click();
    await page.waitForURL((u) => u.searchParams.get('range') === 'custom' && u.searchParams.get('start') === start);

    const current = await summary(server, `days=11&asOf=${end}T23:59:59Z`);
    const previous = await summary(server, previousParams(start, end));
    const cards = await readCards(page, 'total_events', current.data.total_events);
    assertCards(fmt, cards, current, previous, `custom ${start}..${end}`);

    // A page-specific state (the clients table's sort) is in the URL too.
    await page.getByTestId('clients-table').getByRole('button', { name: 'Users' }).click();
    await page.waitForURL(/clientsSort=-users/);
    const clients = (await api(server, `/api/v1/projects/demo/metrics/web/clients?days=11&asOf=${end}T23:59:59Z`)).json
      .data;
    const byUsers = [...clients].sort((a, b) => b.users - a.users).map((c) => c.users);

    // Reloading the address gives the same view.
    const shared = page.url();
    const second = await openPage(browser);
    await second.page.goto(shared);
    const again = await readCards(second.page, 'total_events', current.data.total_events);
    assertCards(fmt, again, current, previous, 'reloaded URL');
    assert.equal(await second.page.getByTestId('range-custom').getAttribute('aria-pressed'), 'true');
    assert.equal(await second.page.getByTestId('range-start').inputValue(), start);
    assert.equal(await second.page.getByTestId('range-end').inputValue(), end);
    const users = await second.page.getByTestId('clients-table').locator('tbody tr td:nth-child(3)').allTextContents();
    assert.deepEqual(
      users,
      byUsers.map((u) => fmt.formatInt(u)),
      'the reloaded table keeps the sort by users',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(second.errors, []);
    await second.context.close();
    await context.close();
  });

  test('dark theme and phone width render without errors (screenshots)', async () => {
    const d30 = await summary(server, 'days=30');
    const dark = await openPage(browser, { theme: 'dark' });
    await dark.page.goto(`${server.url}/overview`);
    await readCards(dark.page, 'total_users', d30.data.total_users);
    assert.equal(await dark.page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await screenshot(dark.page, 'overview-dark');
    assert.deepEqual(dark.errors, []);
    await dark.context.close();

    const phone = await openPage(browser, { viewport: PHONE });
    await phone.page.goto(`${server.url}/overview`);
    await readCards(phone.page, 'total_users', d30.data.total_users);
    // Nothing wider than the phone's screen (no sideways scrolling of the page).
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await screenshot(phone.page, 'overview-phone');
    assert.deepEqual(phone.errors, []);
    await phone.context.close();
  });
});

// ---- one of two sources stopped ----

const PG_ENV = [
  'TRIB_TEST_PG_HOST',
  'TRIB_TEST_PG_PORT',
  'TRIB_TEST_PG_USER',
  'TRIB_TEST_PG_PASSWORD',
  'TRIB_TEST_PG_DB',
];
const PG_TABLE = 'e2e_overview_web_events';
/** Rows the PostgreSQL half of the dataset holds (all in the last 3 days, client "e2epg"). */
const PG_EVENTS = ['page_view', 'page_view', 'page_view', 'page_view', 'add_to_cart', 'purchase'];

function pgEnv() {
  const missing = PG_ENV.filter((n) => !process.env[n]);
  if (missing.length) {
    throw new Error(
      `the partial-failure test needs the shared PostgreSQL test server: ${missing.join(', ')} not set ` +
        '(make test sets them; by hand: `bash scripts/test-servers.sh start && source build/test-servers/env`, or set them to a PostgreSQL the test may create a table in)',
    );
  }
  const e = Object.fromEntries(PG_ENV.map((n) => [n, process.env[n]]));
  return {
    host: e.TRIB_TEST_PG_HOST,
    port: Number(e.TRIB_TEST_PG_PORT),
    user: e.TRIB_TEST_PG_USER,
    password: e.TRIB_TEST_PG_PASSWORD,
    db: e.TRIB_TEST_PG_DB,
  };
}

function psql(pg, sql) {
  return execFileSync(
    'psql',
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', pg.db, '-c', sql],
    {
      env: { ...process.env, PGPASSWORD: pg.password, PGOPTIONS: '-c client_min_messages=warning' },
      encoding: 'utf8',
    },
  );
}

/** A TCP proxy to PostgreSQL; close() stops it and cuts every open connection (the source "stops"). */
async function startProxy(target) {
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    async close() {
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describe('overview with one of two sources of a split dataset stopped', () => {
  let pg;
  let proxy;
  let server;
  let browser;
  let fmt;
  let tmp;

  before(async () => {
    pg = pgEnv();
    fmt = await importWebModule('src/format.ts');
    // The demo database: created by a demo server on first start, then copied so this server's
    // DuckDB source owns its file (no lock shared with another process).
    const demoDb = path.join(dataDir, 'demo.duckdb');
    if (!existsSync(demoDb)) await (await startServer()).stop();
    tmp = mkdtempSync(path.join(tmpdir(), 'trib-e2e-overview-'));
    copyFileSync(demoDb, path.join(tmp, 'demo.duckdb'));
    if (existsSync(`${demoDb}.wal`)) copyFileSync(`${demoDb}.wal`, path.join(tmp, 'demo.duckdb.wal'));

    const values = PG_EVENTS.map(
      (name, i) =>
        `(now() - interval '${i % 3} days' - interval '1 hour', '${name}', 'e2e-pg-user-${i % 3}', NULL, ${1000 + (i % 3)}, ` +
        `'https://e2epg.8020rei.com/home', ${name === 'purchase' ? '42.5' : 'NULL'}, ${name === 'purchase' ? "'USD'" : 'NULL'})`,
    );
    psql(
      pg,
      `DROP TABLE IF EXISTS public.${PG_TABLE};
       CREATE TABLE public.${PG_TABLE} (event_timestamp timestamptz, event_name text, user_pseudo_id text, user_id text,
         ga_session_id bigint, page_location text, purchase_revenue double precision, currency text);
       INSERT INTO public.${PG_TABLE} VALUES ${values.join(', ')};`,
    );
    proxy = await startProxy(pg);
    const config = `
sources:
  duck:
    type: duckdb
    path: ${JSON.stringify(path.join(tmp, 'demo.duckdb'))}
  pg-e2e:
    type: postgres
    host: 127.0.0.1
    port: ${proxy.port}
    database: ${JSON.stringify(pg.db)}
    user: ${JSON.stringify(pg.user)}
    password: \${TRIB_E2E_OVERVIEW_PG_PASSWORD}
    connect_timeout_ms: 2000
projects:
  split:
    sources: [duck, pg-e2e]
    datasets:
      web_events:
        - {source: duck, table: web_events}
        - {source: pg-e2e, table: public.${PG_TABLE}}
default_project: split
cache:
  enabled: false   # every request must reach the sources: no answer from before the stop
`;
    server = await startServer({ config, env: { TRIB_E2E_OVERVIEW_PG_PASSWORD: pg.password } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await proxy?.close();
    if (pg) psql(pg, `DROP TABLE IF EXISTS public.${PG_TABLE};`);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const summaryOf = async (query) => {
    const r = await api(server, `/api/v1/projects/split/metrics/web/summary?${query}`);
    assert.equal(r.status, 200, `summary?${query}: ${r.text}`);
    return r.json;
  };

  test('the partial badge names the stopped PostgreSQL source and the cards show the DuckDB numbers', async () => {
    // Both sources up: the merged answer adds the PostgreSQL rows to DuckDB's.
    const both = await summaryOf('days=30');
    const duckBefore = await summaryOf('days=30&source=duck');
    assert.equal(both.meta.partial, false, JSON.stringify(both.meta));
    assert.equal(both.data.total_events, duckBefore.data.total_events + PG_EVENTS.length);
    assert.equal(both.data.page_views, duckBefore.data.page_views + PG_EVENTS.filter((e) => e === 'page_view').length);

    await proxy.close();

    const today = isoDate(Date.now());
    const duck = await summaryOf('days=30&source=duck');
    const duckPrevious = await summaryOf(`${previousParams(isoDate(dateMs(today) - 29 * DAY_MS), today)}&source=duck`);
    const partial = await summaryOf('days=30');
    assert.equal(
      partial.meta.partial,
      true,
      `the API itself must answer partially now: ${JSON.stringify(partial.meta)}`,
    );

    const { page, errors, context } = await openPage(browser);
    await page.goto(`${server.url}/overview`);
    assert.equal(await page.getByTestId('source-picker').inputValue(), '', 'All sources');
    const cards = await readCards(page, 'total_events', duck.data.total_events);
    for (const f of KPI_FIELDS) {
      assert.equal(cards[f].raw, String(duck.data[f]), `kpi-${f} equals the DuckDB-only answer`);
      assert.equal(cards[f].value, fmt.formatInt(duck.data[f]));
      assert.ok(
        cards[f].change.startsWith(`${fmt.computeChange(duck.data[f], duckPrevious.data[f]).text} `),
        cards[f].change,
      );
      assert.match(cards[f].badge, /^duck · /, `kpi-${f} names the source that answered`);
      const badge = page.getByTestId(`kpi-${f}`).getByTestId('partial-badge');
      assert.match(await badge.textContent(), /partial: pg-e2e /, `kpi-${f} partial badge`);
    }
    // Every other panel still renders, each flagged partial with the failed source.
    for (const id of PANELS) {
      const panel = page.getByTestId(`panel-${id}`);
      assert.equal(await panel.locator('[data-state="error"]').count(), 0, `panel ${id} shows data, not an error`);
      assert.match(await panel.getByTestId('partial-badge').textContent(), /pg-e2e/, `panel ${id} partial badge`);
    }
    await screenshot(page, 'overview-partial');

    // Choosing the DuckDB source alone: a full answer, no partial badge, the same numbers.
    await page.getByTestId('source-picker').selectOption('duck');
    await page.waitForURL(/source=duck/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="partial-badge"]').length === 0, null, {
      timeout: 30_000,
    });
    const only = await readCards(page, 'total_events', duck.data.total_events);
    for (const f of KPI_FIELDS) assert.equal(only[f].raw, String(duck.data[f]));

    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a metric whose only source is stopped shows its error with the failed source', async () => {
    const r = await api(server, '/api/v1/projects/split/metrics/web/summary?days=30&source=pg-e2e');
    assert.equal(r.status, 502, r.text);
    const { page, errors, context } = await openPage(browser);
    await page.goto(`${server.url}/overview?source=pg-e2e`);
    await waitForSettled(page);
    const error = page.getByTestId('panel-summary').locator('[data-state="error"]');
    assert.equal(await error.getAttribute('data-error-code'), r.json.error.code);
    assert.match(await error.textContent(), /source pg-e2e error/);
    // The page still renders every panel (each with its own error), not a blank.
    for (const id of PANELS)
      assert.equal(await page.getByTestId(`panel-${id}`).locator('[data-state="error"]').count(), 1, id);
    // The browser logs each failed (502) request; nothing else may fail.
    assert.deepEqual(
      errors.filter((e) => !/status of 50[24]/.test(e)),
      [],
    );
    await context.close();
  });
});
