// The store table's workload, shared by the Node table (fake-indexeddb) and
// the Chromium table (the browser's own IndexedDB). Browser-safe: no node:
// imports, so bench/browser/store-page.mjs can bundle it.
import { openDB } from 'idb';
import * as enveil from '../../js/index.js';
import { measureSideBySide } from './measure.mjs';

/** Records in each database before timing; puts overwrite them in turn. */
export const RECORDS = 500;
export const RECORD_BYTES = 1024;

/**
 * Distinct 1 KiB values: the id, then hex filler.
 * @returns {string[]}
 */
function recordValues() {
  return Array.from({ length: RECORDS }, (_, id) => {
    const hex = Array.from(crypto.getRandomValues(new Uint8Array(RECORD_BYTES / 2)), (b) => b.toString(16).padStart(2, '0')).join('');
    return `${id}:${hex}`.slice(0, RECORD_BYTES);
  });
}

/**
 * Cycles through 0..RECORDS-1, one step per call.
 * @returns {() => number}
 */
function cycle() {
  let i = 0;
  return () => (i = (i + 1) % RECORDS);
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
 * @param {Baseline | null} [baseline]
 */
export function storeContenders(baseline) {
  return [
    { key: 'enveil', label: 'enveil EncryptedStore', enveil: true, async: true },
    ...(baseline ? [{ key: 'baseline', label: `enveil EncryptedStore at ${baseline.label}`, enveil: false, async: true }] : []),
    { key: 'idb', label: 'idb, plain records', enveil: false, async: true },
  ];
}

/** @param {Baseline | null} [baseline] */
export const storeRatioOf = (baseline) => (baseline ? ['enveil', 'baseline'] : ['enveil']);

/**
 * An EncryptedStore of `module` holding the table's collection.
 * @param {EnveilModule} module
 * @param {string} name
 * @param {IDBFactory | undefined} indexedDB
 */
async function openStore(module, name, indexedDB) {
  await module.init();
  return module.EncryptedStore.open({
    name,
    provider: module.providers.memory(),
    collections: { c: { encrypted: ['v'], blindIndex: { v: { bits: 16 } } } },
    ...(indexedDB ? { indexedDB } : {}),
  });
}

/**
 * Fills an EncryptedStore (and the baseline's, if any) and a plain idb
 * database with the same records, checks each answers correctly, then
 * measures put, get and findBy side by side.
 * @param {{ indexedDB?: IDBFactory, prefix: string, progress?: (text: string) => void, baseline?: Baseline | null }} options
 *   indexedDB: the factory EncryptedStore uses (idb's openDB uses the global one)
 */
export async function measureStore({ indexedDB, prefix, progress = () => {}, baseline = null }) {
  const values = recordValues();
  /** @type {Record<string, any>} */
  const stores = { enveil: await openStore(enveil, `${prefix}-enveil`, indexedDB) };
  if (baseline) stores.baseline = await openStore(baseline.module, `${prefix}-baseline`, indexedDB);
  const db = await openDB(`${prefix}-plain`, 1, {
    upgrade(d) {
      d.createObjectStore('c', { keyPath: 'id' }).createIndex('v', 'v');
    },
  });
  try {
    for (let id = 0; id < RECORDS; id++) {
      for (const store of Object.values(stores)) await store.put('c', id, { v: values[id] });
      await db.put('c', { id, v: values[id] });
    }
    const probe = 7;
    for (const [key, store] of Object.entries(stores)) {
      check((await store.get('c', probe))?.v === values[probe], `EncryptedStore.get (${key}) returned another value`);
      const found = await store.findBy('c', 'v', values[probe]);
      check(found.length === 1 && found[0].id === probe, `EncryptedStore.findBy (${key}) did not find exactly the record`);
    }
    check((await db.getAllFromIndex('c', 'v', values[probe]))[0]?.id === probe, 'idb index lookup failed');

    /** @param {any} store @returns {Record<string, () => () => Promise<unknown>>} */
    const storeOps = (store) => ({
      put: () => { const next = cycle(); return () => { const id = next(); return store.put('c', id, { v: values[id] }); }; },
      get: () => { const next = cycle(); return () => store.get('c', next()); },
      findBy: () => { const next = cycle(); return () => store.findBy('c', 'v', values[next()]); },
    });
    /** @type {Record<string, Record<string, () => () => Promise<unknown>>>} */
    const byContender = {
      ...Object.fromEntries(Object.entries(stores).map(([key, store]) => [key, storeOps(store)])),
      idb: {
        put: () => { const next = cycle(); return () => { const id = next(); return db.put('c', { id, v: values[id] }); }; },
        get: () => { const next = cycle(); return () => db.get('c', next()); },
        findBy: () => { const next = cycle(); return () => db.getAllFromIndex('c', 'v', values[next()]); },
      },
    };
    const groups = [];
    for (const label of ['put', 'get', 'findBy']) {
      progress(` ${label}`);
      const figures = await measureSideBySide(
        storeContenders(baseline).map((c) => ({ key: c.key, async: true, fn: byContender[c.key][label]() })),
        { bytes: RECORD_BYTES },
      );
      groups.push({ label, bytes: RECORD_BYTES, figures });
    }
    return groups;
  } finally {
    for (const store of Object.values(stores)) await store.close();
    db.close();
  }
}
