// Data-key rotation of a whole store (issue 20 asks for the rate, without a
// goal): a store of `records` 1 KiB records, rotateDataKeys() timed `rounds`
// times in a row (each re-encrypts every record under a new data key, in
// batches of 100, one transaction each, progress saved with it). Beside it,
// the same rewrite with plain idb: every record read and written back in
// transactions of 100, no crypto: what the database alone costs.
// Browser-safe: bundled by bench/browser/page.mjs.
import { openDB } from 'idb';
import { EncryptedStore, init, providers } from '../../js/index.js';
import { median } from './measure.mjs';

const BYTES = 1024;
const BATCH = 100;

/**
 * @param {boolean} ok
 * @param {string} what
 */
function check(ok, what) {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

/**
 * @param {number[]} xs
 */
const summary = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs });

/**
 * @param {{ records: number, rounds: number, prefix: string, progress?: (text: string) => void }} options
 */
export async function measureRotation({ records, rounds, prefix, progress = () => {} }) {
  await init();
  const values = Array.from({ length: records }, (_, id) => `${id}:${'x'.repeat(BYTES)}`.slice(0, BYTES));
  const store = await EncryptedStore.open({
    name: `${prefix}-rotation`, provider: providers.memory(),
    collections: { c: { encrypted: ['v'], blindIndex: { v: { bits: 16 } } } },
  });
  const db = await openDB(`${prefix}-rotation-plain`, 1, { upgrade: (d) => { d.createObjectStore('c', { keyPath: 'id' }); } });
  try {
    progress(` filling ${records}`);
    const filled = performance.now();
    for (let id = 0; id < records; id++) await store.put('c', id, { v: values[id] });
    const fillMs = performance.now() - filled;
    for (let from = 0; from < records; from += BATCH) {
      const tx = db.transaction('c', 'readwrite');
      for (let id = from; id < Math.min(records, from + BATCH); id++) void tx.store.put({ id, v: values[id] });
      await tx.done;
    }
    /** @type {number[]} */
    const rotate = [];
    /** @type {number[]} */
    const plain = [];
    for (let r = 0; r < rounds; r++) {
      progress(` round ${r + 1}/${rounds}`);
      const primary = async () => (await store.keyStatus()).keys.find((/** @type {any} */ k) => k.kind === 'data' && k.scope === 'c' && k.status === 'primary')?.id;
      const before = await primary();
      let t0 = performance.now();
      await store.rotateDataKeys();
      rotate.push(performance.now() - t0);
      const status = await store.keyStatus();
      check(status.rotation === null, 'a rotation is still pending after rotateDataKeys()');
      check(status.keys.every((/** @type {any} */ k) => !(k.kind === 'data' && k.scope === 'c' && k.status === 'active')), 'an old data key of the collection is still active');
      check((await primary()) !== before, 'the primary data key did not change');
      check((await store.get('c', records - 1))?.v === values[records - 1], 'a record reads back wrong after rotation');

      t0 = performance.now();
      for (let from = 0; from < records; from += BATCH) {
        const tx = db.transaction('c', 'readwrite');
        const rows = await tx.store.getAll(IDBKeyRange.bound(from, from + BATCH - 1));
        for (const row of rows) void tx.store.put({ id: row.id, v: row.v });
        await tx.done;
      }
      plain.push(performance.now() - t0);
    }
    const perSecond = (/** @type {number} */ ms) => (records * 1000) / ms;
    return {
      records,
      rounds,
      fillMs,
      rotateMs: summary(rotate),
      recordsPerSecond: summary(rotate.map(perSecond)),
      plainRewriteMs: summary(plain),
      plainRecordsPerSecond: summary(plain.map(perSecond)),
    };
  } finally {
    await store.close();
    db.close();
  }
}
