// The dashboard with authentication on: it asks for an API key, says when the server refuses
// one, keeps the key for the session only (sessionStorage), and the admin page tells a key
// without the admin role that it needs one while an admin key sees the cache statistics.
// Two keys are made for the test with `tributary hash-key`; the project binds the demo DuckDB.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  api,
  binary,
  dataDir,
  launchBrowser,
  openPage,
  screenshot,
  startServer,
  waitForSettled,
  waitForValue,
} from './harness.mjs';

let server;
let browser;
let adminKey;
let readerKey;

/** A new key and its SHA-256 from `tributary hash-key`. */
function newKey() {
  const out = execFileSync(binary, ['hash-key'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const key = /^key: (\S+)$/m.exec(out)?.[1];
  const sha256 = /^sha256: ([0-9a-f]{64})$/m.exec(out)?.[1];
  assert.ok(key && sha256, `unexpected hash-key output:\n${out}`);
  return { key, sha256 };
}

before(async () => {
  const demoDb = path.join(dataDir, 'demo.duckdb');
  if (!existsSync(demoDb)) {
    // The demo server writes the demo database on its first start.
    const demo = await startServer();
    await demo.stop();
  }
  const admin = newKey();
  const reader = newKey();
  adminKey = admin.key;
  readerKey = reader.key;
  server = await startServer({
    config: [
      'sources:',
      `  demo: {type: duckdb, path: ${JSON.stringify(demoDb)}}`,
      'projects:',
      '  demo:',
      '    sources: [demo]',
      '    datasets:',
      '      llm_logs: {source: demo}',
      '      web_events: {source: demo}',
      'default_project: demo',
      'auth:',
      '  keys:',
      `    - {name: e2e-admin, sha256: ${admin.sha256}, projects: ["*"], roles: [read, query, admin]}`,
      `    - {name: e2e-reader, sha256: ${reader.sha256}, projects: [demo], roles: [read, query]}`,
      '',
    ].join('\n'),
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Failed requests the test causes on purpose show as console errors; only those are allowed. */
const withoutStatus = (errors, ...codes) => errors.filter((e) => !codes.some((c) => e.includes(`status of ${c}`)));

test('the page asks for a key, rejects a wrong one, and loads with the right one for this session only', async () => {
  assert.equal((await api(server, '/api/v1/projects')).status, 401, 'auth is on');
  const { page, context, errors } = await openPage(browser);
  await page.goto(`${server.url}/overview`);

  const dialog = page.getByRole('dialog', { name: 'API key needed' });
  await dialog.waitFor();
  assert.equal(await dialog.getByRole('alert').count(), 0, 'no rejection before a key was sent');

  // A wrong key: the server refuses it and the dialog says so.
  await dialog.getByLabel('API key').fill('trib_this-is-not-a-valid-key-at-all');
  await dialog.getByRole('button', { name: 'Use this key' }).click();
  await dialog.getByRole('alert').waitFor();
  assert.match(await dialog.getByRole('alert').textContent(), /refused the key/);

  // The right key: the dialog goes and the data the key may see loads (the project list).
  await dialog.getByLabel('API key').fill(readerKey);
  await dialog.getByRole('button', { name: 'Use this key' }).click();
  await dialog.waitFor({ state: 'detached' });
  const picker = page.getByTestId('project-picker');
  await picker.waitFor();
  assert.equal(await waitForValue(picker, 'demo'), 'demo');
  await waitForSettled(page);
  assert.equal(await page.locator('[data-state="error"]').count(), 0);
  // The overview's numbers come through with the key: the card equals the API's answer to it.
  const summary = await api(server, '/api/v1/projects/demo/metrics/web/summary?days=30', { key: readerKey });
  assert.equal(summary.status, 200);
  assert.equal(
    await page.getByTestId('kpi-total_users').getAttribute('data-value'),
    String(summary.json.data.total_users),
  );

  // Kept for the session: in sessionStorage, nowhere in localStorage.
  const stored = await page.evaluate(() => ({
    session: sessionStorage.getItem('tributary.apiKey'),
    local: Object.keys(localStorage).map((k) => localStorage.getItem(k)),
  }));
  assert.equal(stored.session, readerKey);
  assert.ok(!stored.local.some((v) => v?.includes(readerKey)), 'the key is not in localStorage');

  // Still there after a reload of the tab.
  await page.reload();
  await picker.waitFor();
  assert.equal(await page.getByRole('dialog').count(), 0);
  assert.deepEqual(withoutStatus(errors, 401), []);
  await context.close();

  // A new session (a new browser context) asks again.
  const second = await openPage(browser);
  await second.page.goto(`${server.url}/overview`);
  await second.page.getByRole('dialog', { name: 'API key needed' }).waitFor();
  assert.deepEqual(withoutStatus(second.errors, 401), []);
  await second.context.close();
});

test('a read+query key sees "needs an admin key" on the admin page; the admin key sees cache statistics', async () => {
  const reader = await openPage(browser, { apiKey: readerKey });
  await reader.page.goto(`${server.url}/admin`);
  const banner = reader.page.getByTestId('admin-needs-key');
  await banner.waitFor();
  assert.match(await banner.textContent(), /needs an admin key/);
  const cacheMessage = reader.page.getByTestId('panel-cache').getByTestId('needs-admin-key');
  await cacheMessage.waitFor();
  assert.match(await cacheMessage.textContent(), /e2e-reader/);
  assert.equal(await reader.page.getByTestId('kpi-cache-entries').count(), 0);
  // The rate limits are the caller's own, shown for any key: auth on means 100/min by default.
  const table = reader.page.getByTestId('rate-limit-table');
  await table.waitFor();
  assert.match(await reader.page.getByTestId('rate-limit-caller').textContent(), /API key e2e-reader/);
  await waitForSettled(reader.page);
  await screenshot(reader.page, 'admin-needs-admin-key');
  assert.deepEqual(withoutStatus(reader.errors, 403), []);
  await reader.context.close();

  const stats = await api(server, '/api/v1/cache/stats', { key: adminKey });
  assert.equal(stats.status, 200, stats.text);
  const admin = await openPage(browser, { apiKey: adminKey });
  await admin.page.goto(`${server.url}/admin`);
  const entries = admin.page.getByTestId('kpi-cache-entries');
  await entries.waitFor();
  await waitForSettled(admin.page);
  assert.equal(Number(await entries.getAttribute('data-value')), stats.json.entries);
  assert.equal(await admin.page.getByTestId('admin-needs-key').count(), 0);
  const config = await api(server, '/api/v1/admin/config', { key: adminKey });
  if (config.status === 200) {
    assert.equal(await admin.page.getByTestId('config-version').textContent(), config.json.configVersion);
  }
  assert.deepEqual(withoutStatus(admin.errors, config.status === 404 ? 404 : 0), []);
  await admin.context.close();
});
