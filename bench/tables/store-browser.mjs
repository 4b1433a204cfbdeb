// Table (g): the store table again in Debian's Chromium (playwright-core),
// over the browser's own IndexedDB on disk: what an app in a webview sees.
// fake-indexeddb (table f) costs a few microseconds per put; a real
// IndexedDB transaction costs far more, which changes the ratio the goal
// is about.
import { build } from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoServer } from '../../demo/serve.js';
import { baselineCheckout, progress } from '../lib/common.mjs';
import { RUNS, RUN_MS, WARMUP_MS } from '../lib/measure.mjs';
import { RECORDS, storeContenders, storeRatioOf } from '../lib/store-ops.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

/** Table (g). */
export async function storeBrowserTable() {
  const checkout = baselineCheckout();
  const baseline = checkout && { label: checkout.label };
  const base = { kind: 'throughput', contenders: storeContenders(baseline), ratioOf: storeRatioOf(baseline), notes: [] };
  if (!existsSync(CHROMIUM)) {
    return { ...base, groups: [], skipped: [{ label: 'Chromium', reason: `${CHROMIUM} not installed (apt-get install -y chromium)` }] };
  }
  const { chromium } = await import('playwright-core');
  const dir = path.join(ROOT, 'build', 'e2e');
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, 'bench/browser/store-page.mjs')],
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outfile: path.join(dir, 'bench-store.js'), logLevel: 'warning',
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
  writeFileSync(path.join(dir, 'bench-store.html'), '<!doctype html><title>enveil store bench</title><script type="module" src="./bench-store.js"></script>');
  const server = await startDemoServer(0);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'enveil-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    /** @type {string[]} */
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.origin}/build/e2e/bench-store.html`);
    await page.waitForFunction(() => /** @type {any} */ (window).benchReady, null, { timeout: 30_000 })
      .catch(() => { throw new Error(`bench page did not load: ${errors.join('; ')}`); });
    progress(' (Chromium)');
    const groups = await page.evaluate(() => /** @type {any} */ (window).runStoreBench());
    const version = context.browser()?.version() ?? 'unknown';
    return {
      ...base,
      groups,
      skipped: [],
      notes: [
        `Chromium ${version}, headless, a fresh profile; IndexedDB on disk. Same workload as table (f): ${RECORDS} records of one 1 KiB string field, puts overwrite them in turn, every operation awaited on its own.`,
        ...(checkout ? [`baseline: the EncryptedStore of ${checkout.dir} (${checkout.label}), BENCH_BASELINE, in the same page and rounds.`] : []),
      ],
    };
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
