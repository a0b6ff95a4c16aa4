// The query console in a real browser against the real binary on the demo data: it runs a
// query with Ctrl+Enter and shows the API's rows and types, shows the guard's and the engine's
// errors, the truncated warning, and downloads the result as CSV.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { PHONE, api, openPage, screenshot, startDemoAndBrowser, waitForSettled } from './harness.mjs';

let server;
let browser;
let stop;
before(async () => ({ server, browser, stop } = await startDemoAndBrowser()));
after(() => stop?.());

const GROUP_SQL = 'SELECT event_name, count(*) AS n FROM web_events GROUP BY 1 ORDER BY 2 DESC';

/** Opens the console (optionally with URL parameters) and waits for the source list. */
async function openConsole(opts = {}, search = '') {
  const opened = await openPage(browser, opts);
  await opened.page.goto(`${server.url}/query${search}`);
  await opened.page.getByTestId('query-source').locator('option[value="demo"]').waitFor({ state: 'attached' });
  await waitForSettled(opened.page);
  return opened;
}

/** Types a query into the editor (replacing what is there) and runs it with Ctrl+Enter. */
async function runWithKeys(page, sql) {
  const editor = page.getByLabel('SQL query');
  await editor.fill(sql);
  await editor.press('Control+Enter');
}

/** The grid's cells as text, row by row, without the row-number column. */
async function gridRows(page) {
  return page
    .getByTestId('query-results')
    .locator('tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => (td.dataset.null ? null : td.textContent))),
    );
}

test('Ctrl+Enter runs the query: the grid shows the API rows, types, row count and elapsed time', async () => {
  const { page, context, errors } = await openConsole();
  await runWithKeys(page, GROUP_SQL);
  await page.getByTestId('query-results').waitFor();

  const expected = await api(server, '/api/v1/query', {
    method: 'POST',
    body: { source: 'demo', project: 'demo', sql: GROUP_SQL },
  });
  assert.equal(expected.status, 200, expected.text);
  assert.ok(expected.json.rows.length >= 3, 'the demo has several event names');
  assert.deepEqual(
    await gridRows(page),
    expected.json.rows.map((r) => r.map((v) => (v === null ? null : String(v)))),
  );

  const rowCount = page.getByTestId('query-rowcount');
  assert.equal(await rowCount.getAttribute('data-value'), String(expected.json.stats.rows));
  assert.match(await rowCount.textContent(), new RegExp(`^${expected.json.stats.rows} rows$`));
  assert.match(await page.getByTestId('query-elapsed').textContent(), /^\d[\d,.]* (ms|s)$/);

  const names = await page.getByTestId('query-column').locator('.col-name').allTextContents();
  assert.deepEqual(
    names,
    expected.json.columns.map((c) => c.name),
  );
  const types = await page.getByTestId('query-column-type').allTextContents();
  assert.deepEqual(types, ['string · VARCHAR', 'int64 · BIGINT']);
  // Numbers are right-aligned, text is not.
  const align = await page
    .getByTestId('query-results')
    .locator('tbody tr')
    .first()
    .locator('td')
    .evaluateAll((tds) => tds.slice(1).map((td) => getComputedStyle(td).textAlign));
  assert.deepEqual(align, ['left', 'right']);
  assert.equal(await page.getByTestId('query-truncated').count(), 0);

  // The query is in the URL, so the link reproduces it; the run is in the history.
  await page.waitForURL((url) => new URL(url).searchParams.get('sql') === GROUP_SQL);
  assert.equal(await page.getByTestId('query-history-item').first().textContent(), GROUP_SQL);

  await screenshot(page, 'query-light');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a shared link opens the console with its query; NULLs are shown as NULL', async () => {
  const sql = "SELECT NULL::INTEGER AS nothing, 'x' AS text, 2.5::DOUBLE AS d";
  const { page, context, errors } = await openConsole({}, `?sql=${encodeURIComponent(sql)}`);
  assert.equal(await page.getByLabel('SQL query').inputValue(), sql);
  await page.getByTestId('query-run').click();
  await page.getByTestId('query-results').waitFor();
  assert.deepEqual(await gridRows(page), [[null, 'x', '2.5']]);
  const nullCell = page.getByTestId('query-results').locator('td[data-null]');
  assert.equal(await nullCell.textContent(), 'NULL');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a DELETE shows the guard PERMISSION_DENIED message with its request id', async () => {
  const { page, context, errors } = await openConsole();
  await runWithKeys(page, 'DELETE FROM web_events');
  const error = page.getByTestId('query-error').locator('[data-state="error"]');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-error-code'), 'PERMISSION_DENIED');
  const text = await error.textContent();
  assert.match(text, /only read-only SELECT statements are allowed; this is a DELETE statement/);
  assert.match(text, /request id [0-9a-f]{8,}/);
  // The browser console shows the failed request (403) as a network error; that is the point.
  assert.deepEqual(
    errors.filter((e) => !/status of 403/.test(e)),
    [],
  );
  await context.close();
});

test('bad SQL shows QUERY_ERROR with the engine message', async () => {
  const { page, context, errors } = await openConsole();
  await runWithKeys(page, 'SELEC event_name FROM web_events');
  const error = page.getByTestId('query-error').locator('[data-state="error"]');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-error-code'), 'QUERY_ERROR');
  assert.match(await error.textContent(), /syntax error at or near "SELEC"/);
  await screenshot(page, 'query-error');
  assert.deepEqual(
    errors.filter((e) => !/status of 400/.test(e)),
    [],
  );
  await context.close();
});

test('more rows than the row limit shows the truncated warning with the limit', async () => {
  const { page, context, errors } = await openConsole();
  await page.getByTestId('query-limit').fill('7');
  await runWithKeys(page, 'SELECT * FROM web_events');
  const warning = page.getByTestId('query-truncated');
  await warning.waitFor();
  assert.match(await warning.textContent(), /row limit of 7 rows/);
  assert.equal(await page.getByTestId('query-rowcount').getAttribute('data-value'), '7');
  assert.equal(await page.getByTestId('query-results').locator('tbody tr').count(), 7);
  // The answer's column types of a wide table come through as well.
  const types = await page.getByTestId('query-column-type').allTextContents();
  assert.ok(types.includes('timestamp · TIMESTAMP'), types.join(', '));
  assert.deepEqual(errors, []);
  await context.close();
});

test('Download CSV saves the shown result with its header', async () => {
  const { page, context, errors } = await openConsole();
  await runWithKeys(page, GROUP_SQL);
  await page.getByTestId('query-results').waitFor();
  const expected = await api(server, '/api/v1/query', { method: 'POST', body: { source: 'demo', sql: GROUP_SQL } });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('query-download').click()]);
  assert.match(download.suggestedFilename(), /^tributary-demo-.*\.csv$/);
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines[0], 'event_name,n');
  assert.deepEqual(
    lines.slice(1),
    expected.json.rows.map((r) => r.join(',')),
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('a click on a table inserts a query on it; the history brings a query back', async () => {
  const { page, context, errors } = await openConsole();
  await page.getByTestId('query-table-web_events').click();
  assert.equal(await page.getByLabel('SQL query').inputValue(), 'SELECT * FROM web_events LIMIT 100');
  await page.getByLabel('SQL query').press('Control+Enter');
  await page.getByTestId('query-results').waitFor();
  assert.equal(await page.getByTestId('query-rowcount').getAttribute('data-value'), '100');
  // The run is in the tab's history; a click puts it back in the editor.
  await page.getByLabel('SQL query').fill('SELECT 1');
  await page.getByTestId('query-history-item').filter({ hasText: 'web_events LIMIT 100' }).click();
  assert.equal(await page.getByLabel('SQL query').inputValue(), 'SELECT * FROM web_events LIMIT 100');
  const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('tributary.queryHistory') ?? '[]'));
  assert.deepEqual(
    stored.map((e) => [e.source, e.sql, e.rows]),
    [['demo', 'SELECT * FROM web_events LIMIT 100', 100]],
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('Cancel stops a running query; Tab in the editor indents', async () => {
  const { page, context, errors } = await openConsole();
  const editor = page.getByLabel('SQL query');
  await editor.fill('SELECT');
  await editor.press('End');
  await editor.press('Tab');
  assert.equal(await editor.inputValue(), 'SELECT  ');
  // Long enough to be running when Cancel is clicked (billions of rows).
  await editor.fill('SELECT sum(i) FROM range(50000000000) t(i)');
  await editor.press('Control+Enter');
  await page.getByTestId('query-cancel').click();
  await page.getByTestId('query-cancelled').waitFor();
  await page.getByTestId('query-run').waitFor();
  assert.equal(await page.getByTestId('query-results').count(), 0);
  // The console is usable again at once.
  await runWithKeys(page, 'SELECT 42 AS answer');
  await page.getByTestId('query-results').waitFor();
  assert.deepEqual(await gridRows(page), [['42']]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('dark theme and phone width screenshots', async () => {
  for (const [name, opts] of [
    ['query-dark', { theme: 'dark' }],
    ['query-phone', { viewport: PHONE }],
  ]) {
    const { page, context, errors } = await openConsole(opts, `?sql=${encodeURIComponent(GROUP_SQL)}`);
    await page.getByTestId('query-run').click();
    await page.getByTestId('query-results').waitFor();
    await screenshot(page, name);
    assert.deepEqual(errors, []);
    await context.close();
  }
});
