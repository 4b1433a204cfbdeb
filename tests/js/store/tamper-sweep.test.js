// The tamper sweep (issue 14), over fake-indexeddb: a genuine store, then for
// every leaf of every stored value in every object store, each change an
// attacker with the files could make (another value of the same type, a
// value of each other type, deleted, moved out of its container to a plain
// top-level field; bytes flipped and cut), each applied to a fresh copy of
// the database; and every record copied under a new id, and the audit log
// cut at every length. Each copy is opened and asked everything
// (tamper-scenario.js): the answer must be the genuine record or a typed
// EnveilError. Written for store format 2; on format 1 it fails (plain
// fields, `__enc`, declarations and key statuses are trusted as stored).
// Registers the IndexedDB globals (format 1's idb needs them); each copy still gets its own factory.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { applyMutation, snapshotDatabase, snapshotMutations } from '../idb-helpers.js';
import { init } from '../../../js/index.js';
import {
  buildGenuineStore, copiesUnderNewIds, cutsOfTheLog, judge, NAME, observeCopy, report, withEntry,
} from './tamper-scenario.js';

await init();

const kek = crypto.getRandomValues(new Uint8Array(32));
const genuineFactory = new IDBFactory();
await buildGenuineStore(genuineFactory, kek);
const snapshot = await snapshotDatabase(genuineFactory, NAME);
const observe = (copy) => observeCopy(new IDBFactory(), kek, copy);
const baseline = await observe(snapshot);
// What every change is judged against: the untouched copy must read back whole.
assert.ok(baseline, 'the untouched snapshot does not restore');
assert.deepEqual(judge(baseline, null, null, snapshot), [], 'the untouched copy does not read back whole');
assert.equal(baseline.verify.value.ok, true);
let tried = 0;
const started = performance.now();

/**
 * Observes and judges each { change, copy }; says how many were tried,
 * refused by IndexedDB, and broke the contract.
 * @param {import('node:test').TestContext} t
 * @param {Iterable<{ change: any, copy: any }>} cases
 */
async function sweep(t, cases) {
  const began = performance.now();
  const broken = [];
  let n = 0, refused = 0;
  for (const { change, copy } of cases) {
    n++;
    const o = await observe(copy);
    if (o === null) {
      refused++;
      continue;
    }
    const violations = judge(o, baseline, change, copy);
    if (violations.length) broken.push({ m: change, violations });
  }
  tried += n;
  t.diagnostic(`${n} changes tried (${refused} not storable), ${broken.length} broke the contract, ${Math.round(performance.now() - began)} ms`);
  return { n, broken };
}

/** Every mutation of the object stores `stores` accepts, as { change, copy }. */
function* leafChanges(stores) {
  for (const m of snapshotMutations(snapshot, { stores })) yield { change: m, copy: applyMutation(snapshot, m) };
}

test('every leaf of every stored record changed, deleted or moved: each read is the genuine record or AUTH_FAILED, the other records unaffected', async (t) => {
  const { n, broken } = await sweep(t, leafChanges((name) => name.startsWith('c:')));
  assert.ok(n > 100, `only ${n} record mutations`);
  assert.ok(broken.length === 0, report(broken, n));
});

test('every leaf of the keys, declarations and store metadata changed, deleted or moved: the open fails typed, or key status, records and new writes are unchanged', async (t) => {
  const { n, broken } = await sweep(t, leafChanges((name) => !name.startsWith('c:') && name !== 'audit'));
  assert.ok(n > 20, `only ${n} metadata mutations`);
  assert.ok(broken.length === 0, report(broken, n));
});

test('every leaf of the audit log changed, deleted or moved, and the log cut at every length: verifyAuditLog is never ok, nothing else changes', async (t) => {
  const { n, broken } = await sweep(t, [...leafChanges((name) => name === 'audit'), ...cutsOfTheLog(snapshot)]);
  assert.ok(n > 20, `only ${n} audit mutations`);
  assert.ok(broken.length === 0, report(broken, n));
});

test('every record copied under a new id, as it is or with attacker fields: get of the copy is AUTH_FAILED, no read returns it', async (t) => {
  const copies = copiesUnderNewIds(snapshot);
  const { n, broken } = await sweep(t, copies.map((c) => ({ change: { ...c, path: [], kind: c.label.replace(/^.* copied/, 'copied') }, copy: withEntry(snapshot, c.store, c.entry) })));
  assert.equal(n, copies.length);
  t.diagnostic(`tamper sweep in all: ${tried} changes tried in ${Math.round(performance.now() - started)} ms`);
  assert.ok(broken.length === 0, report(broken, n));
});
