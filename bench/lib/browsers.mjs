// The browsers of the bench tables: Debian's Chromium through playwright-core
// (tests/e2e/chromium.js) and WebKitGTK through WebKitWebDriver
// (tests/webkit/harness.mjs), each on a fresh on-disk profile, both loading
// the same page (bench/browser/page.mjs, bundled with esbuild) from the demo
// server. A table asks for a browser with withBrowser(); when the browser is
// not installed it gets the reason instead.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoServer } from '../../demo/serve.js';
import { baselineCheckout } from './common.mjs';
import { RUNS, RUN_MS, WARMUP_MS } from './measure.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGE = '/build/e2e/bench-page.html';
/** A page call may take minutes (a store table, a rotation of 10 000 records). */
const CALL_TIMEOUT_MS = 30 * 60_000;

/**
 * @typedef {object} BenchPage
 * @property {string} browser name and version
 * @property {(name: string, ...args: unknown[]) => Promise<any>} call runs window.bench[name](...args) in the page, awaited
 * @property {() => Promise<BenchPage>} [newPage] another page of the bench in the same browser (Chromium only)
 * @property {() => Promise<void>} [toFront] makes this page the active tab (a background tab's renderer may run at a lower priority)
 */

/** Bundles bench/browser/page.mjs into build/e2e/bench-page.{js,html}. */
async function bundle() {
  const checkout = baselineCheckout();
  const dir = path.join(ROOT, 'build', 'e2e');
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, 'bench/browser/page.mjs')],
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outfile: path.join(dir, 'bench-page.js'), logLevel: 'warning',
    // measure.mjs reads its settings from the environment: pass this run's.
    define: {
      'process.env.BENCH_RUNS': JSON.stringify(String(RUNS)),
      'process.env.BENCH_RUN_MS': JSON.stringify(String(RUN_MS)),
      'process.env.BENCH_WARMUP_MS': JSON.stringify(String(WARMUP_MS)),
      BENCH_BASELINE_LABEL: JSON.stringify(checkout?.label ?? null),
    },
    // The page imports 'enveil-baseline': the BENCH_BASELINE checkout's
    // js/index.js, or a module exporting nothing.
    plugins: [{
      name: 'enveil-baseline',
      setup(b) {
        b.onResolve({ filter: /^enveil-baseline$/ }, () => (checkout ? { path: checkout.entry } : { path: 'none', namespace: 'enveil-baseline' }));
        b.onLoad({ filter: /.*/, namespace: 'enveil-baseline' }, () => ({ contents: 'export {};', loader: 'js' }));
      },
    }],
  });
  writeFileSync(path.join(dir, 'bench-page.html'), '<!doctype html><title>enveil bench</title><script type="module" src="./bench-page.js"></script>');
  return checkout;
}

/** Why the browser cannot run here, or false. @param {'chromium' | 'webkitgtk'} which */
export async function skipReason(which) {
  if (which === 'chromium') return (await import('../../tests/e2e/chromium.js')).skip;
  return (await import('../../tests/webkit/harness.mjs')).skip;
}

/**
 * Runs `fn` with the bench page open in `which`; the browser, its profile
 * and the server are gone afterwards, also when `fn` threw.
 * @template T
 * @param {'chromium' | 'webkitgtk'} which
 * @param {(page: BenchPage, checkout: ReturnType<typeof baselineCheckout>) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withBrowser(which, fn) {
  const checkout = await bundle();
  const server = await startDemoServer(0);
  const profile = mkdtempSync(path.join(os.tmpdir(), `enveil-bench-${which}-`));
  try {
    return which === 'chromium' ? await inChromium(`${server.origin}${PAGE}`, profile, (p) => fn(p, checkout)) : await inWebKit(`${server.origin}${PAGE}`, profile, (p) => fn(p, checkout));
  } finally {
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * @template T
 * @param {string} url @param {string} profile @param {(page: BenchPage) => Promise<T>} fn
 */
async function inChromium(url, profile, fn) {
  const { launchProfile } = await import('../../tests/e2e/chromium.js');
  const context = await launchProfile(profile);
  const browser = `Chromium ${context.browser()?.version() ?? ''}`.trim();
  /** @returns {Promise<BenchPage>} */
  const open = async () => {
    const page = await context.newPage();
    page.setDefaultTimeout(CALL_TIMEOUT_MS);
    /** @type {string[]} */
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => /** @type {any} */ (window).benchReady, null, { timeout: 30_000 })
      .catch(() => { throw new Error(`bench page did not load in Chromium: ${errors.join('; ')}`); });
    return {
      browser,
      call: (name, ...args) => page.evaluate(([n, a]) => /** @type {any} */ (window).bench[/** @type {string} */ (n)](.../** @type {unknown[]} */ (a)), [name, args]),
      newPage: open,
      toFront: () => page.bringToFront(),
    };
  };
  try {
    return await fn(await open());
  } finally {
    await context.close();
  }
}

/**
 * @template T
 * @param {string} url @param {string} profile @param {(page: BenchPage) => Promise<T>} fn
 */
async function inWebKit(url, profile, fn) {
  const { openBrowser, startWebKit } = await import('../../tests/webkit/harness.mjs');
  const webkit = await startWebKit();
  /** @type {import('../../tests/browser/webdriver.mjs').Session | undefined} */
  let session;
  try {
    session = await openBrowser(webkit.driver, { profile });
    const s = session;
    await s.navigate(url);
    await s.waitFor(() => /** @type {any} */ (window).benchReady, [], { timeoutMs: 30_000, message: 'the bench page to load in WebKitGTK' });
    const version = await s.run(() => navigator.userAgent);
    const webkitVersion = /AppleWebKit\/([\d.]+)/.exec(String(version))?.[1];
    return await fn({
      browser: `WebKitGTK ${s.capabilities.browserVersion ?? '?'} (AppleWebKit/${webkitVersion ?? '?'}, tests/webkit/browser.py under Xvfb)`,
      call: (name, ...args) => s.run((n, a) => /** @type {any} */ (window).bench[n](...a), [name, args], { timeoutMs: CALL_TIMEOUT_MS }),
    });
  } finally {
    await session?.deleteSession();
    await webkit.stop();
  }
}
