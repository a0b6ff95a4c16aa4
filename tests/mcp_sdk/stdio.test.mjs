// MCP over stdio (`tributary mcp --config F`, the key in TRIBUTARY_API_KEY) with the SDK's
// StdioClientTransport: the common checks (answers compared with values computed from the
// test's data), and the start-up refusals of a missing or unknown key.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineCommonTests } from './common.mjs';
import {
  ENDLESS_SQL,
  connectStdio,
  cpuSeconds,
  lastRequestId,
  makeFixture,
  runStdioRaw,
  sleep,
  toolResult,
  waitForResponse,
} from './harness.mjs';

describe('MCP over stdio with the SDK client', () => {
  let fixture;
  let alpha;

  before(async () => {
    fixture = makeFixture();
    alpha = await connectStdio(fixture, fixture.keys.alpha);
  });

  after(async () => {
    await alpha?.close();
    fixture?.cleanup();
  });

  const ctx = () => ({ client: alpha.client, transport: alpha.transport, fixture });

  defineCommonTests(ctx);

  test("beta's key over stdio sees beta's source and data only", async () => {
    const beta = await connectStdio(fixture, fixture.keys.beta);
    try {
      const out = toolResult(await beta.client.callTool({ name: 'list_sources', arguments: { project: 'beta' } }));
      assert.deepEqual(
        out.sources.map((s) => s.id),
        ['beta_wh'],
      );
      const q = toolResult(
        await beta.client.callTool({
          name: 'run_query',
          arguments: { sql: 'SELECT name FROM customers ORDER BY name', project: 'beta' },
        }),
      );
      assert.deepEqual(
        q.rows.map((r) => r[0]),
        fixture.expected.customerNames,
      );
    } finally {
      await beta.close();
    }
  });

  test('a missing or unknown key: exit code 2 and a message on stderr, nothing on stdout', async () => {
    const base = { ...process.env };
    delete base.TRIBUTARY_API_KEY;
    for (const env of [base, { ...base, TRIBUTARY_API_KEY: 'not-a-key-of-this-server-0123456789' }]) {
      const r = await runStdioRaw(fixture, env);
      assert.equal(r.code, 2, `exit code; stderr:\n${r.stderr}`);
      assert.equal(r.stdout, '', 'stdout must carry JSON-RPC only');
      assert.match(r.stderr, /TRIBUTARY_API_KEY|key/i);
    }
  });

  test('an aborted call: the SDK sends notifications/cancelled, the query stops, no answer comes', async () => {
    // Its own process: the server's CPU time shows whether the query still runs.
    const c = await connectStdio(fixture, fixture.keys.alpha);
    try {
      const pid = c.inner.pid;
      const abort = new AbortController();
      const call = c.client.callTool(
        { name: 'run_query', arguments: { sql: ENDLESS_SQL, source: 'alpha_wh', timeout_ms: 60_000 } },
        undefined,
        { signal: abort.signal },
      );
      await sleep(500);
      abort.abort('the test cancels');
      await assert.rejects(call);
      const id = lastRequestId(c.transport, 'tools/call');
      assert.ok(
        c.transport.messages.some(
          (m) => m.dir === 'out' && m.message.method === 'notifications/cancelled' && m.message.params.requestId === id,
        ),
        'the SDK sent no notifications/cancelled',
      );
      // The server answers the next call, and after that the cancelled one has no answer.
      const n = toolResult(
        await c.client.callTool({
          name: 'run_query',
          arguments: { sql: 'SELECT count(*) AS n FROM orders', source: 'alpha_wh' },
        }),
      );
      assert.equal(n.rows[0][0], fixture.expected.ordersCount);
      await sleep(300);
      // The interrupted query uses no CPU any more (it would use one or more cores until its
      // 60 s timeout): less than a quarter of a core over one second.
      const before = cpuSeconds(pid);
      await sleep(1000);
      const used = cpuSeconds(pid) - before;
      assert.ok(used < 0.25, `the server used ${used} CPU seconds in the second after the cancel`);
      assert.equal(await waitForResponse(c.transport, id, 0), undefined, 'the cancelled call was answered');
    } finally {
      await c.close();
    }
  });

  test('logs go to stderr: every stdout line was a JSON-RPC message', () => {
    // The SDK reports a stdout line that is not JSON-RPC as a transport error and goes on, so
    // the calls above would pass regardless: the recorded errors must be none.
    assert.deepEqual(
      alpha.transport.errors.map((e) => String(e)),
      [],
    );
    const incoming = alpha.transport.messages.filter((m) => m.dir === 'in');
    assert.ok(incoming.length > 10, `only ${incoming.length} messages recorded`);
  });
});
