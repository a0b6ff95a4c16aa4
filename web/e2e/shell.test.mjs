// The shell in a real browser against the real binary on the demo data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openPage, startServer, waitForSettled } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the root redirects to the overview and every nav link opens its page without console errors', async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(`${server.url}/`);
  await page.waitForURL(/\/overview/);
  for (const [label, pathRe] of [
    ['LLM operations', /\/llm/],
    ['Sources', /\/sources/],
    ['Query console', /\/query/],
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
