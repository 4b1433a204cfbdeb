// Table (f): EncryptedStore against the same operations on plain records
// with idb, both over fake-indexeddb, 1 KiB records.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { EncryptedStore, init, providers } from '../../js/index.js';
import { check, describe, measureGroups } from '../lib/common.mjs';

/** Records in each database before timing; puts overwrite them in turn. */
const RECORDS = 500;
const RECORD_BYTES = 1024;

/**
 * Distinct 1 KiB values: the id, then hex filler.
 * @returns {string[]}
 */
function recordValues() {
  return Array.from({ length: RECORDS }, (_, id) => {
    const hex = Buffer.from(crypto.getRandomValues(new Uint8Array(RECORD_BYTES / 2))).toString('hex');
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

/** Table (f). */
export async function storeTable() {
  await init();
  const values = recordValues();

  const store = await EncryptedStore.open({
    name: 'bench-enveil',
    provider: providers.memory(),
    collections: { c: { encrypted: ['v'], blindIndex: { v: { bits: 16 } } } },
    indexedDB: new IDBFactory(),
  });
  const db = await openDB('bench-plain', 1, {
    upgrade(d) {
      d.createObjectStore('c', { keyPath: 'id' }).createIndex('v', 'v');
    },
  });
  for (let id = 0; id < RECORDS; id++) {
    await store.put('c', id, { v: values[id] });
    await db.put('c', { id, v: values[id] });
  }
  const probe = 7;
  check((await store.get('c', probe))?.v === values[probe], 'EncryptedStore.get returned another value');
  const found = await store.findBy('c', 'v', values[probe]);
  check(found.length === 1 && found[0].id === probe, 'EncryptedStore.findBy did not find exactly the record');
  check((await db.getAllFromIndex('c', 'v', values[probe]))[0]?.id === probe, 'idb index lookup failed');

  const enveil = { key: 'enveil', label: 'enveil EncryptedStore', enveil: true, async: true };
  const plain = { key: 'idb', label: 'idb, plain records', async: true };
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
  const groups = await measureGroups(
    Object.keys(ops).map((label) => ({ label, bytes: RECORD_BYTES })),
    [enveil, plain],
    async (c, group) => ops[group.label][c.key](),
  );
  store.close();
  db.close();
  return {
    kind: 'throughput',
    contenders: describe([enveil, plain]),
    ratioOf: ['enveil'],
    groups,
    skipped: [],
    notes: [
      `${RECORDS} records of one 1 KiB string field; puts overwrite them in turn. enveil: field encrypted, 16-bit blind index; plain: the field as is with an IndexedDB index on it.`,
      'findBy against idb getAllFromIndex on the plain field. Both over fake-indexeddb, so IndexedDB costs are Node\'s, not a browser\'s.',
    ],
  };
}
