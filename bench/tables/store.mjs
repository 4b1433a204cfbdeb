// Table (f): EncryptedStore against the same operations on plain records
// with idb, both over fake-indexeddb (a test double: information only).
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { pathToFileURL } from 'node:url';
import { baselineCheckout, progress } from '../lib/common.mjs';
import { SHAPES, measureStore, storeContenders, storeRatioOf } from '../lib/store-ops.mjs';

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
      `${SHAPES.map((x) => `${x.records} records of one ${x.bytes / 1024} KiB string field${x.indexed ? ' (16-bit blind index; plain: an IndexedDB index on it)' : ''}`).join('; ')}; puts overwrite them in turn.`,
      'findBy against idb getAllFromIndex on the plain field. Both over fake-indexeddb, a test double: IndexedDB costs are Node\'s, not a browser\'s, so the store goals are judged in Chromium and WebKitGTK (tables g, m).',
      ...(checkout ? [`baseline: the EncryptedStore of ${checkout.dir} (${checkout.label}), BENCH_BASELINE, in the same rounds.`] : []),
    ],
  };
}
