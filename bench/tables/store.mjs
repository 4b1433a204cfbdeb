// Table (f): EncryptedStore against the same operations on plain records
// with idb, both over fake-indexeddb, 1 KiB records.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { progress } from '../lib/common.mjs';
import { CONTENDERS, RECORDS, measureStore } from '../lib/store-ops.mjs';

/** Table (f). */
export async function storeTable() {
  const groups = await measureStore({ indexedDB: new IDBFactory(), prefix: 'bench', progress });
  return {
    kind: 'throughput',
    contenders: CONTENDERS,
    ratioOf: ['enveil'],
    groups,
    skipped: [],
    notes: [
      `${RECORDS} records of one 1 KiB string field; puts overwrite them in turn. enveil: field encrypted, 16-bit blind index; plain: the field as is with an IndexedDB index on it.`,
      'findBy against idb getAllFromIndex on the plain field. Both over fake-indexeddb, so IndexedDB costs are Node\'s, not a browser\'s.',
    ],
  };
}
