// The admin page in a real browser against the real binary: cache statistics equal the API's,
// clearing a project's cache (after confirming) empties it and refreshes the numbers, the rate
// limit status, and the config panel (its error state while the binary has no config route).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  PHONE,
  api,
  dataDir,
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

/** Fills the cache with a few metric answers (each distinct parameter set is one entry). */
async function warmCache(target) {
  for (const days of [7, 14, 30]) {
    const r = await api(target, `/api/v1/projects/demo/metrics/web/daily?days=${days}`);
    assert.equal(r.status, 200, r.text);
  }
}

/** The browser logs failed requests as console errors; the config route's 404 is expected
 *  until the web-serve branch is merged (the panel shows its error state). */
function unexpected(errors, configStatus) {
  return errors.filter((e) => !(configStatus === 404 && /status of 404/.test(e)));
}

test('cache statistics equal the API, and clearing a project empties it after confirming', async () => {
  await warmCache(server);
  const before = await api(server, '/api/v1/cache/stats');
  assert.equal(before.status, 200, before.text);
  assert.ok(before.json.projects.demo.entries >= 3, before.text);
  const configStatus = (await api(server, '/api/v1/admin/config')).status;

  const { page, context, errors } = await openPage(browser);
  await page.goto(`${server.url}/admin`);
  await page.getByTestId('kpi-cache-entries').waitFor();
  await waitForSettled(page);

  assert.equal(Number(await page.getByTestId('kpi-cache-entries').getAttribute('data-value')), before.json.entries);
  assert.equal(Number(await page.getByTestId('kpi-cache-bytes').getAttribute('data-value')), before.json.bytes);
  assert.equal(Number(await page.getByTestId('kpi-cache-hit-ratio').getAttribute('data-value')), before.json.hitRatio);
  const demoRow = page.getByTestId('cache-projects').locator('tbody tr', { hasText: 'demo' });
  assert.equal(
    (await demoRow.locator('td').nth(1).textContent()).replace(/,/g, ''),
    String(before.json.projects.demo.entries),
  );

  // Rate limits: the demo (loopback, no auth or rate_limits) limits nobody.
  assert.match(await page.getByTestId('rate-limit-caller').textContent(), /client address 127\.0\.0\.1/);
  await page.getByTestId('rate-limit-none').waitFor();

  // The config panel: the API's version once the route exists, else its error state.
  if (configStatus === 200) {
    const config = await api(server, '/api/v1/admin/config');
    assert.equal(await page.getByTestId('config-version').textContent(), config.json.configVersion);
    assert.equal(await page.getByTestId('config-reload').isDisabled(), !config.json.reloadable);
  } else {
    const error = page.getByTestId('panel-config').locator('[data-state="error"]');
    assert.equal(await error.getAttribute('data-error-code'), 'NOT_FOUND');
  }
  await screenshot(page, 'admin-light');

  // Clear: asks first; "Keep" does nothing.
  await page.getByTestId('cache-clear-scope').selectOption('demo');
  await page.getByTestId('cache-clear-button').click();
  await page.getByRole('button', { name: 'Keep' }).click();
  assert.equal(
    (await api(server, '/api/v1/cache/stats')).json.projects.demo.entries,
    before.json.projects.demo.entries,
  );

  await page.getByTestId('cache-clear-button').click();
  await page.getByTestId('cache-clear-confirm').click();
  const result = page.getByTestId('cache-clear-result');
  await result.waitFor();
  assert.match(
    await result.textContent(),
    new RegExp(`Cleared ${before.json.projects.demo.entries} entries of project demo`),
  );
  await page.waitForFunction(() => document.querySelector('[data-testid="kpi-cache-entries"]')?.dataset.value === '0');
  assert.equal((await api(server, '/api/v1/cache/stats')).json.entries, 0);

  assert.deepEqual(unexpected(errors, configStatus), []);
  await context.close();
});

test('dark theme and phone width', async () => {
  const configStatus = (await api(server, '/api/v1/admin/config')).status;
  await warmCache(server);
  for (const [name, opts] of [
    ['admin-dark', { theme: 'dark' }],
    ['admin-phone', { viewport: PHONE }],
  ]) {
    const { page, context, errors } = await openPage(browser, opts);
    await page.goto(`${server.url}/admin`);
    await page.getByTestId('kpi-cache-entries').waitFor();
    await waitForSettled(page);
    await screenshot(page, name);
    assert.deepEqual(unexpected(errors, configStatus), []);
    await context.close();
  }
});

test('Reload picks up a changed config file and shows a broken one with its line', async () => {
  // The shared demo server has written the demo database; a second server attaches it read-only.
  const yaml = (rowLimit) =>
    [
      'server:',
      `  default_row_limit: ${rowLimit}`,
      'sources:',
      `  local: {type: duckdb, path: ${JSON.stringify(path.join(dataDir, 'demo.duckdb'))}}`,
      'projects:',
      '  p:',
      '    sources: [local]',
      '',
    ].join('\n');
  const own = await startServer({ config: yaml(100) });
  const { page, context, errors } = await openPage(browser);
  try {
    const first = await api(own, '/api/v1/admin/config');
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.reloadable, true);
    await page.goto(`${own.url}/admin`);
    const version = page.getByTestId('config-version');
    await version.waitFor();
    assert.equal(await version.textContent(), first.json.configVersion);
    assert.equal(await page.getByTestId('config-path').textContent(), own.configPath);

    // A changed file: Reload shows the new version, the same the API reports.
    await writeFile(own.configPath, yaml(200));
    await page.getByTestId('config-reload').click();
    await page.getByTestId('config-reload-result').waitFor();
    const second = await api(own, '/api/v1/admin/config');
    assert.notEqual(second.json.configVersion, first.json.configVersion);
    await page.waitForFunction(
      (v) => document.querySelector('[data-testid="config-version"]')?.textContent === v,
      second.json.configVersion,
    );
    assert.match(
      await page.getByTestId('config-reload-result').textContent(),
      new RegExp(`${first.json.configVersion} → ${second.json.configVersion}`),
    );

    // A broken file (an unknown key on line 2): the error names the file and line; the old
    // config keeps serving.
    const text = await readFile(own.configPath, 'utf8');
    await writeFile(own.configPath, text.replace('default_row_limit', 'default_row_limt'));
    await page.getByTestId('config-reload').click();
    const error = page.getByTestId('config-reload-error').locator('[data-state="error"]');
    await error.waitFor();
    assert.equal(await error.getAttribute('data-error-code'), 'CONFIG_ERROR');
    assert.match(await error.textContent(), /tributary\.yaml:2:\d+/);
    assert.equal((await api(own, '/api/v1/admin/config')).json.configVersion, second.json.configVersion);
    assert.deepEqual(
      errors.filter((e) => !/status of (400|500)/.test(e)),
      [],
    );
  } finally {
    await context.close();
    await own.stop();
  }
});
