// The LLM operations page in a real browser against the real binary on the demo data: every
// number checked here is compared with the API's answer for the same parameters.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PHONE, api, openPage, screenshot, startDemoAndBrowser, waitForSettled } from './harness.mjs';

const METRICS = '/api/v1/projects/demo/metrics/llm';

// The page's formatting (src/format.ts), restated: fixed en-US, so the text is known exactly.
const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fixed = (v, digits) =>
  new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
const formatInt = (v) => intFormat.format(Math.round(v));
const formatPercent2 = (v) => `${fixed(v, 2)}%`;
const formatDuration = (ms) =>
  Math.abs(ms) >= 1000 ? `${fixed(ms / 1000, 2)} s` : `${intFormat.format(Math.round(ms))} ms`;
function changeText(current, previous) {
  if (previous === 0) return current === 0 ? '0.0%' : 'new';
  const rounded = Math.round(((current - previous) / Math.abs(previous)) * 1000) / 10;
  if (rounded === 0) return '0.0%';
  return `${rounded > 0 ? '+' : '\u2212'}${fixed(Math.abs(rounded), 1)}%`;
}

const KPI_FORMATS = {
  totalRequests: formatInt,
  successRate: formatPercent2,
  avgResponseTime: formatDuration,
  totalTokens: formatInt,
  activeUsers: formatInt,
  errorCount: formatInt,
};

const CHARTS = [
  'chart-hourly-traffic',
  'chart-daily-traffic',
  'chart-cost-trend',
  'chart-usage-heatmap',
  'chart-error-analysis',
  'chart-anomaly-types',
];

let server;
let browser;
let stop;
before(async () => ({ server, browser, stop } = await startDemoAndBrowser()));
after(() => stop?.());

async function metric(pathAndQuery) {
  const r = await api(server, `${METRICS}/${pathAndQuery}`);
  assert.equal(r.status, 200, `${pathAndQuery}: ${r.text}`);
  return r.json.data;
}

/** The text of column `col` (1-based) of every body row of the table with `testId`. */
function columnTexts(page, testId, col) {
  return page.$$eval(`[data-testid="${testId}"] tbody tr td:nth-child(${col})`, (tds) =>
    tds.map((td) => td.textContent.trim()),
  );
}

/** Waits until the first body cell of `testId`'s table reads `text` (renders follow the URL). */
async function waitFirstCell(page, testId, text) {
  await page.waitForFunction(
    ([id, t]) => document.querySelector(`[data-testid="${id}"] tbody tr td`)?.textContent.trim() === t,
    [testId, text],
    { timeout: 5_000 },
  );
}

/** Waits until the log viewer shows the answer for exactly these sample_logs params. */
async function waitLog(page, params) {
  const query = new URLSearchParams(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1))).toString();
  await page.waitForSelector(`[data-testid="log-range"][data-query="?${query}"]`);
  await waitForSettled(page);
}

function requestIds(page) {
  return page.$$eval('[data-testid="log-table"] [data-testid="log-request-id"]', (els) =>
    els.map((e) => e.textContent),
  );
}

async function openLlm(query = 'range=7d', options = {}) {
  const opened = await openPage(browser, options);
  await opened.page.goto(`${server.url}/llm?${query}`);
  await opened.page.waitForSelector('[data-testid="panel-sample-logs"]');
  await waitForSettled(opened.page);
  return opened;
}

test('every panel renders, with no error state and no console error; KPI cards equal the API', async () => {
  const { page, errors, context } = await openLlm();
  for (const id of [
    'realtime-kpi',
    'hourly-traffic',
    'anomaly-stats',
    'daily-traffic',
    'cost-trend',
    'tenant-usage',
    'usage-heatmap',
    'error-analysis',
    'token-efficiency',
    'query-patterns',
    'sample-logs',
  ]) {
    const panel = page.getByTestId(`panel-${id}`);
    assert.equal(await panel.locator('[data-state="error"]').count(), 0, `panel ${id} shows an error`);
    assert.equal(await panel.locator('[data-state="empty"]').count(), 0, `panel ${id} is empty`);
    assert.ok(
      (await panel.getByTestId('source-badge').first().textContent()).includes('demo'),
      `panel ${id} names its source`,
    );
  }

  // The realtime cards: the same metric as of the answer's own asOf gives the same numbers.
  const asOf = await page.getByTestId('realtime-kpis').getAttribute('data-as-of');
  assert.match(asOf, /^\d{4}-\d{2}-\d{2}T/);
  const current = await metric(`realtime_kpi?asOf=${encodeURIComponent(asOf)}`);
  const previousAsOf = new Date(Date.parse(asOf) - 24 * 3_600_000).toISOString();
  const previous = await metric(`realtime_kpi?asOf=${encodeURIComponent(previousAsOf)}`);
  assert.ok(current.totalRequests > 0, 'the demo has requests in the last 24 hours');
  for (const [field, format] of Object.entries(KPI_FORMATS)) {
    assert.equal(await page.getByTestId(`kpi-${field}-value`).textContent(), format(current[field]), field);
    assert.equal(Number(await page.getByTestId(`kpi-${field}`).getAttribute('data-value')), current[field], field);
  }
  await page.getByTestId('kpi-totalRequests-change').waitFor();
  assert.ok(
    (await page.getByTestId('kpi-totalRequests-change').textContent()).startsWith(
      changeText(current.totalRequests, previous.totalRequests),
    ),
  );

  // The anomaly cards (an "hours" metric: 7 days = 168 hours).
  const anomalies = await metric('anomaly_stats?hours=168');
  assert.equal(await page.getByTestId('kpi-totalAnomalies-value').textContent(), formatInt(anomalies.totalAnomalies));

  // Every chart drew an SVG; the heatmap's total is the API's.
  for (const id of CHARTS) {
    await page.locator(`[data-testid="${id}"] svg`).first().waitFor({ timeout: 10_000 });
  }
  const heatmap = await metric('usage_heatmap?days=7');
  assert.equal(heatmap.length > 0, true);
  assert.equal(
    Number(await page.getByTestId('heatmap-total').getAttribute('data-value')),
    heatmap.reduce((s, c) => s + c.requests, 0),
  );
  // Day 0 is Sunday: the busiest cell's label names the day the API's rows say.
  const peak = heatmap.reduce((best, c) => (c.requests > best.requests ? c : best));
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  assert.ok((await page.getByTestId('heatmap-peak').textContent()).includes(days[peak.dayOfWeek]));

  // Error analysis and query patterns tables list the API's rows in order.
  const errorsApi = await metric('error_analysis?days=7');
  assert.deepEqual(
    await columnTexts(page, 'error-table', 1),
    errorsApi.map((e) => e.errorType),
  );
  assert.deepEqual(
    await columnTexts(page, 'error-table', 2),
    errorsApi.map((e) => formatInt(e.count)),
  );
  const patterns = await metric('query_patterns?days=7');
  assert.deepEqual(
    await columnTexts(page, 'patterns-table', 1),
    patterns.map((p) => p.pattern),
  );

  assert.deepEqual(errors, []);
  await context.close();
});

test('changing the range from 7 to 90 days refetches; tenant usage and daily traffic equal the API', async () => {
  const { page, errors, context } = await openLlm('range=7d');
  const read = async () => ({
    tenants: await columnTexts(page, 'tenant-table', 1),
    requests: await columnTexts(page, 'tenant-table', 2),
    dailyDates: await columnTexts(page, 'daily-table', 1),
    dailyRequests: await columnTexts(page, 'daily-table', 2),
    dailyTotal: Number(await page.getByTestId('daily-total-requests').getAttribute('data-value')),
  });
  const expected = async (days) => {
    const tenants = await metric(`tenant_usage?days=${days}`);
    const daily = await metric(`daily_traffic?days=${days}`);
    return {
      tenants: tenants.map((t) => t.tenantId),
      requests: tenants.map((t) => formatInt(t.requests)),
      dailyDates: daily.map((d) => d.date),
      dailyRequests: daily.map((d) => formatInt(d.requests)),
      dailyTotal: daily.reduce((s, d) => s + d.requests, 0),
    };
  };
  const week = await read();
  assert.deepEqual(week, await expected(7));
  assert.equal(week.dailyDates.length, 7);

  await page.getByTestId('range-90d').click();
  await page.waitForURL(/range=90d/);
  await page.waitForFunction(
    (before) =>
      Number(document.querySelector('[data-testid="daily-total-requests"]')?.getAttribute('data-value')) > before,
    week.dailyTotal,
  );
  await waitForSettled(page);
  const quarter = await read();
  assert.deepEqual(quarter, await expected(90));
  assert.notDeepEqual(quarter.requests, week.requests);
  assert.ok(quarter.dailyTotal > week.dailyTotal);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the tenant table sorts by every column, the sort is in the URL, and requests puts the API max first', async () => {
  const { page, errors, context } = await openLlm('range=7d');
  const tenants = await metric('tenant_usage?days=7');
  const table = page.getByTestId('tenant-table');

  await table.getByRole('button', { name: 'Tenant' }).click();
  await page.waitForURL(/tenantSort=-tenantId/);
  const names = tenants.map((t) => t.tenantId).sort();
  await waitFirstCell(page, 'tenant-table', names[names.length - 1]);
  assert.equal(await page.locator('[data-testid="tenant-table"] th[aria-sort="descending"]').textContent(), 'Tenant ▼');

  await table.getByRole('button', { name: 'Requests' }).click();
  await page.waitForURL(/tenantSort=-requests/);
  const max = tenants.reduce((a, b) => (b.requests > a.requests ? b : a));
  await waitFirstCell(page, 'tenant-table', max.tenantId);
  assert.equal((await columnTexts(page, 'tenant-table', 2))[0], formatInt(max.requests));

  // Ascending on a second click; a reload keeps the sort (it is in the URL).
  await table.getByRole('button', { name: 'Error rate' }).click();
  await page.waitForURL(/tenantSort=-errorRate/);
  await table.getByRole('button', { name: 'Error rate' }).click();
  await page.waitForURL(/tenantSort=errorRate/);
  await page.reload();
  await page.getByTestId('tenant-table').waitFor();
  const min = tenants.reduce((a, b) => (b.errorRate < a.errorRate ? b : a));
  await waitFirstCell(page, 'tenant-table', min.tenantId);
  assert.equal(
    await page.locator('[data-testid="tenant-table"] th[aria-sort="ascending"]').textContent(),
    'Error rate ▲',
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('the log viewer pages through sample_logs: rows equal the API, Next moves by the page size', async () => {
  const { page, errors, context } = await openLlm('range=7d');
  const N = 25;
  const firstPage = await metric(`sample_logs?limit=${N}&offset=0`);
  assert.deepEqual(
    await requestIds(page),
    firstPage.map((r) => r.requestId),
  );
  assert.equal(await page.getByTestId('log-prev').isDisabled(), true);

  await page.getByTestId('log-next').click();
  await page.waitForURL(/logOffset=25/);
  await waitLog(page, { limit: N, offset: N });
  const secondPage = await metric(`sample_logs?limit=${N}&offset=${N}`);
  assert.deepEqual(
    await requestIds(page),
    secondPage.map((r) => r.requestId),
  );
  assert.equal(await page.getByTestId('log-range').textContent(), 'rows 26–50');

  await page.getByTestId('log-prev').click();
  await page.waitForURL((u) => !u.searchParams.has('logOffset'));
  await waitLog(page, { limit: N, offset: 0 });
  assert.deepEqual(
    await requestIds(page),
    firstPage.map((r) => r.requestId),
  );

  await page.getByTestId('log-page-size').selectOption('50');
  await page.waitForURL(/logLimit=50/);
  await waitLog(page, { limit: 50, offset: 0 });
  const fifty = await metric('sample_logs?limit=50&offset=0');
  assert.deepEqual(
    await requestIds(page),
    fifty.map((r) => r.requestId),
  );

  // The last page is short: Next is disabled there (the demo has 1,000,000 requests).
  await page.goto(`${server.url}/llm?range=7d&logOffset=999990`);
  await waitLog(page, { limit: N, offset: 999990 });
  const tail = await metric('sample_logs?limit=25&offset=999990');
  assert.ok(tail.length > 0 && tail.length < N, `the demo's last page has ${tail.length} rows`);
  assert.deepEqual(
    await requestIds(page),
    tail.map((r) => r.requestId),
  );
  assert.equal(await page.getByTestId('log-next').isDisabled(), true);
  assert.equal(await page.getByTestId('log-prev').isDisabled(), false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the log viewer filters: status, tenant and search go in the URL and the rows equal the API', async () => {
  const { page, errors, context } = await openLlm('range=7d');
  const N = 25;

  await page.getByTestId('log-filter-status').selectOption('error');
  await page.waitForURL(/logStatus=error/);
  await waitLog(page, { limit: N, offset: 0, status: 'error' });
  const errorRows = await metric(`sample_logs?status=error&limit=${N}&offset=0`);
  assert.equal(errorRows.length, N);
  assert.deepEqual(
    await requestIds(page),
    errorRows.map((r) => r.requestId),
  );
  const statuses = await page.$$eval('[data-testid="log-table"] [data-testid="log-status"]', (els) =>
    els.map((e) => e.textContent),
  );
  assert.equal(statuses.length, N);
  assert.ok(
    statuses.every((s) => s === 'error'),
    `statuses: ${statuses.join(',')}`,
  );

  // A filter change goes back to the first page; the tenant filter narrows further.
  await page.getByTestId('log-next').click();
  await page.waitForURL(/logOffset=25/);
  await waitLog(page, { limit: N, offset: N, status: 'error' });
  await page.getByTestId('log-filter-tenant').selectOption('globex');
  await page.waitForURL((u) => u.searchParams.get('logTenant') === 'globex' && !u.searchParams.has('logOffset'));
  await waitLog(page, { limit: N, offset: 0, status: 'error', tenant: 'globex' });
  const globexErrors = await metric(`sample_logs?status=error&tenant=globex&limit=${N}&offset=0`);
  assert.deepEqual(
    await requestIds(page),
    globexErrors.map((r) => r.requestId),
  );
  assert.deepEqual([...new Set(await columnTexts(page, 'log-table', 3))], ['globex']);

  // Search (a user id substring, case-insensitive) is applied with the Apply button.
  await page.getByTestId('log-filter-clear').click();
  await page.waitForURL((u) => !u.searchParams.has('logStatus') && !u.searchParams.has('logTenant'));
  await page.getByTestId('log-filter-search').fill('U_HOOLI_007');
  await page.getByTestId('log-filter-apply').click();
  await page.waitForURL(/logSearch=U_HOOLI_007/);
  await waitLog(page, { limit: N, offset: 0, search: 'U_HOOLI_007' });
  const searched = await metric(`sample_logs?search=U_HOOLI_007&limit=${N}&offset=0`);
  assert.ok(searched.length > 0);
  assert.deepEqual(
    await requestIds(page),
    searched.map((r) => r.requestId),
  );
  assert.ok((await columnTexts(page, 'log-table', 4)).every((u) => u === 'u_hooli_007'));

  // A tenant's name in the usage table links to its log.
  await page.getByTestId('tenant-table').getByRole('link', { name: 'initech', exact: true }).click();
  await page.waitForURL((u) => u.searchParams.get('logTenant') === 'initech');
  await waitLog(page, { limit: N, offset: 0, search: 'U_HOOLI_007', tenant: 'initech' });
  assert.equal(await page.getByTestId('log-filter-tenant').inputValue(), 'initech');
  assert.equal(await page.locator('[data-testid="panel-sample-logs"] [data-state="empty"]').count(), 1);
  await page.getByTestId('log-filter-tenant').selectOption('');
  await page.waitForURL((u) => !u.searchParams.has('logTenant'));

  // The anomaly filter.
  await page.getByTestId('log-filter-anomaly').selectOption('true');
  await page.waitForURL(/logAnomaly=true/);
  await waitLog(page, { limit: N, offset: 0, search: 'U_HOOLI_007', anomaly: 'true' });
  const anomalous = await metric(`sample_logs?search=U_HOOLI_007&anomaly=true&limit=${N}&offset=0`);
  assert.deepEqual(
    await requestIds(page),
    anomalous.map((r) => r.requestId),
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('screenshots: light, dark and phone width; the phone view does not scroll sideways', async () => {
  for (const theme of ['light', 'dark']) {
    const { page, errors, context } = await openLlm('range=30d', { theme });
    for (const id of CHARTS) await page.locator(`[data-testid="${id}"] svg`).first().waitFor();
    await screenshot(page, `llm-${theme}`);
    assert.deepEqual(errors, []);
    await context.close();
  }
  const { page, errors, context } = await openLlm('range=30d', { viewport: PHONE });
  for (const id of CHARTS) await page.locator(`[data-testid="${id}"] svg`).first().waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `the page is ${width}px wide on a ${PHONE.width}px phone`);
  await screenshot(page, 'llm-phone');
  assert.deepEqual(errors, []);
  await context.close();
});
