// The sources page in a real browser against the demo: the demo source with its status, type
// and capabilities, and the schema browser (tables, then columns with the API's types).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  PHONE,
  api,
  dataDir,
  freePort,
  openPage,
  screenshot,
  startDemoAndBrowser,
  startServer,
  waitForSettled,
} from './harness.mjs';

let server;
let browser;
let stop;
before(async () => ({ server, browser, stop } = await startDemoAndBrowser()));
after(() => stop?.());

test('the demo source is listed as ok, duckdb, with its capabilities', async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(`${server.url}/sources`);
  await waitForSettled(page);
  const listed = (await api(server, '/api/v1/sources')).json.sources;
  const demo = listed.find((s) => s.id === 'demo');
  assert.ok(demo, 'the API lists the demo source');
  assert.equal((await page.getByTestId('source-status-demo').textContent()).trim(), demo.status);
  assert.equal(demo.status, 'ok');
  assert.equal((await page.getByTestId('source-type-demo').textContent()).trim(), 'duckdb');
  const chips = await page.getByTestId('source-capabilities-demo').locator('li').allTextContents();
  assert.ok(chips.includes('Dialect: duckdb'), `chips: ${chips}`);
  assert.ok(chips.includes('Schema introspection'), `chips: ${chips}`);
  // A capability the source lacks is listed as missing ("no ..." for screen readers).
  assert.ok(chips.includes('no Cost estimate'), `chips: ${chips}`);
  assert.notEqual((await page.getByTestId('source-latency-demo').textContent()).trim(), '–');
  assert.equal(await page.getByTestId('source-error-demo').count(), 0);
  assert.equal(await page.locator('[data-testid^="source-card-"]').count(), listed.length);
  await screenshot(page, 'sources-light');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the schema browser lists the tables and shows web_events columns as the API does; the URL reproduces it', async () => {
  const { page, errors, context } = await openPage(browser, { theme: 'dark' });
  await page.goto(`${server.url}/sources`);
  await waitForSettled(page);
  await page.getByTestId('browse-demo').click();
  await page.waitForURL(/\/sources\/demo/);
  await waitForSettled(page);
  const names = await page.getByTestId('table-list').locator('button').allTextContents();
  assert.ok(
    names.some((n) => n.includes('llm_logs')),
    `tables: ${names}`,
  );
  assert.ok(
    names.some((n) => n.includes('web_events')),
    `tables: ${names}`,
  );

  // The filter narrows the list (and is in the URL).
  await page.getByTestId('table-filter').fill('web');
  await page.waitForURL(/filter=web/);
  assert.equal(await page.getByTestId('table-list').locator('button').count(), 1);

  await page.getByTestId('table-web_events').click();
  await page.waitForURL(/table=main\.web_events/);
  await page.getByTestId('columns-table').waitFor();
  await waitForSettled(page);
  const described = (await api(server, '/api/v1/sources/demo/tables/web_events')).json.columns;
  const read = async (p) =>
    p
      .getByTestId('columns-table')
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())));
  const expected = described.map((c) => [c.name, c.type, c.sourceType, c.nullable ? 'yes' : 'no']);
  assert.deepEqual(await read(page), expected);
  await screenshot(page, 'sources-dark');

  // The link reproduces the view: same source, filter, table and columns.
  const second = await openPage(browser, { viewport: PHONE });
  await second.page.goto(page.url());
  await second.page.getByTestId('columns-table').waitFor();
  await waitForSettled(second.page);
  assert.deepEqual(await read(second.page), expected);
  assert.equal(await second.page.getByTestId('table-filter').inputValue(), 'web');
  assert.equal(await second.page.getByTestId('schema-source').inputValue(), 'demo');
  await screenshot(second.page, 'sources-phone');
  assert.deepEqual(second.errors, []);
  await second.context.close();
  assert.deepEqual(errors, []);
  await context.close();
});

test('an unknown source in the address shows the API error, not a blank', async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(`${server.url}/sources/no-such-source`);
  await waitForSettled(page);
  const error = page.getByTestId('panel-tables').locator('[data-state="error"]');
  assert.equal(await error.getAttribute('data-error-code'), 'NOT_FOUND');
  assert.match(await error.textContent(), /unknown source 'no-such-source'; configured sources: demo/);
  // The 404 is expected: the browser logs the failed request; nothing else may fail.
  assert.deepEqual(
    errors.filter((e) => !e.includes('404')),
    [],
  );
  await context.close();
});

test('a dead source shows its status, error and why its schema cannot be listed; the live one still works', async () => {
  // A config with the demo database (a copy) and a PostgreSQL source on a port nobody listens on.
  const demoDb = path.join(dataDir, 'demo.duckdb');
  assert.ok(existsSync(demoDb), 'the demo server of this file created the demo database');
  const tmp = mkdtempSync(path.join(tmpdir(), 'trib-e2e-sources-'));
  copyFileSync(demoDb, path.join(tmp, 'demo.duckdb'));
  if (existsSync(`${demoDb}.wal`)) copyFileSync(`${demoDb}.wal`, path.join(tmp, 'demo.duckdb.wal'));
  const deadPort = await freePort();
  const config = `
sources:
  live:
    type: duckdb
    path: ${JSON.stringify(path.join(tmp, 'demo.duckdb'))}
  dead:
    type: postgres
    host: 127.0.0.1
    port: ${deadPort}
    database: nothing
    user: nobody
    connect_timeout_ms: 1000
projects:
  mixed:
    sources: [live, dead]
`;
  const mixed = await startServer({ config });
  try {
    const listed = (await api(mixed, '/api/v1/sources')).json.sources;
    const dead = listed.find((s) => s.id === 'dead');
    assert.notEqual(dead.status, 'ok', JSON.stringify(dead));
    const { page, errors, context } = await openPage(browser);
    await page.goto(`${mixed.url}/sources/dead`);
    await waitForSettled(page);
    assert.equal((await page.getByTestId('source-status-dead').textContent()).trim(), dead.status);
    assert.match(await page.getByTestId('source-status-dead').getAttribute('class'), /badge-status-error/);
    assert.equal((await page.getByTestId('source-status-live').textContent()).trim(), 'ok');
    assert.ok(dead.error, `the API names the dead source's error: ${JSON.stringify(dead)}`);
    assert.ok(
      (await page.getByTestId('source-error-dead').textContent()).includes(dead.error.message),
      'the card shows the health error',
    );
    const tables = await api(mixed, '/api/v1/sources/dead/tables');
    assert.notEqual(tables.status, 200, tables.text);
    const error = page.getByTestId('panel-tables').locator('[data-state="error"]');
    assert.equal(await error.getAttribute('data-error-code'), tables.json.error.code);
    assert.ok((await error.textContent()).includes(tables.json.error.message), 'the tables panel shows the API error');
    await screenshot(page, 'sources-dead');

    // The live source's schema still browses.
    await page.getByTestId('schema-source').selectOption('live');
    await page.waitForURL(/\/sources\/live/);
    await page.getByTestId('table-web_events').waitFor();
    assert.deepEqual(
      errors.filter((e) => !/status of 5\d\d/.test(e)),
      [],
    );
    await context.close();
  } finally {
    await mixed.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
