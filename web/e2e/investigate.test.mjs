// The Investigate page in a real browser against the real binary: a config with a DuckDB log
// table holding an injected incident (errors with one dominant message and higher latency from
// a known time), a DuckDB deployments table (one deploy), and a dead PostgreSQL source, all
// tagged for the same service. The page must show the API's own timeline, the deploy, the dead
// source as failed, and exactly the queries the API says it ran. Then the built-in demo.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PHONE, api, freePort, launchBrowser, openPage, screenshot, startServer, waitForSettled } from './harness.mjs';

// The window asked about, and the incident inside it (UTC).
const START = '2026-12-03T10:00:00Z';
const END = '2026-12-03T11:00:00Z';
const INCIDENT = '2026-12-03T10:30:00Z';
const INCIDENT_END = '2026-12-03T10:45:00Z';
const DEPLOY = '2026-12-03T10:28:00Z';
const DOMINANT = 'payment provider timeout after 5000 ms';

const sqlTime = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * One info line every 5 s for checkout from the baseline's start (09:00) to the end (11:00),
 * latency ~100 ms; from the incident to its end, 2 error lines per 5 s with the dominant message
 * (plus another message every 15 s) and the info lines' latency at ~900 ms. No error before the
 * incident, so the error count's baseline is 0 and its first incident step is the shift.
 */
function logsCsv() {
  const rows = ['ts,service,level,message,latency_ms'];
  const t0 = Date.parse('2026-12-03T09:00:00Z');
  const t1 = Date.parse(END);
  const i0 = Date.parse(INCIDENT);
  const i1 = Date.parse(INCIDENT_END);
  let n = 0;
  for (let t = t0; t < t1; t += 5000, n += 1) {
    const incident = t >= i0 && t < i1;
    rows.push(`${sqlTime(t)},checkout,info,request served,${incident ? 900 + (n % 7) : 100 + (n % 5)}`);
    if (incident) {
      for (let k = 0; k < 2; k += 1) rows.push(`${sqlTime(t + k * 1000)},checkout,error,${DOMINANT},${5000 + k}`);
      if (n % 3 === 0) rows.push(`${sqlTime(t + 2000)},checkout,ERROR,card declined by issuer,300`);
    }
  }
  return `${rows.join('\n')}\n`;
}

function deploysCsv() {
  return [
    'deployed_at,service,version',
    `${sqlTime(Date.parse(DEPLOY))},checkout,v2.4.1`,
    '2026-12-02 08:00:00,checkout,v2.4.0',
    '',
  ].join('\n');
}

async function incidentConfig(extra = '') {
  const dir = mkdtempSync(path.join(tmpdir(), 'trib-e2e-investigate-'));
  const logs = path.join(dir, 'logs.csv');
  const deploys = path.join(dir, 'deploys.csv');
  writeFileSync(logs, logsCsv());
  writeFileSync(deploys, deploysCsv());
  // Nothing listens there: the source fails while the others answer.
  const deadPort = await freePort();
  return `
sources:
  app_logs:
    type: duckdb
    tables: {app_logs: ${JSON.stringify(logs)}}
    tags: {services: [checkout]}
    investigate:
      logs:
        table: app_logs
        time_column: ts
        service_column: service
        level_column: level
        message_column: message
        latency_column: latency_ms
  deploys:
    type: duckdb
    tables: {deployments: ${JSON.stringify(deploys)}}
    tags: {services: [checkout]}
    investigate:
      changes:
        sql: >
          SELECT deployed_at AS time, service, 'deploy ' || version AS description
          FROM deployments WHERE deployed_at >= $1 AND deployed_at < $2
  dead_pg:
    type: postgres
    host: 127.0.0.1
    port: ${deadPort}
    database: nothing
    user: nobody
    password: nothing
    connect_timeout_ms: 500
    tags: {services: [checkout]}
    investigate:
      changes:
        sql: SELECT created_at AS time, name AS description FROM releases WHERE created_at >= $1 AND created_at < $2
projects:
  shop:
    sources: [app_logs, deploys, dead_pg]
default_project: shop
${extra}`;
}

let server;
let browser;
before(async () => {
  server = await startServer({ config: await incidentConfig() });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const BODY = { project: 'shop', context: { services: ['checkout'], time_range: { start: START, end: END } } };

/** Opens the page, ticks checkout, sets the custom window to [START, END) and runs. */
async function runIncident(opts = {}) {
  const opened = await openPage(browser, opts);
  const { page } = opened;
  await page.goto(`${server.url}/investigate?project=shop`);
  await page.getByTestId('inv-service-checkout').check();
  await page.getByTestId('inv-window-custom').check();
  await page.getByTestId('inv-from').fill(START.slice(0, 16));
  await page.getByTestId('inv-to').fill(END.slice(0, 16));
  await page.getByTestId('inv-run').click();
  await page.getByTestId('inv-results').waitFor({ timeout: 60_000 });
  await waitForSettled(page, 60_000);
  return opened;
}

test('the incident: timeline, deploy, failed source and the exact queries equal the API answer', async () => {
  const expected = await api(server, '/api/v1/investigate', { method: 'POST', body: BODY });
  assert.equal(expected.status, 200, expected.text);
  const answer = expected.json;

  // The API itself must see the incident, or comparing the page with it proves nothing.
  const shift = answer.timeline.find((e) => e.kind === 'shift' && e.source === 'app_logs' && e.signal === 'errors');
  assert.ok(shift, `no error shift in ${JSON.stringify(answer.timeline)}`);
  assert.equal(shift.time, INCIDENT);
  assert.equal(shift.service, 'checkout');
  const deploy = answer.timeline.find((e) => e.kind === 'deploy_or_change');
  assert.ok(deploy, 'the deploy is on the timeline');
  assert.deepEqual(
    answer.failed_sources.map((f) => f.source),
    ['dead_pg'],
  );

  const { page, errors, context } = await runIncident();
  // The URL holds the run, so the view is shareable.
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('services'), 'checkout');
  assert.equal(url.searchParams.get('window'), 'custom');

  const entries = page.getByTestId('timeline-entry');
  const shown = await entries.evaluateAll((els) =>
    els.map((el) => ({
      time: el.dataset.time,
      kind: el.dataset.kind,
      source: el.dataset.source,
      service: el.dataset.service,
      signal: el.dataset.signal,
      description: el.querySelector('[data-testid="timeline-description"]').textContent,
    })),
  );
  assert.deepEqual(
    shown,
    answer.timeline.map((e) => ({
      time: e.time,
      kind: e.kind,
      source: e.source,
      service: e.service,
      signal: e.signal,
      description: e.description,
    })),
  );
  const pageShift = entries.and(page.locator(`[data-kind="shift"][data-source="app_logs"][data-signal="errors"]`));
  assert.equal(await pageShift.getAttribute('data-time'), INCIDENT);
  assert.equal(await pageShift.getByTestId('timeline-description').textContent(), shift.description);
  const pageDeploy = entries.and(page.locator('[data-kind="deploy_or_change"]'));
  assert.equal(await pageDeploy.getByTestId('timeline-description').textContent(), deploy.description);
  assert.match(deploy.description, /v2\.4\.1/);

  // The dead source is listed as failed, with its code, and its evidence card says error.
  const failed = page.getByTestId('failed-dead_pg');
  assert.match(await failed.textContent(), new RegExp(answer.failed_sources[0].code));
  assert.equal(await page.getByTestId('evidence-dead_pg').getAttribute('data-status'), 'error');
  assert.equal(await page.getByTestId('evidence-app_logs').getAttribute('data-status'), 'ok');

  // Every source's queries, text for text, as the API ran them.
  for (const ev of answer.evidence) {
    const card = page.getByTestId(`evidence-${ev.source}`);
    const texts = await card.getByTestId('query-text').allTextContents();
    assert.deepEqual(
      texts,
      ev.queries.map((q) => q.query),
      `queries of ${ev.source}`,
    );
  }
  // The dominant message heads the log source's top messages.
  const logs = answer.evidence.find((e) => e.source === 'app_logs');
  assert.equal(logs.errors.top_messages[0].message, DOMINANT);
  const firstMessage = page
    .getByTestId('evidence-app_logs')
    .getByTestId('evidence-top-messages')
    .locator('tbody tr')
    .first();
  assert.match(await firstMessage.textContent(), new RegExp(DOMINANT));
  // No synthesis configured: no model-generated section at all.
  assert.equal(await page.getByTestId('inv-synthesis').count(), 0);

  await screenshot(page, 'investigate-light');
  assert.deepEqual(errors, []);
  await context.close();
});

test('dark theme and phone width render the same investigation without console errors', async () => {
  const dark = await runIncident({ theme: 'dark' });
  await screenshot(dark.page, 'investigate-dark');
  assert.deepEqual(dark.errors, []);
  await dark.context.close();

  const phone = await runIncident({ viewport: PHONE });
  // Nothing wider than the screen: the page never scrolls sideways.
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await screenshot(phone.page, 'investigate-phone');
  assert.deepEqual(phone.errors, []);
  await phone.context.close();
});

test('a shared link runs the same investigation again, and a keyboard can run one', async () => {
  const { page, errors, context } = await runIncident();
  const link = page.url();
  const first = await page.getByTestId('timeline-description').allTextContents();
  const again = await context.newPage();
  await again.goto(link);
  await again.getByTestId('inv-results').waitFor({ timeout: 60_000 });
  assert.deepEqual(await again.getByTestId('timeline-description').allTextContents(), first);
  assert.equal(await again.getByTestId('inv-service-checkout').isChecked(), true);

  // Keyboard only: focus the question, type, press Enter (submits the form).
  const question = again.getByTestId('inv-question');
  await question.focus();
  await question.fill('why is checkout failing?');
  await question.press('Enter');
  await again.waitForURL(/q=why/);
  await again.getByTestId('inv-results').waitFor({ timeout: 60_000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the built-in demo: the pickers list llm-gateway and a run shows its evidence', async () => {
  const demo = await startServer();
  try {
    const services = await api(demo, '/api/v1/investigate/services?project=demo');
    assert.equal(services.status, 200, services.text);
    assert.ok(services.json.services.includes('llm-gateway'), services.text);

    const { page, errors, context } = await openPage(browser);
    await page.goto(`${demo.url}/investigate`);
    await page.getByTestId('inv-service-llm-gateway').check();
    await page.getByTestId('inv-window-24h').check();
    await page.getByTestId('inv-run').click();
    await page.getByTestId('inv-results').waitFor({ timeout: 60_000 });
    await waitForSettled(page, 60_000);

    // The same request the page sent (its window is in the URL's run time).
    const at = new URL(page.url()).searchParams.get('at');
    const end = at;
    const start = new Date(Date.parse(at) - 86_400_000).toISOString().replace('.000Z', 'Z');
    const expected = await api(demo, '/api/v1/investigate', {
      method: 'POST',
      body: { project: 'demo', context: { services: ['llm-gateway'], time_range: { start, end } } },
    });
    assert.equal(expected.status, 200, expected.text);
    assert.ok(expected.json.evidence.length > 0, expected.text);
    for (const ev of expected.json.evidence) {
      const card = page.getByTestId(`evidence-${ev.source}`);
      assert.equal(await card.getAttribute('data-status'), ev.status);
      assert.deepEqual(
        await card.getByTestId('query-text').allTextContents(),
        ev.queries.map((q) => q.query),
      );
    }
    assert.deepEqual(
      await page.getByTestId('timeline-description').allTextContents(),
      expected.json.timeline.map((e) => e.description),
    );
    await screenshot(page, 'investigate-demo');
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await demo.stop();
  }
});

/**
 * Stands in for an OpenAI-compatible chat endpoint (none can run here): answers every
 * POST /v1/chat/completions with `reply` as the message content, and records the requests.
 */
async function startLocalChatServer(reply) {
  const requests = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ url: req.url, body });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          model: 'local-model',
          choices: [
            { index: 0, message: { role: 'assistant', content: JSON.stringify(reply) }, finish_reason: 'stop' },
          ],
        }),
      );
    });
  });
  const port = await freePort();
  await new Promise((r) => srv.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/v1`, requests, close: () => new Promise((r) => srv.close(r)) };
}

test('the model-generated summary is shown labelled, as the API answers it, AgainstLocalOpenAiCompatibleServer', async () => {
  const reply = {
    root_cause: 'The v2.4.1 deploy at 10:28 made payment provider calls time out.',
    affected_components: ['checkout'],
    recommended_actions: ['Roll checkout back to v2.4.0', 'Check the payment provider timeout'],
  };
  const chat = await startLocalChatServer(reply);
  const withModel = await startServer({
    config: await incidentConfig(`investigate:
  synthesis:
    url: ${chat.url}
    model: local-model
    timeout_ms: 10000
`),
  });
  try {
    const expected = await api(withModel, '/api/v1/investigate', { method: 'POST', body: BODY });
    assert.equal(expected.status, 200, expected.text);
    assert.equal(expected.json.root_cause, reply.root_cause, expected.text);

    const { page, errors, context } = await openPage(browser);
    await page.goto(`${withModel.url}/investigate?project=shop`);
    await page.getByTestId('inv-service-checkout').check();
    await page.getByTestId('inv-window-custom').check();
    await page.getByTestId('inv-from').fill(START.slice(0, 16));
    await page.getByTestId('inv-to').fill(END.slice(0, 16));
    await page.getByTestId('inv-run').click();
    const summary = page.getByTestId('inv-synthesis');
    await summary.waitFor({ timeout: 60_000 });
    assert.match(await summary.locator('h2').textContent(), /model-generated/i);
    assert.match(await summary.textContent(), /local-model/);
    assert.equal(await page.getByTestId('inv-root-cause').textContent(), expected.json.root_cause);
    assert.deepEqual(
      await page.getByTestId('inv-affected-components').locator('li').allTextContents(),
      expected.json.affected_components,
    );
    assert.deepEqual(
      await page.getByTestId('inv-recommended-actions').locator('li').allTextContents(),
      expected.json.recommended_actions,
    );
    // The deterministic part is still there, unchanged.
    assert.deepEqual(
      await page.getByTestId('timeline-description').allTextContents(),
      expected.json.timeline.map((e) => e.description),
    );
    assert.ok(chat.requests.length >= 2, 'the API and the page each asked the model');
    assert.equal(chat.requests[0].url, '/v1/chat/completions');
    await screenshot(page, 'investigate-synthesis');
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await withModel.stop();
    await chat.close();
  }
});

test('a project without tagged sources explains how to tag one, and a run shows no evidence and no timeline', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trib-e2e-investigate-untagged-'));
  const logs = path.join(dir, 'logs.csv');
  writeFileSync(logs, logsCsv());
  const plain = await startServer({
    config: `
sources:
  plain_logs:
    type: duckdb
    tables: {app_logs: ${JSON.stringify(logs)}}
projects:
  bare:
    sources: [plain_logs]
default_project: bare
`,
  });
  try {
    const services = await api(plain, '/api/v1/investigate/services?project=bare');
    assert.equal(services.status, 200, services.text);
    assert.deepEqual(services.json.sources, []);

    const { page, errors, context } = await openPage(browser);
    await page.goto(`${plain.url}/investigate`);
    const howTo = page.getByTestId('inv-no-sources');
    await howTo.waitFor();
    assert.match(await howTo.textContent(), /investigate:/);
    assert.match(await howTo.textContent(), /docs\/investigate\.md/);
    await page.getByTestId('inv-run').click();
    await page.getByTestId('inv-results').waitFor({ timeout: 60_000 });
    await page.getByTestId('inv-no-evidence').waitFor();
    assert.equal(await page.getByTestId('timeline-entry').count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await plain.stop();
  }
});
