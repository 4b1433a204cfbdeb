// The store table's workload, shared by the Node table (fake-indexeddb) and
// the Chromium table (the browser's own IndexedDB). Browser-safe: no node:
// imports, so bench/browser/store-page.mjs can bundle it.
import { openDB } from 'idb';
import { EncryptedStore, init, providers } from '../../js/index.js';
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

export const CONTENDERS = [
  { key: 'enveil', label: 'enveil EncryptedStore', enveil: true, async: true },
  { key: 'idb', label: 'idb, plain records', enveil: false, async: true },
];

/**
 * Fills an EncryptedStore and a plain idb database with the same records,
 * checks both answer correctly, then measures put, get and findBy side by
 * side.
 * @param {{ indexedDB?: IDBFactory, prefix: string, progress?: (text: string) => void }} options
 *   indexedDB: the factory EncryptedStore uses (idb's openDB uses the global one)
 */
export async function measureStore({ indexedDB, prefix, progress = () => {} }) {
  await init();
  const values = recordValues();
  const store = await EncryptedStore.open({
    name: `${prefix}-enveil`,
    provider: providers.memory(),
    collections: { c: { encrypted: ['v'], blindIndex: { v: { bits: 16 } } } },
    ...(indexedDB ? { indexedDB } : {}),
  });
  const db = await openDB(`${prefix}-plain`, 1, {
    upgrade(d) {
      d.createObjectStore('c', { keyPath: 'id' }).createIndex('v', 'v');
    },
  });
  try {
    for (let id = 0; id < RECORDS; id++) {
      await store.put('c', id, { v: values[id] });
      await db.put('c', { id, v: values[id] });
    }
    const probe = 7;
    check((await store.get('c', probe))?.v === values[probe], 'EncryptedStore.get returned another value');
    const found = await store.findBy('c', 'v', values[probe]);
    check(found.length === 1 && found[0].id === probe, 'EncryptedStore.findBy did not find exactly the record');
    check((await db.getAllFromIndex('c', 'v', values[probe]))[0]?.id === probe, 'idb index lookup failed');

    /** @type {Record<string, Record<string, () => () => Promise<unknown>>>} */
    const ops = {
      put: {
        enveil: () => { const next = cycle(); return () => { const id = next(); return store.put('c', id, { v: values[id] }); }; },
        idb: () => { const next = cycle(); return () => { const id = next(); return db.put('c', { id, v: values[id] }); }; },
      },
      get: {
        enveil: () => { const next = cycle(); return () => store.get('c', next()); },
        idb: () => { const next = cycle(); return () => db.get('c', next()); },
      },
      findBy: {
        enveil: () => { const next = cycle(); return () => store.findBy('c', 'v', values[next()]); },
        idb: () => { const next = cycle(); return () => db.getAllFromIndex('c', 'v', values[next()]); },
      },
    };
    const groups = [];
    for (const label of Object.keys(ops)) {
      progress(` ${label}`);
      const figures = await measureSideBySide(
        CONTENDERS.map((c) => ({ key: c.key, async: true, fn: ops[label][c.key]() })),
        { bytes: RECORD_BYTES },
      );
      groups.push({ label, bytes: RECORD_BYTES, figures });
    }
    return groups;
  } finally {
    await store.close();
    db.close();
  }
}
