// Table (f): EncryptedStore against the same operations on plain records
// with idb, both over fake-indexeddb, 1 KiB records.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { pathToFileURL } from 'node:url';
import { baselineCheckout, progress } from '../lib/common.mjs';
import { RECORDS, measureStore, storeContenders, storeRatioOf } from '../lib/store-ops.mjs';

/** Table (f). */
export async function storeTable() {
  const checkout = baselineCheckout();
  const baseline = checkout && { label: checkout.label, module: await import(pathToFileURL(checkout.entry).href) };
  const groups = await measureStore({ indexedDB: new IDBFactory(), prefix: 'bench', progress, baseline });
  return {
    kind: 'throughput',
    contenders: storeContenders(baseline),
    ratioOf: storeRatioOf(baseline),
    groups,
    skipped: [],
    notes: [
      `${RECORDS} records of one 1 KiB string field; puts overwrite them in turn. enveil: field encrypted, 16-bit blind index; plain: the field as is with an IndexedDB index on it.`,
      'findBy against idb getAllFromIndex on the plain field. Both over fake-indexeddb, so IndexedDB costs are Node\'s, not a browser\'s.',
      ...(checkout ? [`baseline: the EncryptedStore of ${checkout.dir} (${checkout.label}), BENCH_BASELINE, in the same rounds.`] : []),
    ],
  };
}
