// Findings of an adversarial review of store format 2 (commit 8945771), each
// as a test that fails against that code for the reason its name gives. The
// attacker holds the IndexedDB files (and old backups) but not the key
// provider; some findings are races between two instances (tabs) of a store.
// Where fake-indexeddb's API cannot express an edit of the files (a value
// stored under another record's key, an index entry pointing at a record
// that does not hold the indexed value), the test edits fake-indexeddb's own
// in-memory records, as a hex editor would LevelDB's.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { contains, editRaw, findRaw, rawDump, sealedKeyIds, withRawStore } from '../idb-helpers.js';
import { EncryptedStore, EnveilError, init, providers } from '../../../js/index.js';
import { COLLECTIONS, codeOf } from './fixtures.js';

await init();

const NAME = 'app';

/** @param {IDBFactory} idb @param {Uint8Array} kek @param {object} [extra] */
function open(idb, kek, extra = {}) {
  return EncryptedStore.open({ name: NAME, provider: providers.memory(kek), collections: COLLECTIONS, indexedDB: idb, ...extra });
}

/** An instance opened where BroadcastChannel does not exist (Safari before 15.4, old WebViews). */
async function openDeaf(idb, kek, extra = {}) {
  const channel = globalThis.BroadcastChannel;
  globalThis.BroadcastChannel = undefined;
  try {
    return await open(idb, kek, extra);
  } finally {
    globalThis.BroadcastChannel = channel;
  }
}

const newKek = () => crypto.getRandomValues(new Uint8Array(32));

/** The id of the primary data key of `collection`, as keyStatus() shows it. */
async function primaryDataKey(store, collection) {
  const { keys } = await store.keyStatus();
  return keys.find((k) => k.kind === 'data' && k.scope === collection && k.status === 'primary').id;
}

/**
 * fake-indexeddb's in-memory object store `storeName` of database `name`:
 * what a hex editor on LevelDB reaches, below the IndexedDB API.
 */
async function rawObjectStore(idb, storeName, name = NAME) {
  const db = await new Promise((resolve, reject) => {
    const r = idb.open(name);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  try {
    const raw = db._rawDatabase.rawObjectStores.get(storeName);
    assert.ok(raw, `no object store ${storeName}`);
    return raw;
  } finally {
    db.close();
  }
}

/** Replaces the value stored under `key` by `value`, leaving the key (and every index) as it is. */
async function overwriteValueUnderKey(idb, storeName, key, value) {
  const raw = await rawObjectStore(idb, storeName);
  const record = raw.records.get(key);
  assert.ok(record, `nothing stored under ${String(key)}`);
  record.value = structuredClone(value);
}

/** Adds an index entry `indexKey` → primary key `primaryKey` to index `indexName` (the record itself unchanged). */
async function addIndexEntry(idb, storeName, indexName, indexKey, primaryKey) {
  const raw = await rawObjectStore(idb, storeName);
  raw.rawIndexes.get(indexName).records.put({ key: indexKey, value: primaryKey });
}

/** What a promise settled to: { value } or { code } (an EnveilError) or { untyped }. */
async function settle(promise) {
  try {
    return { value: await promise };
  } catch (err) {
    return err instanceof EnveilError ? { code: err.code } : { untyped: err };
  }
}

// ---------------------------------------------------------------------------
// 1. Critical: an audit append rebases a stale instance onto a manifest whose
// keys it never loaded. commitManifest({ rebase: 'audit' }) accepts a newer
// manifest with different keys and the session adopts it as its own
// (writeManifest), but mergeKeys is never called: the instance now holds a
// manifest version equal to the stored one, so neither #write's version
// check nor syncKeyring ever notices its keyring is stale.

test('finding R1a: an instance that missed a data-key rotation, then appends an audit entry, still seals new records under the retired key', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const a = await open(idb, kek);
  await a.put('notes', 'n1', { body: 'one' });
  const deaf = await openDeaf(idb, kek);
  await a.rotateDataKeys(); // notes: the old data key is retired
  const primary = await primaryDataKey(a, 'notes');
  await deaf.appendAudit('app-event', {}); // the vault does this on every refresh
  await deaf.put('notes', 'n2', { body: 'two' });
  const [[, stored]] = await findRaw(idb, 'n2', NAME);
  assert.deepEqual(sealedKeyIds(stored), [primary], 'n2 was sealed under a key the manifest says is retired');
  await a.close();
  await deaf.close();
});

test('finding R1b: an instance that missed a data-key rotation, then appends an audit entry and declares a collection, drops the new key: the rotated records become unreadable', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const a = await open(idb, kek);
  await a.put('notes', 'n1', { body: 'one' });
  const deaf = await openDeaf(idb, kek);
  await a.rotateDataKeys(); // n1 re-sealed under the new key
  await deaf.appendAudit('app-event', {});
  // Any keyring change of the deaf instance (here: a component declaring its collection).
  await deaf.declare('__component', { encrypted: ['x'] });
  await a.close();
  await deaf.close();
  const fresh = await open(idb, kek);
  const got = await settle(fresh.get('notes', 'n1'));
  assert.deepEqual(got, { value: { id: 'n1', body: 'one' } }, `n1 is lost: ${JSON.stringify(got.code ?? got.untyped?.message)}`);
  await fresh.close();
});

// ---------------------------------------------------------------------------
// 2. High: a stored value is trusted to be the one under the key it was read
// from. The AAD binds the value's own `id`, but get(id) never checks that the
// record it authenticated is the record `id`; the rotation pages with the
// value's id rather than the key.

test('finding R2a: get(c1) never returns the record of c2, stored by the attacker under the key c1', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.put('contacts', 'c1', { name: 'Ada', email: 'ada@example.com', city: 'Oslo' });
  await store.put('contacts', 'c2', { name: 'Mallory', email: 'mallory@evil.example', city: 'Rome' });
  const [[, c2]] = await findRaw(idb, 'c2', NAME);
  await overwriteValueUnderKey(idb, 'c:contacts', 'c1', c2);
  const got = await settle(store.get('contacts', 'c1'));
  assert.ok(got.code === 'AUTH_FAILED' || got.value?.email === 'ada@example.com',
    `get('contacts', 'c1') returned ${JSON.stringify(got.value ?? got)}`);
  await store.close();
});

test('finding R2b: a data-key rotation finishes when a record is stored under another record\'s key (it loops forever today)', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.put('notes', 'n1', { body: 'one' });
  await store.put('notes', 'n2', { body: 'two' });
  const [[, n1]] = await findRaw(idb, 'n1', NAME);
  await overwriteValueUnderKey(idb, 'c:notes', 'n2', n1);
  let batches = 0;
  const rotated = await settle(store.rotateDataKeys({
    collection: 'notes', signal: AbortSignal.timeout(3000), onProgress: () => { batches++; },
  }));
  assert.ok(!rotated.untyped, `rotateDataKeys did not finish in 3 s (${batches} batches for 2 records): ${rotated.untyped?.name}`);
  await store.close();
});

// ---------------------------------------------------------------------------
// 3. Medium: findBy on a plain indexed field returns what the IndexedDB index
// points at without checking the authenticated value matches.

test('finding R3: findBy on a plain indexed field returns only records that hold the value, whatever the index entries say', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.put('contacts', 'c1', { name: 'Ada', email: 'ada@example.com', city: 'Oslo' });
  await store.put('contacts', 'c2', { name: 'Grace', email: 'grace@example.org', city: 'Rome' });
  await addIndexEntry(idb, 'c:contacts', 'ix:city', 'Rome', 'c1');
  const found = await store.findBy('contacts', 'city', 'Rome');
  assert.deepEqual(found.map((r) => [r.id, r.city]), [['c2', 'Rome']]);
  await store.close();
});

// ---------------------------------------------------------------------------
// 4. Medium: canonical() does not cover everything structured clone keeps.

test('finding R4a: a property added to an array in a plain field is refused (canonical() ignores an array\'s non-index properties, structured clone keeps them)', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.put('notes', 'n1', { body: 'b', roles: ['reader'] });
  await editRaw(idb, 'c:notes', 'n1', (v) => {
    v.roles.admin = true;
    return v;
  }, NAME);
  const got = await settle(store.get('notes', 'n1'));
  assert.ok(got.code === 'AUTH_FAILED' || (got.value && !Object.hasOwn(got.value.roles, 'admin')),
    `get returned roles with the attacker's property: ${JSON.stringify(Object.entries(got.value?.roles ?? {}))}`);
  await store.close();
});

test('finding R4b: a plain array element undefined turned into a hole is refused (both have the canonical text "undefined")', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.put('notes', 'n1', { body: 'b', slots: [undefined, 'x'] });
  await editRaw(idb, 'c:notes', 'n1', (v) => {
    delete v.slots[0];
    return v;
  }, NAME);
  const got = await settle(store.get('notes', 'n1'));
  assert.ok(got.code === 'AUTH_FAILED' || (got.value && Object.hasOwn(got.value.slots, 0)), 'get returned an array with a hole the app never wrote');
  await store.close();
});

test('finding R4c: a record copied under an id that differs only in a lone surrogate is refused (TextEncoder maps every lone surrogate to U+FFFD in the id form)', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  const id = 'doc-\ud800';
  const other = 'doc-\udc00';
  await store.put('notes', id, { body: 'the launch code is 0000' });
  const [[, stored]] = await findRaw(idb, id, NAME);
  await withRawStore(idb, 'c:notes', (s) => s.put({ ...stored, id: other }), NAME);
  const got = await settle(store.get('notes', other));
  assert.equal(got.code, 'AUTH_FAILED', `a copy under another id opened: ${JSON.stringify(got.value)}`);
  await store.close();
});

// ---------------------------------------------------------------------------
// 5. Medium: the recovery envelope is not in the manifest. Deleted or
// replaced on disk, a master-key rotation silently stops carrying the
// recovery key over ("it is then not carried over"), and the user finds out
// only when the platform key is lost.

test('finding R5: a recovery envelope removed on disk is noticed: rotateMasterKey fails typed, or the recovery key still works afterwards', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.put('notes', 'n1', { body: 'one' });
  const recoveryKey = await store.createRecoveryKey();
  await withRawStore(idb, 'meta', (s) => s.delete('recovery'), NAME);
  const rotated = await settle(store.rotateMasterKey(providers.memory(newKek(), { id: 'next' })));
  await store.close();
  if (rotated.code) return; // told: fine
  const recovered = await settle(EncryptedStore.recover({
    name: NAME, recoveryKey, newProvider: providers.memory(newKek(), { id: 'after-loss' }), indexedDB: idb, collections: COLLECTIONS,
  }));
  assert.ok(recovered.value, `rotateMasterKey succeeded, yet the recovery key no longer opens the store (${recovered.code})`);
  await recovered.value.close();
});

// ---------------------------------------------------------------------------
// 6. Medium/low: the audit log as read and as verified.

test('finding R6a: auditLog() never returns an entry the attacker edited (it returns stored entries unauthenticated)', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.appendAudit('payment-approved', { amount: 10 });
  await editRaw(idb, 'audit', 1, (e) => ({ ...e, event: 'payment-approved', details: { amount: 10_000 } }), NAME);
  const read = await settle(store.auditLog());
  assert.ok(read.code || !read.value.some((e) => e.details?.amount === 10_000), 'auditLog() returned the forged amount');
  await store.close();
});

test('finding R6b: an audit entry whose details changed type (a Date made a string) does not verify (the MAC covers JSON.stringify, not the stored value)', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  const last = await store.appendAudit('consent', { given: new Date(0), revoked: 0 });
  await editRaw(idb, 'audit', last.seq, (e) => ({ ...e, details: { given: '1970-01-01T00:00:00.000Z', revoked: -0, extra: undefined } }), NAME);
  const verified = await store.verifyAuditLog();
  assert.equal(verified.ok, false, 'an edited entry verifies');
  await store.close();
});

// ---------------------------------------------------------------------------
// 7. Low: typed, but not the promised type.

test('finding R7: putIf over a stored record that names an unknown key id rejects AUTH_FAILED (not UNKNOWN_KEY)', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.put('notes', 'n1', { body: 'one' });
  await editRaw(idb, 'c:notes', 'n1', (v) => {
    const rec = v.__rec.slice();
    rec.set([0xde, 0xad, 0xbe, 0xef], 2);
    return { ...v, __rec: rec };
  }, NAME);
  assert.equal(await codeOf(store.get('notes', 'n1')), 'AUTH_FAILED');
  assert.equal(await codeOf(store.putIf('notes', 'n1', { body: 'two' }, () => true)), 'AUTH_FAILED');
  await store.close();
});

test('finding R8: unlock() called after a lock() that overtook an earlier unlock() unlocks (it is joined to the overtaken one and rejects LOCKED)', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const store = await open(idb, kek);
  await store.lock();
  const first = settle(store.unlock());
  store.lock(); // wins over the first unlock
  const second = await settle(store.unlock()); // asked after the lock
  assert.equal((await first).code, 'LOCKED', 'the lock wins over the unlock it overtook');
  assert.deepEqual(second, { value: undefined }, `the unlock asked after the lock rejected ${second.code}`);
  assert.equal(store.locked, false);
  await store.close();
});

// ---------------------------------------------------------------------------
// 8. Medium: declarations are saved whole by whichever instance writes last.

test('finding R9: a declaration made by one instance survives another instance\'s declare(): recover() without collections still encrypts the field', async () => {
  const idb = new IDBFactory();
  const kek = newKek();
  const a = await open(idb, kek);
  const recoveryKey = await a.createRecoveryKey();
  const b = await open(idb, kek);
  // A newer version of the app (tab a) encrypts notes.title from now on.
  await a.declare('notes', { encrypted: ['body', 'title'] });
  await a.put('notes', 'n1', { title: 'secret plans', body: 'b' });
  // The older tab b declares a component's collection.
  await b.declare('__component', { encrypted: ['x'] });
  await a.close();
  await b.close();
  const recovered = await EncryptedStore.recover({ name: NAME, recoveryKey, newProvider: providers.memory(newKek(), { id: 'r' }), indexedDB: idb });
  await recovered.put('notes', 'n2', { title: 'new secret title', body: 'b' });
  await recovered.close();
  assert.equal(contains(await rawDump(idb, NAME), 'new secret title'), false, 'notes.title stored in clear: the declaration was reverted');
});
