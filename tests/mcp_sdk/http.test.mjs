// MCP over streamable HTTP (POST /mcp on `tributary serve`) with the SDK's
// StreamableHTTPClientTransport: the common checks, the answers compared with the REST API's
// for the same request, beta's own key, and a client without a key.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { assertKpi, assertRowsClose, assertToolError, defineCommonTests } from './common.mjs';
import {
  AS_OF,
  ENDLESS_SQL,
  WRITES,
  connectHttp,
  lastRequestId,
  makeFixture,
  rest,
  sleep,
  startServe,
  toolResult,
  waitForResponse,
} from './harness.mjs';

describe('MCP over streamable HTTP with the SDK client', () => {
  let fixture;
  let server;
  let alpha;

  before(async () => {
    fixture = makeFixture();
    server = await startServe(fixture);
    alpha = await connectHttp(server.url, fixture.keys.alpha);
  });

  after(async () => {
    await alpha?.close();
    await server?.stop();
    fixture?.cleanup();
  });

  const ctx = () => ({ client: alpha.client, transport: alpha.transport, fixture });

  test('the HTTP transport negotiated the SDK latest revision and has no session', () => {
    // The SDK sends MCP-Protocol-Version with this value on every later request.
    assert.equal(alpha.inner.protocolVersion, alpha.transport.initializeResult().protocolVersion);
    assert.equal(alpha.inner.sessionId, undefined, 'the server is stateless: no Mcp-Session-Id');
  });

  defineCommonTests(ctx);

  test('run_query answers the rows POST /api/v1/query answers for the same SQL', async () => {
    const { expected } = fixture;
    for (const sql of [
      expected.regionSql,
      'SELECT * FROM orders ORDER BY order_id',
      'SELECT * FROM llm_logs ORDER BY request_id',
    ]) {
      const mcp = toolResult(
        await alpha.client.callTool({ name: 'run_query', arguments: { sql, source: 'alpha_wh', limit: 1000 } }),
      );
      const r = await rest(server.url, '/api/v1/query', {
        key: fixture.keys.alpha,
        method: 'POST',
        body: { sql, source: 'alpha_wh', limit: 1000 },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        mcp.columns.map(({ name, type }) => ({ name, type })),
        r.json.columns.map(({ name, type }) => ({ name, type })),
        `${sql}: columns`,
      );
      assert.deepEqual(mcp.rows, r.json.rows, `${sql}: rows`);
      assert.ok(mcp.rows.length > 0, `${sql}: no rows`);
    }
    // And both agree with the data.
    const mcp = toolResult(
      await alpha.client.callTool({ name: 'run_query', arguments: { sql: expected.regionSql, source: 'alpha_wh' } }),
    );
    assertRowsClose(mcp.rows, expected.regionRows, 'region rows');
  });

  test('each refused write has the code the REST API gives for it', async () => {
    for (const { sql, codes } of WRITES) {
      const mcp = assertToolError(
        await alpha.client.callTool({ name: 'run_query', arguments: { sql, source: 'alpha_wh' } }),
        codes,
        sql,
      );
      const r = await rest(server.url, '/api/v1/query', {
        key: fixture.keys.alpha,
        method: 'POST',
        body: { sql, source: 'alpha_wh' },
      });
      assert.ok(r.status >= 400, `${sql}: REST ${r.status}`);
      assert.equal(mcp.code, r.json.error.code, `${sql}: REST says ${r.text}`);
    }
  });

  test('get_metric answers the data of the REST metric route for the same parameters', async () => {
    const cases = [
      { metric: 'realtime_kpi', params: { asOf: AS_OF }, query: `asOf=${encodeURIComponent(AS_OF)}` },
      { metric: 'daily_traffic', params: { asOf: AS_OF, days: 3 }, query: `asOf=${encodeURIComponent(AS_OF)}&days=3` },
      {
        metric: 'sample_logs',
        params: { asOf: AS_OF, limit: 5, status: 'error' },
        query: `asOf=${encodeURIComponent(AS_OF)}&limit=5&status=error`,
      },
    ];
    for (const c of cases) {
      const mcp = toolResult(
        await alpha.client.callTool({
          name: 'get_metric',
          arguments: { project: 'alpha', pack: 'llm', metric: c.metric, params: c.params },
        }),
      );
      const r = await rest(server.url, `/api/v1/projects/alpha/metrics/llm/${c.metric}?${c.query}`, {
        key: fixture.keys.alpha,
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(mcp.data, r.json.data, `${c.metric}: data`);
      assert.equal(mcp.meta.from, r.json.meta.from, `${c.metric}: meta.from`);
      assert.equal(mcp.meta.to, r.json.meta.to, `${c.metric}: meta.to`);
      if (c.metric === 'realtime_kpi') assertKpi(mcp.data, fixture.expected.realtimeKpi, 'realtime_kpi');
      else assert.ok(Array.isArray(mcp.data) && mcp.data.length > 0, `${c.metric}: no rows`);
    }
  });

  test("beta's key sees beta only, over the same endpoint", async () => {
    const beta = await connectHttp(server.url, fixture.keys.beta);
    try {
      const sources = toolResult(await beta.client.callTool({ name: 'list_sources', arguments: { project: 'beta' } }));
      assert.deepEqual(
        sources.sources.map((s) => s.id),
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
      assertToolError(
        await beta.client.callTool({
          name: 'run_query',
          arguments: { sql: 'SELECT * FROM orders', source: 'alpha_wh' },
        }),
        'PERMISSION_DENIED',
        "beta's key on alpha_wh",
      );
      const { resources } = await beta.client.listResources();
      assert.deepEqual(
        resources.map((r) => r.uri),
        ['tributary://sources/beta_wh/schema'],
      );
    } finally {
      await beta.close();
    }
  });

  test('without a key, or with an unknown one, the SDK connect fails with 401', async () => {
    for (const key of [undefined, 'not-a-key-of-this-server-0123456789']) {
      await assert.rejects(
        connectHttp(server.url, key),
        (e) => e instanceof StreamableHTTPError && e.code === 401,
        `key ${key ?? '(none)'}`,
      );
    }
    // What the SDK saw: 401 with WWW-Authenticate: Bearer.
    const r = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    await r.arrayBuffer();
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  test('an aborted call: the SDK sends notifications/cancelled, the query stops and its POST gets CANCELLED', async () => {
    // Its own client: the answer to the aborted call reaches the SDK after it gave up on it,
    // which the SDK reports as a transport error.
    const c = await connectHttp(server.url, fixture.keys.alpha);
    try {
      const abort = new AbortController();
      const call = c.client.callTool(
        { name: 'run_query', arguments: { sql: ENDLESS_SQL, source: 'alpha_wh', timeout_ms: 60_000 } },
        undefined,
        { signal: abort.signal },
      );
      await sleep(500);
      const cancelledAt = Date.now();
      abort.abort('the test cancels');
      await assert.rejects(call);
      const id = lastRequestId(c.transport, 'tools/call');
      assert.ok(
        c.transport.messages.some(
          (m) => m.dir === 'out' && m.message.method === 'notifications/cancelled' && m.message.params.requestId === id,
        ),
        'the SDK sent no notifications/cancelled',
      );
      // Without the cancel the query would run until its 60 s timeout.
      const answer = await waitForResponse(c.transport, id, 10_000);
      assert.ok(answer, `no answer to the cancelled call within 10 s (the query was not interrupted)`);
      assertToolError(answer.result, 'CANCELLED', 'the cancelled call');
      assert.ok(Date.now() - cancelledAt < 10_000);
      // The server goes on serving.
      const n = toolResult(
        await c.client.callTool({
          name: 'run_query',
          arguments: { sql: 'SELECT count(*) AS n FROM orders', source: 'alpha_wh' },
        }),
      );
      assert.equal(n.rows[0][0], fixture.expected.ordersCount);
    } finally {
      await c.close();
    }
  });

  test('the SDK reported no transport error (e.g. on its GET /mcp for a stream, answered 405)', () => {
    assert.deepEqual(
      alpha.transport.errors.map((e) => String(e)),
      [],
    );
  });
});
