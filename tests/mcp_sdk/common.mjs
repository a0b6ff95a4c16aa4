// The checks both transports share (docs/mcp.md), run through the SDK's Client. Each test file
// starts its server, connects a client with alpha's key and calls defineCommonTests.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  AS_OF,
  CONTRACT_TOOLS,
  MCP_DEFAULT_ROW_LIMIT,
  MCP_MAX_RESULT_BYTES,
  STABLE_CODES,
  WRITES,
  toolError,
  toolResult,
} from './harness.mjs';

/** Numbers computed in double by the engine and here in a different order may differ in the last bits. */
export function assertClose(actual, expected, what) {
  assert.equal(typeof actual, 'number', `${what}: not a number (${JSON.stringify(actual)})`);
  const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected}`);
}

/** Asserts rows equal, comparing numbers with assertClose. */
export function assertRowsClose(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: row count (${JSON.stringify(actual)})`);
  actual.forEach((row, i) => {
    assert.equal(row.length, expected[i].length, `${what}: row ${i} width`);
    row.forEach((cell, j) => {
      if (typeof expected[i][j] === 'number') assertClose(cell, expected[i][j], `${what}[${i}][${j}]`);
      else assert.equal(cell, expected[i][j], `${what}[${i}][${j}]`);
    });
  });
}

export function assertKpi(actual, expected, what) {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: fields`);
  for (const [k, v] of Object.entries(expected)) assertClose(actual[k], v, `${what}.${k}`);
}

/** A tool error with a stable code (`code`, or one of an array); returns the error object. */
export function assertToolError(result, code, what) {
  const error = toolError(result);
  assert.ok(STABLE_CODES.has(error.code), `${what}: '${error.code}' is not one of the stable codes`);
  const codes = Array.isArray(code) ? code : [code];
  assert.ok(codes.includes(error.code), `${what}: ${error.code} (${error.message}), expected ${codes.join(' or ')}`);
  assert.ok(error.message.length > 0, `${what}: empty message`);
  return error;
}

/**
 * Defines the tests every transport must pass. `ctx()` returns {client, transport, fixture} of a
 * client connected with alpha's key (default project alpha).
 */
export function defineCommonTests(ctx) {
  test('initialize: server tributary, the SDK latest protocol revision, tools and resources', () => {
    const { client, transport } = ctx();
    const info = client.getServerVersion();
    assert.equal(info?.name, 'tributary');
    assert.equal(typeof info.version, 'string');
    assert.ok(info.version.length > 0, 'serverInfo.version is empty');
    const init = transport.initializeResult();
    assert.ok(init, 'no initialize result was recorded');
    assert.equal(init.protocolVersion, LATEST_PROTOCOL_VERSION);
    const caps = client.getServerCapabilities();
    assert.ok(caps?.tools, `no tools capability: ${JSON.stringify(caps)}`);
    assert.ok(caps?.resources, `no resources capability: ${JSON.stringify(caps)}`);
  });

  test('ping', async () => {
    assert.deepEqual(await ctx().client.ping(), {});
  });

  test('tools/list: every tool of docs/mcp.md with an input and an output schema', async () => {
    const { tools } = await ctx().client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const [name, spec] of Object.entries(CONTRACT_TOOLS)) {
      const tool = byName.get(name);
      assert.ok(tool, `tool ${name} missing; listed: ${[...byName.keys()].join(', ')}`);
      assert.ok(typeof tool.description === 'string' && tool.description.length > 0, `${name}: no description`);
      assert.equal(tool.inputSchema?.type, 'object', `${name}: inputSchema.type`);
      assert.equal(tool.inputSchema.additionalProperties, false, `${name}: inputSchema.additionalProperties`);
      const props = Object.keys(tool.inputSchema.properties ?? {});
      for (const p of spec.properties) assert.ok(props.includes(p), `${name}: input property ${p} missing (${props})`);
      if (spec.required) {
        assert.deepEqual(
          [...(tool.inputSchema.required ?? [])].sort(),
          [...spec.required].sort(),
          `${name}: required inputs`,
        );
      }
      assert.equal(tool.outputSchema?.type, 'object', `${name}: outputSchema.type`);
    }
  });

  test('tools/call list_sources: alpha sees its source only', async () => {
    const { client } = ctx();
    const out = toolResult(await client.callTool({ name: 'list_sources', arguments: {} }));
    assert.deepEqual(
      out.sources.map((s) => s.id),
      ['alpha_wh'],
    );
    const [s] = out.sources;
    assert.equal(s.type, 'duckdb');
    assert.equal(s.status, 'ok');
    assert.equal(typeof s.capabilities, 'object');
    // Naming the project gives the same list.
    const named = toolResult(await client.callTool({ name: 'list_sources', arguments: { project: 'alpha' } }));
    assert.deepEqual(
      named.sources.map((x) => x.id),
      ['alpha_wh'],
    );
  });

  test('tools/call describe_source: the tables and the CSV columns', async () => {
    const { client, fixture } = ctx();
    const all = toolResult(await client.callTool({ name: 'describe_source', arguments: { source: 'alpha_wh' } }));
    assert.equal(all.source, 'alpha_wh');
    assert.equal(all.truncated, false);
    const names = all.tables.map((t) => t.name).sort();
    assert.deepEqual(names, ['llm_logs', 'orders']);
    const orders = all.tables.find((t) => t.name === 'orders');
    assert.deepEqual(
      orders.columns.map(({ name, type }) => ({ name, type })),
      fixture.expected.ordersColumns,
    );
    for (const c of orders.columns) {
      assert.equal(typeof c.sourceType, 'string', `orders.${c.name}: sourceType`);
      assert.equal(typeof c.nullable, 'boolean', `orders.${c.name}: nullable`);
    }
    assert.deepEqual(
      all.tables.find((t) => t.name === 'llm_logs').columns.map((c) => c.name),
      fixture.expected.llmColumnNames,
    );
    // One table asked: that table only.
    const one = toolResult(
      await client.callTool({ name: 'describe_source', arguments: { source: 'alpha_wh', table: 'orders' } }),
    );
    assert.deepEqual(
      one.tables.map((t) => t.name),
      ['orders'],
    );
    assert.deepEqual(one.tables[0].columns, orders.columns);
    // A table that does not exist: NOT_FOUND.
    assertToolError(
      await client.callTool({ name: 'describe_source', arguments: { source: 'alpha_wh', table: 'no_such_table' } }),
      'NOT_FOUND',
      'describe_source of a missing table',
    );
  });

  test('tools/call run_query: typed columns and the rows of the data', async () => {
    const { client, fixture } = ctx();
    const { expected } = fixture;
    const out = toolResult(
      await client.callTool({ name: 'run_query', arguments: { sql: expected.regionSql, source: 'alpha_wh' } }),
    );
    assert.deepEqual(
      out.columns.map(({ name, type }) => ({ name, type })),
      expected.regionColumns,
    );
    assertRowsClose(out.rows, expected.regionRows, 'run_query rows');
    assert.equal(out.rowCount, expected.regionRows.length);
    assert.equal(out.truncated, false);
    assert.equal(typeof out.stats, 'object');
    assert.ok(Array.isArray(out.warnings), 'warnings is not an array');

    // Parameters bind $1; a limit cuts the rows and says so.
    const limited = toolResult(
      await client.callTool({
        name: 'run_query',
        arguments: {
          sql: 'SELECT order_id FROM orders WHERE amount > $1 ORDER BY order_id',
          source: 'alpha_wh',
          params: [10],
          limit: 2,
        },
      }),
    );
    assert.deepEqual(limited.rows, [[1], [2]]);
    assert.equal(limited.rowCount, 2);
    assert.equal(limited.truncated, true);

    // SQL the engine rejects is a tool error, not a protocol error.
    assertToolError(
      await client.callTool({
        name: 'run_query',
        arguments: { sql: 'SELECT no_such_column FROM orders', source: 'alpha_wh' },
      }),
      'QUERY_ERROR',
      'run_query of a missing column',
    );
  });

  test('tools/call run_query: doubles arrive bit for bit as the CSV has them', async () => {
    const { client, fixture } = ctx();
    const out = toolResult(
      await client.callTool({
        name: 'run_query',
        arguments: {
          sql: 'SELECT cost_usd, latency_ms FROM llm_logs ORDER BY request_id',
          source: 'alpha_wh',
          limit: 100,
        },
      }),
    );
    const differ = [];
    out.rows.forEach((row, i) => {
      const want = fixture.expected.costRows[i];
      if (row[0] !== want[0] || row[1] !== want[1])
        differ.push(`row ${i}: ${JSON.stringify(row)}, CSV ${JSON.stringify(want)}`);
    });
    assert.equal(out.rows.length, fixture.expected.costRows.length);
    assert.deepEqual(differ, []);
  });

  test('tools/call run_query without a limit: mcp.default_row_limit rows, truncated', async () => {
    const { client, fixture } = ctx();
    assert.ok(fixture.expected.llmRowCount > MCP_DEFAULT_ROW_LIMIT);
    const out = toolResult(
      await client.callTool({ name: 'run_query', arguments: { sql: 'SELECT * FROM llm_logs', source: 'alpha_wh' } }),
    );
    assert.equal(out.rows.length, MCP_DEFAULT_ROW_LIMIT);
    assert.equal(out.rowCount, MCP_DEFAULT_ROW_LIMIT);
    assert.equal(out.truncated, true);
  });

  test('tools/call run_query over mcp.max_result_bytes: rows cut from the end, truncated', async () => {
    const { client } = ctx();
    // 2,000 rows of about 110 bytes: about 220 KB of rows.
    const sql = "SELECT x, repeat('y', 100) AS pad FROM range(2000) t(x) ORDER BY x";
    const out = toolResult(
      await client.callTool({ name: 'run_query', arguments: { sql, source: 'alpha_wh', limit: 2000 } }),
    );
    assert.equal(out.truncated, true);
    assert.equal(out.stats.truncatedBy, 'mcp.max_result_bytes');
    assert.ok(out.rows.length > 0 && out.rows.length < 2000, `${out.rows.length} rows`);
    assert.equal(out.rowCount, out.rows.length);
    // The first rows are kept, in order.
    out.rows.forEach((row, i) => assert.equal(row[0], i));
    const size = Buffer.byteLength(JSON.stringify(out));
    assert.ok(size <= MCP_MAX_RESULT_BYTES, `the result is ${size} bytes`);
  });

  test('tools/call run_query: a write is refused and the table is intact', async () => {
    const { client, fixture } = ctx();
    const count = async () =>
      toolResult(
        await client.callTool({
          name: 'run_query',
          arguments: { sql: 'SELECT count(*) AS n FROM orders', source: 'alpha_wh' },
        }),
      ).rows[0][0];
    assert.equal(await count(), fixture.expected.ordersCount);
    for (const { sql, codes } of WRITES) {
      assertToolError(await client.callTool({ name: 'run_query', arguments: { sql, source: 'alpha_wh' } }), codes, sql);
    }
    assert.equal(await count(), fixture.expected.ordersCount);
  });

  test('tools/call with arguments outside the input schema: INVALID_ARGUMENT naming the argument', async () => {
    const { client } = ctx();
    const missing = assertToolError(
      await client.callTool({ name: 'run_query', arguments: {} }),
      'INVALID_ARGUMENT',
      'run_query without sql',
    );
    assert.match(missing.message, /sql/);
    const extra = assertToolError(
      await client.callTool({ name: 'list_sources', arguments: { bogus: 1 } }),
      'INVALID_ARGUMENT',
      'list_sources with an unknown argument',
    );
    assert.match(extra.message, /bogus/);
  });

  test('tools/call of an unknown tool is the protocol error -32602', async () => {
    await assert.rejects(
      ctx().client.callTool({ name: 'no_such_tool', arguments: {} }),
      (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams,
    );
  });

  test('tools/call list_metrics: the llm pack with its metrics and parameters', async () => {
    const out = toolResult(await ctx().client.callTool({ name: 'list_metrics', arguments: {} }));
    const llm = out.packs.find((p) => p.name === 'llm');
    assert.ok(llm, `no llm pack: ${out.packs.map((p) => p.name)}`);
    assert.equal(llm.dataset, 'llm_logs');
    const kpi = llm.metrics.find((m) => m.name === 'realtime_kpi');
    assert.ok(kpi, 'no llm/realtime_kpi');
    assert.ok(
      kpi.params.some((p) => p.name === 'asOf'),
      `realtime_kpi params: ${JSON.stringify(kpi.params)}`,
    );
    assert.ok(
      Array.isArray(kpi.fields) && kpi.fields.length === 6,
      `realtime_kpi fields: ${JSON.stringify(kpi.fields)}`,
    );
    const daily = llm.metrics.find((m) => m.name === 'daily_traffic');
    assert.ok(
      daily?.params.some((p) => p.name === 'days'),
      'daily_traffic has no days parameter',
    );
    // Filtered to one pack.
    const one = toolResult(await ctx().client.callTool({ name: 'list_metrics', arguments: { pack: 'llm' } }));
    assert.deepEqual(
      one.packs.map((p) => p.name),
      ['llm'],
    );
    // Every pack without a project (web too); with one, the packs whose dataset it binds.
    assert.ok(
      out.packs.some((p) => p.name === 'web'),
      `packs: ${out.packs.map((p) => p.name)}`,
    );
    const alpha = toolResult(await ctx().client.callTool({ name: 'list_metrics', arguments: { project: 'alpha' } }));
    assert.deepEqual(
      alpha.packs.map((p) => p.name),
      ['llm'],
    );
  });

  test('tools/call get_metric: llm/realtime_kpi over the test data', async () => {
    const { client, fixture } = ctx();
    const out = toolResult(
      await client.callTool({
        name: 'get_metric',
        arguments: { pack: 'llm', metric: 'realtime_kpi', params: { asOf: AS_OF } },
      }),
    );
    assertKpi(out.data, fixture.expected.realtimeKpi, 'realtime_kpi');
    assert.equal(out.meta.project, 'alpha');
    assert.equal(out.meta.pack, 'llm');
    assert.equal(out.meta.metric, 'realtime_kpi');
    // A parameter out of range is a tool error naming it.
    const bad = assertToolError(
      await client.callTool({
        name: 'get_metric',
        arguments: { pack: 'llm', metric: 'daily_traffic', params: { days: 9999 } },
      }),
      'INVALID_ARGUMENT',
      'daily_traffic days=9999',
    );
    assert.match(bad.message, /days/);
    assertToolError(
      await client.callTool({ name: 'get_metric', arguments: { pack: 'llm', metric: 'no_such_metric' } }),
      'NOT_FOUND',
      'an unknown metric',
    );
  });

  test('resources: the schema resource of alpha_wh, listed and read; beta_wh is not found', async () => {
    const { client } = ctx();
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    assert.deepEqual(uris, ['tributary://sources/alpha_wh/schema']);
    assert.equal(resources[0].mimeType, 'application/json');
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(
      resourceTemplates.some((t) => t.uriTemplate === 'tributary://sources/{source}/schema'),
      `templates: ${JSON.stringify(resourceTemplates)}`,
    );
    const read = await client.readResource({ uri: 'tributary://sources/alpha_wh/schema' });
    assert.equal(read.contents.length, 1);
    const [content] = read.contents;
    assert.equal(content.uri, 'tributary://sources/alpha_wh/schema');
    assert.equal(content.mimeType, 'application/json');
    const schema = JSON.parse(content.text);
    const described = toolResult(await client.callTool({ name: 'describe_source', arguments: { source: 'alpha_wh' } }));
    assert.deepEqual(schema, described);
    for (const uri of ['tributary://sources/beta_wh/schema', 'tributary://sources/no_such_source/schema']) {
      await assert.rejects(
        client.readResource({ uri }),
        (e) => e instanceof McpError && e.code === -32002,
        `resources/read ${uri} must be -32002`,
      );
    }
  });

  test("alpha's key on beta: PERMISSION_DENIED on every tool", async () => {
    const { client } = ctx();
    const calls = [
      { name: 'run_query', arguments: { sql: 'SELECT * FROM customers', source: 'beta_wh' } },
      { name: 'run_query', arguments: { sql: 'SELECT * FROM customers', source: 'beta_wh', project: 'beta' } },
      { name: 'describe_source', arguments: { source: 'beta_wh' } },
      { name: 'list_sources', arguments: { project: 'beta' } },
      { name: 'list_metrics', arguments: { project: 'beta' } },
      { name: 'get_metric', arguments: { pack: 'llm', metric: 'realtime_kpi', project: 'beta' } },
    ];
    for (const call of calls) {
      const error = assertToolError(await client.callTool(call), 'PERMISSION_DENIED', JSON.stringify(call));
      assert.doesNotMatch(error.message, /Ada|Linus|Grace/, 'a refusal must not leak beta data');
    }
  });
}
