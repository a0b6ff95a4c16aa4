// Shared set-up for the dashboard's browser tests: starts the real `tributary serve` on a free
// loopback port (serving web/dist and the API), launches Debian's Chromium through
// playwright-core, records console errors, and writes screenshots under the build folder.
//
// Environment:
//   TRIBUTARY_BIN             the binary (default ../build/tributary from web/)
//   TRIB_E2E_DATA_DIR         where the demo database is created once and reused
//                             (default <dir of the binary>/e2e-data)
//   TRIB_E2E_SCREENSHOT_DIR   where screenshots go (default <dir of the binary>/web-screenshots)
//   TRIB_E2E_CHROMIUM         the browser (default /usr/bin/chromium)

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webDir = path.resolve(here, '..');
export const repoDir = path.resolve(webDir, '..');
export const binary = path.resolve(process.env.TRIBUTARY_BIN ?? path.join(repoDir, 'build', 'tributary'));
const buildDir = path.dirname(binary);
export const screenshotDir = path.resolve(
  process.env.TRIB_E2E_SCREENSHOT_DIR ?? path.join(buildDir, 'web-screenshots'),
);
export const dataDir = path.resolve(process.env.TRIB_E2E_DATA_DIR ?? path.join(buildDir, 'e2e-data'));
const distDir = path.join(webDir, 'dist');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A free TCP port on 127.0.0.1 (the OS picks it; there is a small race, acceptable in tests). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `tributary serve`. Without `config` it serves the embedded demo (data in the shared
 * demo folder). `config` is YAML text written to a temp file; `env` is added to the process's.
 * Resolves once /readyz answers (any status: a config with a dead source is still served).
 */
export async function startServer({ config, env = {}, readyTimeoutMs = 90_000 } = {}) {
  if (!existsSync(binary)) throw new Error(`no tributary binary at ${binary}: build it first (make build)`);
  if (!existsSync(path.join(distDir, 'index.html'))) {
    throw new Error(`the dashboard is not built (${distDir}/index.html missing): run npm --prefix web run build`);
  }
  const port = await freePort();
  const args = ['serve', '-l', `127.0.0.1:${port}`, '--web-dir', distDir];
  let configPath;
  if (config) {
    const dir = mkdtempSync(path.join(tmpdir(), 'trib-e2e-'));
    configPath = path.join(dir, 'tributary.yaml');
    writeFileSync(configPath, config);
    args.push('--config', configPath);
  } else {
    mkdirSync(dataDir, { recursive: true });
    args.push('--data-dir', dataDir);
  }
  const proc = spawn(binary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`tributary exited with ${proc.exitCode} before serving:\n${log}`);
    try {
      const r = await fetch(`${url}/readyz`);
      await r.arrayBuffer();
      break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`tributary did not answer /readyz within ${readyTimeoutMs} ms:\n${log}`);
    }
    await sleep(100);
  }
  return {
    url,
    configPath,
    log: () => log,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      const exited = new Promise((r) => proc.once('exit', r));
      const timeout = sleep(10_000).then(() => proc.kill('SIGKILL'));
      await Promise.race([exited, timeout]);
    },
    /** Sends SIGHUP (config reload). */
    reload() {
      proc.kill('SIGHUP');
    },
  };
}

/** GETs an API path (JSON) from a started server, with an optional API key. */
export async function api(server, pathAndQuery, { key, method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${server.url}${pathAndQuery}`, {
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

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.TRIB_E2E_CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** Viewports the suite checks: a laptop and a phone. */
export const LAPTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

/**
 * A new page (own context, so storage is fresh) whose console errors and uncaught exceptions are
 * collected in `errors`. `theme` sets the stored theme before any script runs.
 */
export async function openPage(browser, { theme = 'light', viewport = LAPTOP, apiKey } = {}) {
  const context = await browser.newContext({ viewport, colorScheme: theme });
  await context.addInitScript(
    ([t, key]) => {
      localStorage.setItem('tributary.theme', t);
      if (key) sessionStorage.setItem('tributary.apiKey', key);
    },
    [theme, apiKey ?? null],
  );
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return { page, context, errors };
}

/** Saves a full-page screenshot as <screenshotDir>/<name>.png and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Waits until no element in the page is in a loading state (panels done). */
export async function waitForSettled(page, timeout = 30_000) {
  await page.waitForFunction(
    () => document.querySelectorAll('[data-state="loading"], [aria-busy="true"]').length === 0,
    null,
    {
      timeout,
    },
  );
}

/**
 * The value of a form control once it equals `expected`, or the last value seen after `timeout`
 * (so a failing assert names it). Controls set from the URL or from data still loading take their
 * value a moment after they appear: React Router applies navigations in a transition.
 */
export async function waitForValue(locator, expected, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let value = await locator.inputValue();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await locator.inputValue();
  }
  return value;
}

/**
 * Imports one of the dashboard's own TypeScript modules (e.g. 'src/format.ts'), compiled with
 * Vite's esbuild, so a test formats and computes exactly as the page does. Only modules
 * without relative imports can be loaded this way.
 */
export async function importWebModule(relativePath) {
  const { transformWithEsbuild } = await import('vite');
  const file = path.join(webDir, relativePath);
  const out = await transformWithEsbuild(readFileSync(file, 'utf8'), file, { format: 'esm' });
  return import(`data:text/javascript;base64,${Buffer.from(out.code).toString('base64')}`);
}

/**
 * The set-up most browser test files share: the demo server and one browser. Use as
 *   before(async () => ({ server, browser, stop } = await startDemoAndBrowser()));
 *   after(() => stop?.());
 */
export async function startDemoAndBrowser() {
  const server = await startServer();
  let browser;
  try {
    browser = await launchBrowser();
  } catch (e) {
    await server.stop();
    throw e;
  }
  return {
    server,
    browser,
    async stop() {
      await browser.close();
      await server.stop();
    },
  };
}
