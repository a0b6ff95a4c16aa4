// The shell in a real browser against the real binary on the demo data.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api,
  binary,
  importWebModule,
  openPage,
  PHONE,
  startDemoAndBrowser,
  startServer,
  waitForSettled,
} from './harness.mjs';

const { formatInt } = await importWebModule('src/format.ts');

let server;
let browser;
let stop;
before(async () => ({ server, browser, stop } = await startDemoAndBrowser()));
after(() => stop?.());

test('the root redirects to the overview and every nav link opens its page without console errors', async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(`${server.url}/`);
  await page.waitForURL(/\/overview/);
  for (const [label, pathRe] of [
    ['LLM operations', /\/llm/],
    ['Sources', /\/sources/],
    ['Query console', /\/query/],
    ['Import', /\/import/],
    ['Admin', /\/admin/],
    ['Overview', /\/overview/],
  ]) {
    await page.getByRole('link', { name: label, exact: true }).click();
    await page.waitForURL(pathRe);
    await waitForSettled(page);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('the project picker switches every view to the chosen project and the URL keeps it', async () => {
  // Two projects on two different DuckDB files, so their numbers differ.
  const dir = mkdtempSync(path.join(tmpdir(), 'trib-e2e-projects-'));
  const small = path.join(dir, 'small.duckdb');
  execFileSync(binary, ['demo-data', '--out', small, '--rows', '5000', '--seed', '7', '--days', '30'], {
    stdio: 'pipe',
  });
  const big = path.join(process.env.TRIB_E2E_DATA_DIR ?? path.join(path.dirname(binary), 'e2e-data'), 'demo.duckdb');
  const projects = await startServer({
    config: `
sources:
  main: {type: duckdb, path: ${JSON.stringify(big)}}
  small: {type: duckdb, path: ${JSON.stringify(small)}}
projects:
  alpha:
    sources: [main]
    datasets: {llm_logs: {source: main}, web_events: {source: main}}
  beta:
    sources: [small]
    datasets: {llm_logs: {source: small}, web_events: {source: small}}
default_project: alpha
`,
  });
  try {
    const summary = async (project) =>
      (await api(projects, `/api/v1/projects/${project}/metrics/web/summary?days=30`)).json.data.total_users;
    const [alphaUsers, betaUsers] = [await summary('alpha'), await summary('beta')];
    assert.notEqual(alphaUsers, betaUsers, 'the two projects must differ for this test to mean anything');

    const { page, errors, context } = await openPage(browser);
    await page.goto(`${projects.url}/overview`);
    const users = page.getByTestId('kpi-total_users');
    await assert.doesNotReject(
      users.and(page.locator(`[data-value="${alphaUsers}"]`)).waitFor({ timeout: 30_000 }),
      'the default project (alpha) is shown first',
    );
    await page.getByLabel('Project').selectOption('beta');
    await page.waitForURL(/project=beta/);
    await users.and(page.locator(`[data-value="${betaUsers}"]`)).waitFor({ timeout: 30_000 });
    assert.equal((await page.getByTestId('kpi-total_users-value').textContent()).trim(), formatInt(betaUsers));
    // The source picker offers the chosen project's sources only.
    assert.deepEqual(await page.getByLabel('Source').locator('option').allTextContents(), ['All sources', 'small']);
    // Moving to another page keeps the project; reloading the URL restores it.
    await page.getByRole('link', { name: 'LLM operations', exact: true }).click();
    await page.waitForURL(/\/llm\?.*project=beta/);
    await page.reload();
    assert.equal(await page.getByLabel('Project').inputValue(), 'beta');
    await waitForSettled(page);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await projects.stop();
  }
});

test('an unknown path shows the not-found page and an unknown project says so', async () => {
  const { page, errors, context } = await openPage(browser);
  const r = await page.goto(`${server.url}/no-such-page`);
  assert.equal(r.status(), 200, 'client routes are served index.html');
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.goto(`${server.url}/overview?project=nope`);
  await page.getByRole('alert').filter({ hasText: "project 'nope' does not exist" }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('auto refresh refetches every view each minute and is kept in the URL', async () => {
  const { page, errors, context } = await openPage(browser);
  // A controllable clock, so a minute passes without waiting for it. (Page-side polling such as
  // waitForSettled runs on that clock too, so this test waits on requests and locators only.)
  await page.clock.install();
  const summary = /\/metrics\/web\/summary/;
  const loaded = page.waitForResponse(summary);
  await page.goto(`${server.url}/overview`);
  await loaded;
  await page.locator('[data-testid="kpi-total_users"]:not([data-value=""])').waitFor();

  // Off by default: a minute passes and nothing is fetched again (the fake clock fires any
  // timer at once, so a request would follow within milliseconds).
  await page.clock.runFor(61_000);
  await assert.rejects(page.waitForRequest(summary, { timeout: 2_000 }), /Timeout/);

  // Not locator.check(): the toggle is controlled by the URL, and React Router applies the
  // navigation in a transition, so the box turns checked a moment after the click; check()
  // asserts the state at once and fails when that moment is slow.
  await page.getByLabel('Auto refresh').click();
  await page.waitForURL(/refresh=1/);
  await page.locator('[data-testid="auto-refresh"]:checked').waitFor();
  const refetched = page.waitForResponse(summary, { timeout: 10_000 });
  await page.clock.runFor(61_000);
  assert.equal((await refetched).status(), 200, 'auto refresh fetched the summary again');

  // The link keeps it on.
  await page.reload();
  assert.equal(await page.getByLabel('Auto refresh').isChecked(), true);
  assert.deepEqual(errors, []);
  await context.close();
});

test('every control has a label and the range can be changed with the keyboard alone', async () => {
  const { page, errors, context } = await openPage(browser);
  for (const route of ['/overview', '/llm', '/sources/demo', '/query', '/admin']) {
    await page.goto(`${server.url}${route}`);
    await waitForSettled(page);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('button, input, select, textarea, a[href]')]
        .filter((el) => {
          const labelled =
            (el.labels && el.labels.length > 0) ||
            el.getAttribute('aria-label') ||
            el.getAttribute('aria-labelledby') ||
            el.getAttribute('title') ||
            (el.textContent ?? '').trim() ||
            el.querySelector('img[alt]:not([alt=""])');
          return !labelled;
        })
        .map((el) => el.outerHTML.slice(0, 120)),
    );
    assert.deepEqual(unlabelled, [], `unlabelled controls on ${route}`);
  }

  await page.goto(`${server.url}/overview`);
  await waitForSettled(page);
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'range-7d');
  }
  assert.ok(reached, 'the "7 days" button is reachable with Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(/range=7d/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('at phone width the pages are behind a Menu button that opens and closes', async () => {
  const { page, errors, context } = await openPage(browser, { viewport: PHONE });
  await page.goto(`${server.url}/overview`);
  const sourcesLink = page.getByRole('link', { name: 'Sources', exact: true });
  assert.equal(await sourcesLink.isVisible(), false, 'the nav is folded away on a phone');
  const menu = page.getByRole('button', { name: 'Menu' });
  await menu.click();
  assert.equal(await menu.getAttribute('aria-expanded'), 'true');
  await sourcesLink.click();
  await page.waitForURL(/\/sources/);
  assert.equal(await menu.getAttribute('aria-expanded'), 'false', 'choosing a page closes the menu');
  await waitForSettled(page);
  assert.deepEqual(errors, []);
  await context.close();
});
