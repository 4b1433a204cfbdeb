// The tables measured in a browser, where an app runs: the same page
// (bench/browser/page.mjs) in Debian's Chromium (headless, playwright-core)
// and in WebKitGTK (the engine of iOS webviews, as Debian ships it; under
// Xvfb, through WebKitWebDriver), each on a fresh profile on disk, so that
// IndexedDB is the browser's own. A browser that is not installed makes its
// table report itself skipped, with the reason.
//   (g) store-browser, (m) store-webkit: EncryptedStore against plain idb
//   (k) aead-chromium, (l) aead-webkit: the sync record call against one awaited WebCrypto call
//   (n) rotation-chromium: data-key rotation of 10 000 records
import { progress } from '../lib/common.mjs';
import { skipReason, withBrowser } from '../lib/browsers.mjs';
import { SHAPES, storeContenders, storeRatioOf } from '../lib/store-ops.mjs';

/** @typedef {'chromium' | 'webkitgtk'} Which */
const NAME = { chromium: 'Chromium', webkitgtk: 'WebKitGTK' };
const ROTATION_RECORDS = Number(process.env.BENCH_ROTATION_RECORDS ?? 10_000);
const ROTATION_ROUNDS = Number(process.env.BENCH_ROTATION_ROUNDS ?? 3);

/**
 * The AEAD groups: the sizes apps store in fields (32 B, 256 B), 1 KiB and 64 KiB.
 * @type {Array<{ direction: 'seal' | 'open', bytes: number }>}
 */
const AEAD_GROUPS = [
  { direction: 'seal', bytes: 32 }, { direction: 'seal', bytes: 256 }, { direction: 'seal', bytes: 1024 }, { direction: 'seal', bytes: 64 * 1024 },
  { direction: 'open', bytes: 1024 }, { direction: 'open', bytes: 64 * 1024 },
];

/**
 * A throughput table measured in `which`, or its skip.
 * @param {Which} which
 * @param {{ contenders: any[], ratioOf: string[] }} shape what the table shows when skipped
 * @param {(page: import('../lib/browsers.mjs').BenchPage, checkout: any) => Promise<{ contenders?: any[], groups: any[], notes: string[] }>} measure
 */
async function browserTable(which, shape, measure) {
  const reason = await skipReason(which);
  if (reason) return { kind: 'throughput', ...shape, groups: [], skipped: [{ label: NAME[which], reason }], notes: [] };
  return withBrowser(which, async (page, checkout) => {
    progress(` (${page.browser})`);
    const result = await measure(page, checkout);
    return { kind: 'throughput', ...shape, ...result, skipped: [], browser: page.browser, notes: [`${page.browser}; a fresh profile on disk.`, ...result.notes] };
  });
}

/**
 * The store workload in `which`.
 * @param {Which} which
 */
async function storeTable(which) {
  const checkout = (await import('../lib/common.mjs')).baselineCheckout();
  const baseline = checkout && { label: checkout.label };
  return browserTable(which, { contenders: storeContenders(baseline), ratioOf: storeRatioOf(baseline) }, async (page) => ({
    groups: await page.call('store'),
    notes: [
      `IndexedDB on disk. ${SHAPES.map((s) => `${s.records} records of one ${s.bytes / 1024} KiB string field${s.indexed ? ' (16-bit blind index; plain: an IndexedDB index)' : ''}`).join('; ')}; puts overwrite them in turn, every operation awaited on its own.`,
      'open+close: EncryptedStore.open of the existing store (a memory() key: the unwrap, the keyring, the audit entries) then close(), against idb openDB + close of the plain database.',
      ...(checkout ? [`baseline: the EncryptedStore of ${checkout.dir} (${checkout.label}), BENCH_BASELINE, in the same page and rounds.`] : []),
    ],
  }));
}

/**
 * The AEAD workload in `which`.
 * @param {Which} which
 */
async function aeadTable(which) {
  const keys = ['hazmat', 'record'];
  return browserTable(which, { contenders: [], ratioOf: keys }, async (page) => {
    const { contenders, groups, build } = await page.call('aead', AEAD_GROUPS);
    return {
      contenders,
      groups,
      notes: [
        `enveil: init() loaded ${build} of the core.`,
        'The record call (Keyring.encrypt: fresh salt, HKDF, key commitment, AES-256-GCM) is synchronous; WebCrypto is one crypto.subtle.encrypt call under an imported key, awaited, as an app awaits it. Raw primitives: one fixed key and nonce, no AAD (benchmark only); their outputs equal WebCrypto\'s byte for byte.',
      ],
    };
  });
}

/** Table (g): the store in Chromium. */
export const storeChromiumTable = () => storeTable('chromium');
/** Table (m): the store in WebKitGTK. */
export const storeWebkitTable = () => storeTable('webkitgtk');
/** Table (k): AES-GCM in Chromium. */
export const aeadChromiumTable = () => aeadTable('chromium');
/** Table (l): AES-GCM in WebKitGTK. */
export const aeadWebkitTable = () => aeadTable('webkitgtk');

/** Table (n): data-key rotation in Chromium. */
export async function rotationChromiumTable() {
  const reason = await skipReason('chromium');
  if (reason) return { kind: 'notes', skipped: [{ label: 'Chromium', reason }], notes: [`skipped: ${reason}`] };
  return withBrowser('chromium', async (page) => {
    progress(` (${page.browser})`);
    const r = await page.call('rotation', { records: ROTATION_RECORDS, rounds: ROTATION_ROUNDS });
    const range = (/** @type {{ min: number, max: number }} */ s, /** @type {(v: number) => string} */ f) => `${f(s.min)}–${f(s.max)}`;
    const n = (/** @type {number} */ v) => Math.round(v).toLocaleString('en-US');
    const s = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(2)} s`;
    return {
      kind: 'notes',
      skipped: [],
      browser: page.browser,
      rotation: r,
      notes: [
        `${page.browser}, IndexedDB on disk: ${n(r.records)} records of one 1 KiB field (16-bit blind index), filled in ${s(r.fillMs)} (${n((r.records * 1000) / r.fillMs)} awaited puts/s); rotateDataKeys() ${r.rounds} times in a row (batches of 100).`,
        `rotateDataKeys: ${n(r.recordsPerSecond.median)} records/s (rounds ${range(r.recordsPerSecond, n)}), ${s(r.rotateMs.median)} per rotation.`,
        `plain idb, every record read and written back in transactions of 100 (the database alone): ${n(r.plainRecordsPerSecond.median)} records/s (rounds ${range(r.plainRecordsPerSecond, n)}).`,
      ],
    };
  });
}
