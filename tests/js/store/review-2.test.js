// Second adversarial review of store format 2 (after the R1-R9 fixes,
// 4bb7ed1). Each test fails on that code for the reason its name gives.
// A crash is simulated by making one IndexedDB put throw, which aborts its
// transaction (the failure a quota error or a killed transaction gives).
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { rawDump, withRawStore } from '../idb-helpers.js';
import { EncryptedStore, EnveilError, init, providers } from '../../../js/index.js';
import { COLLECTIONS } from './fixtures.js';

await init();

const NAME = 'app';
const newKek = () => crypto.getRandomValues(new Uint8Array(32));

/** @param {IDBFactory} idb @param {Uint8Array} kek @param {object} [extra] */
function open(idb, kek, extra = {}) {
  return EncryptedStore.open({ name: NAME, provider: providers.memory(kek), collections: COLLECTIONS, indexedDB: idb, ...extra });
}

/** What a promise settled to: { value } or { code } (an EnveilError) or { untyped }. */
async function settle(promise) {
  try {
    return { value: await promise };
  } catch (err) {
    return err instanceof EnveilError ? { code: err.code } : { untyped: err };
  }
}

/**
 * Makes the next IndexedDB put that `match(value, key)` accepts throw (once),
 * aborting its transaction: a crash at that step. Returns the restore
 * function; `fired()` says whether it threw.
 */
function failPutOnce(match, error = new DOMException('simulated crash', 'UnknownError')) {
  const proto = globalThis.IDBObjectStore.prototype;
  const original = proto.put;
  let fired = false;
  proto.put = function put(...args) {
    if (!fired && match(args[0], args[1], this.name)) {
      fired = true;
      throw error;
    }
    return original.apply(this, args);
  };
  const restore = () => { proto.put = original; };
  restore.fired = () => fired;
  return restore;
}

/** Fails the put of meta entry `key` once. */
const failMetaPut = (key) => failPutOnce((_value, k, store) => store === 'meta' && k === key);

// ---------------------------------------------------------------------------
// 1. Critical: a re-wrap whose transaction fails locks the session, and the
// lock's audit entry seals the manifest with the keyring as re-wrapped in
// memory: its manifest key wrapped under the new store key, which was never
// stored. The store no longer opens with the provider, nor with the recovery
// key (recovery.js rewrapMaster's catch → session.lock() → appendAuditEntry
// with the re-wrapped ring → sealManifest(manifestKeyOf(ring))).

for (const [what, run] of [
  ['rotateMasterKey', (store) => store.rotateMasterKey(providers.memory(newKek(), { id: 'next' }))],
  ['createRecoveryKey', (store) => store.createRecoveryKey()],
]) {
  test(`review-2 #1 (${what}): a ${what} whose transaction aborts leaves the store openable with the old key, its data intact`, async () => {
    const idb = new IDBFactory();
    const kek = newKek();
    const store = await open(idb, kek);
    await store.put('notes', 'n1', { body: 'one' });
    const restore = failMetaPut('smk');
    const failed = await settle(run(store));
    restore();
    assert.ok(restore.fired() && failed.code, `the simulated crash did not fail ${what}: ${JSON.stringify(failed)}`);
    await store.close();
    const again = await settle(open(idb, kek));
    assert.ok(again.value, `the store no longer opens with its provider after a failed ${what}: ${again.code ?? again.untyped}`);
    assert.deepEqual(await again.value.get('notes', 'n1'), { id: 'n1', body: 'one' });
    await again.value.close();
  });
}

test('review-2 #1 (recover): a recover() whose transaction aborts leaves the recovery key working (the platform key is already lost)', async () => {
  const idb = new IDBFactory();
  const store = await open(idb, newKek());
  await store.put('notes', 'n1', { body: 'one' });
  const recoveryKey = await store.createRecoveryKey();
  await store.close();
  const restore = failMetaPut('smk');
  const failed = await settle(EncryptedStore.recover({ name: NAME, recoveryKey, newProvider: providers.memory(newKek(), { id: 'new-1' }), indexedDB: idb }));
  restore();
  assert.ok(restore.fired() && failed.code, `the simulated crash did not fail recover(): ${JSON.stringify(failed)}`);
  const again = await settle(EncryptedStore.recover({ name: NAME, recoveryKey, newProvider: providers.memory(newKek(), { id: 'new-2' }), indexedDB: idb }));
  assert.ok(again.value, `the recovery key no longer opens the store after one failed recover(): ${again.code ?? again.untyped}`);
  assert.deepEqual(await again.value.get('notes', 'n1'), { id: 'n1', body: 'one' });
  await again.value.close();
});

// ---------------------------------------------------------------------------
// 2. High: createRecoveryKey() commits the new store key and recovery
// envelope (revoking the earlier recovery key), then appends its audit entry
// in a second transaction. If that append fails, createRecoveryKey() rejects
// and the new key is never shown: the user keeps the earlier key, which no
// longer opens anything, and learns it when the platform key is lost
// (recovery.js createRecoveryKey: appendAuditEntry after rewrapMaster).

test('review-2 #2: when createRecoveryKey() rejects, the earlier recovery key still opens the store', async () => {
  const idb = new IDBFactory();
  const store = await open(idb, newKek());
  await store.put('notes', 'n1', { body: 'one' });
  const earlier = await store.createRecoveryKey();
  // Its audit entry fails to be written (it was a second transaction after
  // the re-wrap had committed; it is now part of the re-wrap's).
  const { add } = globalThis.IDBObjectStore.prototype;
  let fired = false;
  globalThis.IDBObjectStore.prototype.add = function failingAdd(...args) {
    if (this.name === 'audit' && args[0]?.event === 'recovery-key-created' && !fired) {
      fired = true;
      throw new DOMException('simulated crash', 'UnknownError');
    }
    return add.apply(this, args);
  };
  const restore = () => { globalThis.IDBObjectStore.prototype.add = add; };
  restore.fired = () => fired;
  const replaced = await settle(store.createRecoveryKey());
  restore();
  await store.close();
  assert.ok(restore.fired(), 'the simulated failure did not happen');
  if (replaced.value) return; // the new key reached the user: fine
  const recovered = await settle(EncryptedStore.recover({ name: NAME, recoveryKey: earlier, newProvider: providers.memory(newKek(), { id: 'after-loss' }), indexedDB: idb }));
  assert.ok(recovered.value, `createRecoveryKey() rejected (${replaced.code}), yet it revoked the earlier recovery key (recover: ${recovered.code}) and the new one was never shown`);
  await recovered.value.close();
});

// ---------------------------------------------------------------------------
// 3. Medium: the manifest says a recovery envelope exists (R5), but only a
// master-key rotation checks it. Deleted on disk, nothing notices: open()
// and unlock() succeed, and the user learns the recovery key is useless when
// the platform key is lost (unlock.js unlockWith / unlockOrCreate never read
// meta.recovery; README "Formats": `recovery` says meta.recovery "must exist
// and open").

test('review-2 #3: an open() after the recovery envelope was deleted on disk does not succeed silently', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.createRecoveryKey();
  await store.close();
  await withRawStore(idb, 'meta', (s) => s.delete('recovery'), NAME);
  const reopened = await settle(open(idb, kek));
  if (reopened.value) await reopened.value.close();
  assert.equal(reopened.code, 'AUTH_FAILED', 'open() succeeded: the loss of the recovery envelope goes unseen until recover() is needed');
});

// ---------------------------------------------------------------------------
// 4. Medium: recover() with `collections` skips what open() does with
// declarations: no keys for a new collection or blind index, no migration,
// nothing saved (recovery.js recoverWith: no addMissingKeys /
// migrateDeclarations). A put to a collection declared there fails with
// UNKNOWN_KEY, a code no write documents.

test('review-2 #4: recover() with collections that add a collection can write to it, as open() with them can', async () => {
  const idb = new IDBFactory();
  const store = await open(idb, newKek());
  const recoveryKey = await store.createRecoveryKey();
  await store.close();
  const collections = { ...COLLECTIONS, extra: { encrypted: ['secret'] } };
  const recovered = await EncryptedStore.recover({ name: NAME, recoveryKey, newProvider: providers.memory(newKek(), { id: 'r' }), indexedDB: idb, collections });
  const put = await settle(recovered.put('extra', 'e1', { secret: 's' }));
  await recovered.close();
  assert.deepEqual(put, { value: undefined }, `put to a collection declared in recover() failed: ${put.code}`);
});

// ---------------------------------------------------------------------------
// 5. Low: open() refuses to make new keys over a database that still holds
// records (21f2764), but counts only the collections this open declares: a
// component's collection (the token vault's __tokens), declared later with
// declare(), is not counted, and new keys hide the loss of its records
// (unlock.js create: `collections = Object.keys(session.collections)`).

test('review-2 #5: a database whose keys were deleted is not made anew while a collection declared with declare() still holds records', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.declare('__component', { encrypted: ['token'] });
  await store.put('__component', 't1', { token: 'secret' });
  await store.close();
  await withRawStore(idb, 'meta', (s) => { s.delete('smk'); s.delete('manifest'); }, NAME);
  await withRawStore(idb, 'audit', (s) => s.clear(), NAME);
  const reopened = await settle(open(idb, kek));
  if (reopened.value) await reopened.value.close();
  assert.equal(reopened.code, 'STORAGE_FAILED', 'new keys were made over a database that still holds records');
});
