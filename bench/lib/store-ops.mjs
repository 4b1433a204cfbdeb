// The store tables' workload, shared by the Node table (fake-indexeddb) and
// the browser tables (Chromium's and WebKitGTK's own IndexedDB).
// Browser-safe: no node: imports, so bench/browser/page.mjs can bundle it.
import { openDB } from 'idb';
import * as enveil from '../../js/index.js';
import { measureSideBySide } from './measure.mjs';

/**
 * The record shapes: 1 KiB records with a blind index (as every store table
 * since issue 6) and 64 KiB values without one (issue 20), each in its own
 * collection; puts overwrite the records in turn.
 */
export const SHAPES = [
  { collection: 'c', bytes: 1024, records: 500, indexed: true, ops: ['put', 'get', 'findBy'] },
  { collection: 'big', bytes: 64 * 1024, records: 64, indexed: false, ops: ['put', 'get'] },
];
/** Kept for the notes: records of the 1 KiB shape. */
export const RECORDS = SHAPES[0].records;
const COLLECTIONS = {
  c: { encrypted: ['v'], blindIndex: { v: { bits: 16 } } },
  big: { encrypted: ['v'] },
};

/**
 * "1 KiB", "64 KiB".
 * @param {number} n
 */
const kib = (n) => `${n / 1024} KiB`;

/**
 * Distinct string values of `bytes` characters: the id, then hex filler.
 * @param {number} count
 * @param {number} bytes
 * @returns {string[]}
 */
function recordValues(count, bytes) {
  return Array.from({ length: count }, (_, id) => {
    const raw = new Uint8Array(Math.ceil(bytes / 2));
    for (let i = 0; i < raw.length; i += 65536) crypto.getRandomValues(raw.subarray(i, i + 65536));
    const hex = Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${id}:${hex}`.slice(0, bytes);
  });
}

/**
 * Cycles through 0..n-1, one step per call.
 * @param {number} n
 * @returns {() => number}
 */
function cycle(n) {
  let i = 0;
  return () => (i = (i + 1) % n);
}

/**
 * @param {boolean} ok
 * @param {string} what
 */
function check(ok, what) {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

/**
 * What the workload needs of an enveil build: this tree's js/, or another
 * checkout's (BENCH_BASELINE).
 * @typedef {{ EncryptedStore: any, init: () => Promise<unknown>, providers: { memory: () => any } }} EnveilModule
 */
/**
 * Another checkout's EncryptedStore, measured in the same rounds as this
 * tree's, so that a busy machine slows both alike. In Chromium every
 * database of the page lives in one LevelDB: a third writer also slows the
 * other two and pulls put ratios towards 1, so confirm a write ratio with
 * separate runs of each checkout.
 * @typedef {{ label: string, module: EnveilModule }} Baseline
 */

/**
 * The contenders of the store tables. A baseline is compared with like a
 * peer: the enveil/x column shows this tree ÷ baseline, baseline/x the
 * baseline ÷ plain idb.
 * @param {{ label: string } | null} [baseline]
 */
export function storeContenders(baseline) {
  return [
    { key: 'enveil', label: 'enveil EncryptedStore', enveil: true, async: true },
    ...(baseline ? [{ key: 'baseline', label: `enveil EncryptedStore at ${baseline.label}`, enveil: false, async: true }] : []),
    { key: 'idb', label: 'idb, plain records', enveil: false, async: true },
  ];
}

/** @param {{ label: string } | null} [baseline] */
export const storeRatioOf = (baseline) => (baseline ? ['enveil', 'baseline'] : ['enveil']);

/**
 * The options EncryptedStore.open takes for the table's database `name`.
 * @param {any} provider
 * @param {string} name
 * @param {IDBFactory | undefined} indexedDB
 */
const storeOptions = (provider, name, indexedDB) => ({ name, provider, collections: COLLECTIONS, ...(indexedDB ? { indexedDB } : {}) });

/**
 * Fills an EncryptedStore (and the baseline's, if any) and a plain idb
 * database with the same records, checks each answers correctly, then
 * measures, side by side: put, get and findBy of 1 KiB records, put and
 * get of 64 KiB values, and the open + close of an existing store against
 * idb's openDB + close.
 * @param {{ indexedDB?: IDBFactory, prefix: string, progress?: (text: string) => void, baseline?: Baseline | null }} options
 *   indexedDB: the factory EncryptedStore uses (idb's openDB uses the global one)
 */
export async function measureStore({ indexedDB, prefix, progress = () => {}, baseline = null }) {
  /** @type {Record<string, EnveilModule>} */
  const modules = { enveil, ...(baseline ? { baseline: baseline.module } : {}) };
  /** @type {Record<string, any>} */
  const providers = {};
  /** @type {Record<string, any>} */
  const stores = {};
  for (const [key, module] of Object.entries(modules)) {
    await module.init();
    providers[key] = module.providers.memory();
    stores[key] = await module.EncryptedStore.open(storeOptions(providers[key], `${prefix}-${key}`, indexedDB));
  }
  const plainName = `${prefix}-plain`;
  const upgrade = (/** @type {any} */ d) => {
    d.createObjectStore('c', { keyPath: 'id' }).createIndex('v', 'v');
    d.createObjectStore('big', { keyPath: 'id' });
  };
  const db = await openDB(plainName, 1, { upgrade });
  const groups = [];
  try {
    for (const shape of SHAPES) {
      const { collection: col, records } = shape;
      const values = recordValues(records, shape.bytes);
      for (let id = 0; id < records; id++) {
        for (const store of Object.values(stores)) await store.put(col, id, { v: values[id] });
        await db.put(col, { id, v: values[id] });
      }
      const probe = 7;
      for (const [key, store] of Object.entries(stores)) {
        check((await store.get(col, probe))?.v === values[probe], `EncryptedStore.get (${key}) returned another value at ${kib(shape.bytes)}`);
        if (shape.indexed) {
          const found = await store.findBy(col, 'v', values[probe]);
          check(found.length === 1 && found[0].id === probe, `EncryptedStore.findBy (${key}) did not find exactly the record`);
        }
      }
      check((await db.get(col, probe))?.v === values[probe], `idb get returned another value at ${kib(shape.bytes)}`);
      if (shape.indexed) check((await db.getAllFromIndex(col, 'v', values[probe]))[0]?.id === probe, 'idb index lookup failed');

      /** @param {any} store @returns {Record<string, () => () => Promise<unknown>>} */
      const storeOps = (store) => ({
        put: () => { const next = cycle(records); return () => { const id = next(); return store.put(col, id, { v: values[id] }); }; },
        get: () => { const next = cycle(records); return () => store.get(col, next()); },
        findBy: () => { const next = cycle(records); return () => store.findBy(col, 'v', values[next()]); },
      });
      /** @type {Record<string, Record<string, () => () => Promise<unknown>>>} */
      const byContender = {
        ...Object.fromEntries(Object.entries(stores).map(([key, store]) => [key, storeOps(store)])),
        idb: {
          put: () => { const next = cycle(records); return () => { const id = next(); return db.put(col, { id, v: values[id] }); }; },
          get: () => { const next = cycle(records); return () => db.get(col, next()); },
          findBy: () => { const next = cycle(records); return () => db.getAllFromIndex(col, 'v', values[next()]); },
        },
      };
      for (const op of shape.ops) {
        const label = `${op} ${kib(shape.bytes)}`;
        progress(` ${label}`);
        const figures = await measureSideBySide(
          storeContenders(baseline).map((c) => ({ key: c.key, async: true, fn: byContender[c.key][op]() })),
          { bytes: shape.bytes },
        );
        groups.push({ label, bytes: shape.bytes, figures });
      }
    }
  } finally {
    for (const store of Object.values(stores)) await store.close();
    db.close();
  }

  // Unlock: open an existing store (IndexedDB, the provider's unwrap, the
  // keyring) and close it, against opening and closing the plain database.
  progress(' open+close');
  /** @type {Record<string, () => Promise<unknown>>} */
  const unlockOps = {
    ...Object.fromEntries(Object.entries(modules).map(([key, module]) => [key, async () => {
      const store = await module.EncryptedStore.open(storeOptions(providers[key], `${prefix}-${key}`, indexedDB));
      await store.close();
    }])),
    idb: async () => (await openDB(plainName, 1, { upgrade })).close(),
  };
  const figures = await measureSideBySide(storeContenders(baseline).map((c) => ({ key: c.key, async: true, fn: unlockOps[c.key] })), { bytes: 0 });
  groups.push({ label: 'open+close', bytes: 0, figures });
  return groups;
}
