// Shared set-up for the MCP tests with the official MCP TypeScript SDK client
// (@modelcontextprotocol/sdk, docs/mcp.md): writes a config with two projects (alpha, beta),
// each with a DuckDB source over CSV files written here and its own random API key, starts the
// real `tributary serve` (HTTP, /mcp) or `tributary mcp` (stdio), connects the SDK's client, and
// computes from the same data the answers the server must give.
//
// Environment:
//   TRIBUTARY_BIN   the binary (default <repo>/build/tributary)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoDir = path.resolve(here, '..', '..');
export const binary = path.resolve(process.env.TRIBUTARY_BIN ?? path.join(repoDir, 'build', 'tributary'));

/** The tools docs/mcp.md lists, with the input properties it names and the required ones. */
export const CONTRACT_TOOLS = {
  list_sources: { required: [], properties: ['project'] },
  describe_source: { required: ['source'], properties: ['source', 'project', 'table'] },
  run_query: {
    required: ['sql'],
    properties: ['sql', 'source', 'project', 'params', 'options', 'limit', 'timeout_ms'],
  },
  list_metrics: { required: [], properties: ['project', 'pack'] },
  get_metric: { required: ['pack', 'metric'], properties: ['pack', 'metric', 'project', 'params'] },
  // The body of POST /api/v1/investigate (docs/investigate.md); its required members are not fixed here.
  investigate: { required: null, properties: ['question', 'context'] },
};

/** The REST API's stable error codes (README, API reference). */
export const STABLE_CODES = new Set([
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'RATE_LIMITED',
  'QUERY_ERROR',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'COST_LIMIT',
  'CONFIG_ERROR',
  'INTERNAL',
]);

/**
 * Writes run_query must refuse, with the codes allowed. The statement guard refuses DROP and
 * CREATE with PERMISSION_DENIED; an INSERT or DELETE on a file-backed table (a view) fails in
 * DuckDB's binder first, which the REST API reports as QUERY_ERROR.
 */
export const WRITES = [
  { sql: 'DROP VIEW orders', codes: ['PERMISSION_DENIED'] },
  { sql: 'DROP TABLE orders', codes: ['PERMISSION_DENIED'] },
  { sql: 'CREATE TABLE stolen AS SELECT * FROM orders', codes: ['PERMISSION_DENIED'] },
  {
    sql: "INSERT INTO orders VALUES (99, 'north', 1.0, DATE '2026-11-10')",
    codes: ['PERMISSION_DENIED', 'QUERY_ERROR'],
  },
  { sql: 'DELETE FROM orders', codes: ['PERMISSION_DENIED', 'QUERY_ERROR'] },
];

/** `mcp.default_row_limit` and `mcp.max_result_bytes` of the test's config. */
export const MCP_DEFAULT_ROW_LIMIT = 25;
export const MCP_MAX_RESULT_BYTES = 65536;

// "now" of the metric calls: every window is computed from it, so the answer is fixed.
export const AS_OF = '2026-11-21T12:00:00Z';

const ORDERS = [
  // order_id, region, amount, placed_at
  [1, 'north', 12.5, '2026-11-01'],
  [2, 'south', 40.25, '2026-11-02'],
  [3, 'north', 7.75, '2026-11-03'],
  [4, 'east', 100.0, '2026-11-03'],
  [5, 'south', 3.5, '2026-11-04'],
  [6, 'north', 20.0, '2026-11-05'],
  [7, 'east', 0.25, '2026-11-06'],
  [8, 'west', 64.5, '2026-11-07'],
  [9, 'south', 18.0, '2026-11-08'],
  [10, 'north', 1.5, '2026-11-09'],
];

const CUSTOMERS = [
  [1, 'Ada'],
  [2, 'Linus'],
  [3, 'Grace'],
];

const LLM_COLUMNS = [
  'timestamp',
  'request_id',
  'tenant_id',
  'user_id',
  'model',
  'status',
  'error_type',
  'latency_ms',
  'prompt_tokens',
  'completion_tokens',
  'cost_usd',
  'query_category',
  'is_anomaly',
  'anomaly_type',
];

/** 30 requests, one every 100 minutes back from AS_OF - 7 min: the first 15 are in the last 24 h. */
function llmRows() {
  const asOf = Date.parse(AS_OF);
  const rows = [];
  for (let i = 0; i < 30; i++) {
    const ts = new Date(asOf - (i * 100 + 7) * 60_000);
    const error = i % 5 === 0;
    rows.push({
      timestamp: ts.toISOString().replace('T', ' ').replace('.000Z', ''),
      tsMs: ts.getTime(),
      request_id: `req-${String(i).padStart(3, '0')}`,
      tenant_id: `t${i % 3}`,
      user_id: `u${i % 4}`,
      model: i % 2 ? 'gpt-x' : 'claude-y',
      status: error ? 'error' : 'success',
      error_type: error ? 'timeout' : '',
      latency_ms: 100 + i * 10.5,
      prompt_tokens: 100 + i,
      completion_tokens: 50 + 2 * i,
      cost_usd: 0.001 * (i + 1),
      query_category: i % 2 ? 'search' : 'chat',
      is_anomaly: i % 7 === 0,
      anomaly_type: i % 7 === 0 ? 'spike' : '',
    });
  }
  return rows;
}

const csv = (header, rows) => [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/**
 * Writes the data and the config into a fresh temp dir. Returns the paths, the two projects'
 * keys and the answers computed from the data.
 */
export function makeFixture() {
  const dir = mkdtempSync(path.join(tmpdir(), 'trib-mcp-sdk-'));
  mkdirSync(path.join(dir, 'alpha'));
  mkdirSync(path.join(dir, 'beta'));
  writeFileSync(path.join(dir, 'alpha', 'orders.csv'), csv(['order_id', 'region', 'amount', 'placed_at'], ORDERS));
  const logs = llmRows();
  writeFileSync(
    path.join(dir, 'alpha', 'llm_logs.csv'),
    csv(
      LLM_COLUMNS,
      logs.map((r) => LLM_COLUMNS.map((c) => r[c])),
    ),
  );
  writeFileSync(path.join(dir, 'beta', 'customers.csv'), csv(['customer_id', 'name'], CUSTOMERS));

  // Random keys (64 hex characters); the config holds only their SHA-256.
  const keys = { alpha: randomBytes(32).toString('hex'), beta: randomBytes(32).toString('hex') };
  const configPath = path.join(dir, 'tributary.yaml');
  writeFileSync(
    configPath,
    `# Written by tests/mcp_sdk/harness.mjs
sources:
  alpha_wh:
    type: duckdb
    tables:
      orders: ./alpha/orders.csv
      llm_logs: ./alpha/llm_logs.csv
  beta_wh:
    type: duckdb
    tables:
      customers: ./beta/customers.csv

projects:
  alpha:
    sources: [alpha_wh]
    datasets:
      llm_logs: {source: alpha_wh, table: llm_logs}
  beta:
    sources: [beta_wh]

default_project: alpha

auth:
  keys:
    - name: alpha-agent
      sha256: ${sha256(keys.alpha)}
      projects: [alpha]
      roles: [read, query]
    - name: beta-agent
      sha256: ${sha256(keys.beta)}
      projects: [beta]
      roles: [read, query]

rate_limits: {per_minute: 0, per_hour: 0}

mcp:
  default_row_limit: ${MCP_DEFAULT_ROW_LIMIT}   # below llm_logs' 30 rows: run_query without a limit is cut
  max_result_bytes: ${MCP_MAX_RESULT_BYTES}
`,
  );
  return {
    dir,
    configPath,
    keys,
    expected: expectedAnswers(logs),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What the server must answer for the fixture's data (computed here, not asked). */
function expectedAnswers(logs) {
  // SELECT region, count(*) AS n, sum(amount) AS total, min(placed_at) AS first_day
  // FROM orders GROUP BY region ORDER BY region
  const byRegion = new Map();
  for (const [, region, amount, day] of ORDERS) {
    const g = byRegion.get(region) ?? { n: 0, total: 0, first: day };
    g.n += 1;
    g.total += amount;
    if (day < g.first) g.first = day;
    byRegion.set(region, g);
  }
  const regionRows = [...byRegion.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([region, g]) => [region, g.n, g.total, g.first]);

  const to = Date.parse(AS_OF);
  const from = to - 24 * 3600_000;
  const win = logs.filter((r) => r.tsMs >= from && r.tsMs < to);
  const n = win.length;
  const realtimeKpi = {
    totalRequests: n,
    successRate: n ? (100 * win.filter((r) => r.status === 'success').length) / n : 0,
    avgResponseTime: n ? win.reduce((s, r) => s + r.latency_ms, 0) / n : 0,
    totalTokens: win.reduce((s, r) => s + r.prompt_tokens + r.completion_tokens, 0),
    activeUsers: new Set(win.map((r) => r.user_id)).size,
    errorCount: win.filter((r) => r.status === 'error').length,
  };
  return {
    ordersCount: ORDERS.length,
    regionSql:
      'SELECT region, count(*) AS n, sum(amount) AS total, min(placed_at) AS first_day ' +
      'FROM orders GROUP BY region ORDER BY region',
    regionColumns: [
      { name: 'region', type: 'string' },
      { name: 'n', type: 'int64' },
      { name: 'total', type: 'double' },
      { name: 'first_day', type: 'date' },
    ],
    regionRows,
    // describe_source: the CSV's header, typed as DuckDB's CSV sniffer reads the values.
    ordersColumns: [
      { name: 'order_id', type: 'int64' },
      { name: 'region', type: 'string' },
      { name: 'amount', type: 'double' },
      { name: 'placed_at', type: 'date' },
    ],
    llmColumnNames: LLM_COLUMNS,
    llmRowCount: logs.length,
    // SELECT cost_usd, latency_ms FROM llm_logs ORDER BY request_id: the doubles as written in
    // the CSV (JavaScript's shortest round-trip text), which must arrive bit for bit.
    costRows: [...logs].sort((a, b) => (a.request_id < b.request_id ? -1 : 1)).map((r) => [r.cost_usd, r.latency_ms]),
    customerNames: CUSTOMERS.map(([, name]) => name).sort(),
    realtimeKpi,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function requireBinary() {
  if (!existsSync(binary)) throw new Error(`no tributary binary at ${binary}: build it first (make build)`);
}

/**
 * Starts `tributary serve --config F --listen 127.0.0.1:0 --no-web` and reads the port the
 * kernel chose from its "listening on" line on stdout.
 */
export async function startServe(fixture, { timeoutMs = 30_000 } = {}) {
  requireBinary();
  const proc = spawn(binary, ['serve', '--config', fixture.configPath, '--listen', '127.0.0.1:0', '--no-web'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let url;
  proc.stderr.on('data', (d) => (log += d));
  const listening = new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      log += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m && !url) {
        url = m[1].replace(/\/$/, '');
        resolve(url);
      }
    });
    proc.once('exit', (code) => reject(new Error(`tributary serve exited with ${code} before listening:\n${log}`)));
    setTimeout(
      () => reject(new Error(`tributary serve did not listen within ${timeoutMs} ms:\n${log}`)),
      timeoutMs,
    ).unref();
  });
  try {
    await listening;
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    url,
    log: () => log,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A JSON call to the REST API (what an MCP tool call must agree with). */
export async function rest(url, pathAndQuery, { key, method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${url}${pathAndQuery}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text };
}

/**
 * Wraps an SDK transport and records every JSON-RPC message in both directions, so a test can
 * read what was negotiated (the initialize result) and a failure can show the exchange.
 */
class RecordingTransport {
  constructor(inner) {
    this.inner = inner;
    this.messages = [];
    // Errors the transport reported (e.g. a stdout line that is not JSON-RPC).
    this.errors = [];
    if (typeof inner.setProtocolVersion === 'function') {
      this.setProtocolVersion = (v) => inner.setProtocolVersion(v);
    }
  }
  get sessionId() {
    return this.inner.sessionId;
  }
  async start() {
    this.inner.onmessage = (message, extra) => {
      this.messages.push({ dir: 'in', message });
      this.onmessage?.(message, extra);
    };
    this.inner.onerror = (e) => {
      this.errors.push(e);
      this.onerror?.(e);
    };
    this.inner.onclose = () => this.onclose?.();
    await this.inner.start();
  }
  async send(message, options) {
    this.messages.push({ dir: 'out', message });
    await this.inner.send(message, options);
  }
  async close() {
    await this.inner.close();
  }
  /** The result of the initialize request, as the server sent it. */
  initializeResult() {
    const req = this.messages.find((m) => m.dir === 'out' && m.message.method === 'initialize');
    const res = req && this.messages.find((m) => m.dir === 'in' && m.message.id === req.message.id);
    return res?.message.result;
  }
}

const newClient = () => new Client({ name: 'tributary-mcp-sdk-test', version: '1.0.0' });

/** Connects the SDK's client over streamable HTTP to `url`/mcp, with `key` as Bearer token. */
export async function connectHttp(url, key) {
  const headers = key ? { Authorization: `Bearer ${key}` } : {};
  const inner = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } });
  const transport = new RecordingTransport(inner);
  const client = newClient();
  await client.connect(transport);
  return { client, transport, inner, close: () => client.close() };
}

/** Starts `tributary mcp --config F` with TRIBUTARY_API_KEY=key and connects the SDK over stdio. */
export async function connectStdio(fixture, key) {
  requireBinary();
  const env = { ...process.env };
  delete env.TRIBUTARY_API_KEY;
  if (key !== undefined) env.TRIBUTARY_API_KEY = key;
  const inner = new StdioClientTransport({
    command: binary,
    args: ['mcp', '--config', fixture.configPath],
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  inner.stderr?.on('data', (d) => (stderr += d));
  const transport = new RecordingTransport(inner);
  const client = newClient();
  await client.connect(transport);
  return { client, transport, inner, stderr: () => stderr, close: () => client.close() };
}

/** Runs `tributary mcp --config F` with `env` and stdin closed; resolves {code, stdout, stderr}. */
export function runStdioRaw(fixture, env, { timeoutMs = 15_000 } = {}) {
  requireBinary();
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, ['mcp', '--config', fixture.configPath], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`tributary mcp did not exit within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    proc.stdin.end();
  });
}

/** The `{error: {code, message}}` object of a tool error result (isError with one JSON text). */
export function toolError(result) {
  if (result.isError !== true) {
    throw new Error(`expected a tool error, got a result: ${JSON.stringify(result).slice(0, 500)}`);
  }
  const text = result.content?.find((c) => c.type === 'text')?.text;
  if (typeof text !== 'string') throw new Error(`tool error without text content: ${JSON.stringify(result)}`);
  const parsed = JSON.parse(text);
  if (!parsed.error || typeof parsed.error.code !== 'string' || typeof parsed.error.message !== 'string') {
    throw new Error(`tool error text is not {error: {code, message}}: ${text}`);
  }
  return parsed.error;
}

/** The structured result of a successful tool call, checked against its text content. */
export function toolResult(result) {
  if (result.isError) throw new Error(`tool call failed: ${JSON.stringify(result.content)}`);
  if (!result.structuredContent) throw new Error(`no structuredContent: ${JSON.stringify(result).slice(0, 500)}`);
  const text = result.content?.find((c) => c.type === 'text')?.text;
  if (typeof text !== 'string') throw new Error(`no text content: ${JSON.stringify(result.content)}`);
  assert.deepStrictEqual(JSON.parse(text), result.structuredContent, 'the text content must hold the same JSON');
  return result.structuredContent;
}

export { sleep };

/**
 * A query DuckDB needs many minutes for (a filtered count over 10^12 generated rows), so a
 * test can cancel it while it runs.
 */
export const ENDLESS_SQL = 'SELECT count(*) AS n FROM range(1000000000000) t(x) WHERE x % 7 = 3';

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Waits until a message with id `id` came in on the recording transport, or `timeoutMs`. */
export async function waitForResponse(transport, id, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = transport.messages.find((x) => x.dir === 'in' && x.message.id === id && !x.message.method);
    if (m || Date.now() > deadline) return m?.message;
    await sleep(25);
  }
}

/** The id of the last request of `method` the client sent. */
export function lastRequestId(transport, method) {
  const sent = transport.messages.filter((m) => m.dir === 'out' && m.message.method === method);
  return sent.at(-1)?.message.id;
}
