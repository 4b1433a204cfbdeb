// The page of floor checks (page/checks.js), bundled with esbuild as an
// app's bundler would, served on 127.0.0.1 (a secure context: crypto.subtle),
// and run in one engine: WPE WebKit or WebKitGTK through the shared W3C
// WebDriver client (tests/browser/webdriver.mjs), or Debian's Chromium
// through playwright-core. Each run loads the page, runs the 'first' checks,
// reloads, and runs the 'reopen' checks; stripped.html deletes the newer
// APIs first (page/strip.js).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startDriver, startXvfb, WEBKITGTK_DRIVER, WPE_DRIVER } from '../browser/webdriver.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.join(root, 'build', 'floor');
export const CHROMIUM = process.env.ENVEIL_CHROMIUM ?? '/usr/bin/chromium';
/** The Chromium flags tests/e2e uses. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CHECKS_TIMEOUT_MS = 120_000;

// Errors the page raises before or while the bundle loads (a syntax error an
// old engine finds in it, a failed import) are kept for the report.
const CATCH = `<script>globalThis.floorErrors = [];
addEventListener('error', (e) => floorErrors.push(String(e.message || e.error)));
addEventListener('unhandledrejection', (e) => floorErrors.push(String(e.reason && e.reason.message || e.reason)));</script>`;
const PAGES = {
  'index.html': `<!doctype html><meta charset="utf-8"><title>enveil floor</title>${CATCH}<script type="module" src="checks.js"></script>`,
  'stripped.html': `<!doctype html><meta charset="utf-8"><title>enveil floor, newer APIs deleted</title>${CATCH}<script src="strip.js"></script><script type="module" src="checks.js"></script>`,
};
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

let built;
/** Bundles page/checks.js into build/floor/ once per process (about 0.1 s). */
export function buildPage() {
  built ??= (async () => {
    await mkdir(out, { recursive: true });
    await build({
      entryPoints: [path.join(here, 'page/checks.js')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022', // as demo/build.js: enveil's own syntax reaches the engine as written
      outfile: path.join(out, 'checks.js'),
      logLevel: 'warning',
    });
    await writeFile(path.join(out, 'strip.js'), await readFile(path.join(here, 'page/strip.js')));
    for (const [name, html] of Object.entries(PAGES)) await writeFile(path.join(out, name), html);
  })();
  return built;
}

/** Serves build/floor/ on 127.0.0.1 (a free port). @returns {Promise<{ url: string, close: () => Promise<void> }>} */
export async function startServer() {
  await buildPage();
  const server = createServer(async (req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1) || 'index.html';
    if (!/^[a-z.]+$/.test(name)) return void res.writeHead(404).end();
    try {
      const body = await readFile(path.join(out, name));
      res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}

/**
 * @typedef {{ name: string, ok: boolean, error?: string }} CheckResult
 * @typedef {{ userAgent: string, stripped: string[], absent: string[], first: CheckResult[], reopen: CheckResult[] }} EngineRun
 */

// What the page reports once the bundle has run (or why it never did).
const pageState = () => ({
  ready: typeof (/** @type {any} */ (globalThis).floor) === 'object',
  errors: /** @type {any} */ (globalThis).floorErrors ?? [],
  userAgent: navigator.userAgent,
  stripped: /** @type {any} */ (globalThis).floorStripped ?? [],
  absent: /** @type {any} */ (globalThis).floorAbsent ?? [],
});

/**
 * The bundle loaded, or an error that says why not.
 * @param {() => Promise<ReturnType<typeof pageState>>} poll
 */
async function whenLoaded(poll) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const state = await poll();
    if (state.ready) return state;
    if (state.errors.length > 0 || Date.now() > deadline) {
      throw new Error(`the floor checks did not load: ${state.errors.join('; ') || 'timed out'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One run in a WebKit engine through WebDriver.
 * @param {'wpe' | 'webkitgtk'} engine
 * @param {string} url the page (index.html or stripped.html)
 * @returns {Promise<EngineRun>}
 */
export async function runInWebKit(engine, url) {
  const xvfb = engine === 'webkitgtk' ? await startXvfb() : null;
  let driver;
  try {
    driver = engine === 'wpe'
      ? await startDriver({ binary: WPE_DRIVER })
      : await startDriver({ binary: WEBKITGTK_DRIVER, env: { DISPLAY: /** @type {{ display: string }} */ (xvfb).display } });
    const session = await driver.newSession(engine === 'wpe'
      ? { 'wpe:browserOptions': { binary: '/usr/bin/cog', args: ['--automation', '--platform=headless'] } }
      : { browserName: 'MiniBrowser' });
    try {
      const phase = async (/** @type {'first' | 'reopen'} */ name) => {
        const state = await whenLoaded(() => session.run(pageState));
        const results = await session.run((p) => /** @type {any} */ (globalThis).floor.run(p), [name], { timeoutMs: CHECKS_TIMEOUT_MS });
        return { state, results };
      };
      await session.navigate(url);
      const first = await phase('first');
      await session.refresh();
      const reopen = await phase('reopen');
      return { ...pick(first.state), first: first.results, reopen: reopen.results };
    } finally {
      await session.deleteSession();
    }
  } finally {
    await driver?.stop();
    await xvfb?.stop();
  }
}

/**
 * One run in Debian's Chromium through playwright-core.
 * @param {string} url
 * @returns {Promise<EngineRun>}
 */
export async function runInChromium(url) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const phase = async (/** @type {'first' | 'reopen'} */ name) => {
      const state = await whenLoaded(() => page.evaluate(pageState));
      const results = await page.evaluate((p) => /** @type {any} */ (globalThis).floor.run(p), name);
      return { state, results };
    };
    await page.goto(url);
    const first = await phase('first');
    await page.reload();
    const reopen = await phase('reopen');
    return { ...pick(first.state), first: first.results, reopen: reopen.results };
  } finally {
    await browser.close();
  }
}

/** @param {ReturnType<typeof pageState>} state */
const pick = ({ userAgent, stripped, absent }) => ({ userAgent, stripped, absent });

/**
 * Reports a run as subtests, one per check, each failing with the page's
 * error; the engine and what was deleted go to the test's diagnostics.
 * @param {import('node:test').TestContext} t
 * @param {EngineRun} run
 */
export async function report(t, run) {
  t.diagnostic(`engine: ${run.userAgent}`);
  if (run.stripped.length) t.diagnostic(`deleted before enveil loaded: ${run.stripped.join(', ')}`);
  if (run.absent.length) t.diagnostic(`never there: ${run.absent.join(', ')}`);
  for (const [phase, results] of /** @type {const} */ ([['', run.first], ['after a reload: ', run.reopen]])) {
    for (const r of results) {
      await t.test(`${phase}${r.name}`, () => {
        if (!r.ok) throw new Error(r.error);
      });
    }
  }
}
