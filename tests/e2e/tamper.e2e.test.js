// The tamper sweep of issue 14 once in Debian's Chromium, against its real
// IndexedDB (structured clone, key paths and indexes as a browser has them):
// tests/js/store/tamper-scenario.js and the helpers of tests/js/idb-helpers.js
// bundled (esbuild) into a page, a genuine store built there, then every
// leaf of every stored value changed one way (the kinds taken in turn),
// every record copied under a new id and the audit log cut at every length,
// each on a fresh copy of the database, opened and asked everything. Written
// for store format 2: on format 1 it fails, as tests/js/store/tamper-sweep.test.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoServer } from '../../demo/serve.js';
import { bundlePage, launchProfile, skip } from './chromium.js';

/** Changes observed per page.evaluate: each is a few hundred ms at most in Chromium. */
const BATCH = 25;

let server, context, profile, pageUrl;
before(async () => {
  if (skip) return;
  const page = await bundlePage('tamper', [
    "import * as helpers from '../../tests/js/idb-helpers.js';",
    "import * as sweep from '../../tests/js/store/tamper-scenario.js';",
    'window.helpers = helpers;',
    'window.sweep = sweep;',
    'window.ready = true;',
  ]);
  server = await startDemoServer(0);
  pageUrl = `${server.origin}${page}`;
  profile = mkdtempSync(path.join(os.tmpdir(), 'enveil-tamper-'));
  context = await launchProfile(profile);
});
after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('the tamper sweep in Chromium: every leaf changed one way, every record copied under a new id, the log cut: each read is the genuine record or a typed EnveilError', { skip, timeout: 300_000 }, async (t) => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.ready, null, { timeout: 15_000 }).catch((err) => {
    throw new Error(`the sweep page did not load: ${errors.join('; ') || err.message}`);
  });
  const started = performance.now();

  // In the page: the genuine store, its snapshot, the untouched copy observed, and the changes to try.
  const setup = await page.evaluate(async () => {
    const { helpers, sweep } = window;
    const kek = crypto.getRandomValues(new Uint8Array(32));
    await sweep.buildGenuineStore(indexedDB, kek);
    const snapshot = await helpers.snapshotDatabase(indexedDB, sweep.NAME);
    const baseline = await sweep.observeCopy(indexedDB, kek, snapshot);
    const changes = [
      ...helpers.snapshotMutations(snapshot, { oneKindPerLeaf: true }).map((m) => ({ change: m, copy: () => helpers.applyMutation(snapshot, m) })),
      ...sweep.copiesUnderNewIds(snapshot).map((c) => ({ change: { ...c, path: [], kind: 'copied under a new id' }, copy: () => sweep.withEntry(snapshot, c.store, c.entry) })),
      ...sweep.cutsOfTheLog(snapshot).map(({ change, copy }) => ({ change, copy: () => copy })),
    ];
    Object.assign(window, { kek, snapshot, baseline, changes });
    return {
      untouched: baseline ? sweep.judge(baseline, null, null, snapshot) : ['the untouched snapshot does not restore'],
      changes: changes.length,
      kinds: [...new Set(changes.map((c) => c.change.kind))],
    };
  });
  assert.deepEqual(setup.untouched, [], 'the untouched copy does not read back whole in Chromium');
  assert.ok(setup.changes > 100, `only ${setup.changes} changes`);

  const broken = [];
  let refused = 0;
  for (let from = 0; from < setup.changes; from += BATCH) {
    const batch = await page.evaluate(async ([from, to]) => {
      const { sweep, kek, baseline, changes } = window;
      const out = { refused: 0, broken: [] };
      for (const { change, copy } of changes.slice(from, to)) {
        const c = copy();
        const o = await sweep.observeCopy(indexedDB, kek, c);
        if (o === null) {
          out.refused++;
          continue;
        }
        const violations = sweep.judge(o, baseline, change, c);
        if (violations.length) out.broken.push({ m: { store: change.store, path: change.path, kind: change.kind }, violations });
      }
      return out;
    }, [from, from + BATCH]);
    refused += batch.refused;
    broken.push(...batch.broken);
  }
  const ms = Math.round(performance.now() - started);
  t.diagnostic(`Chromium tamper sweep: ${setup.changes} changes tried (${refused} not storable, kinds: ${setup.kinds.length}), ${broken.length} broke the contract, ${ms} ms`);
  const message = await page.evaluate(([b, n]) => window.sweep.report(b, n), [broken, setup.changes]);
  assert.deepEqual(errors, [], 'errors in the page');
  assert.ok(broken.length === 0, message);
  await page.close();
});
