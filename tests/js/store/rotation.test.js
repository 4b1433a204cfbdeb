// EncryptedStore over fake-indexeddb, each test its own IDBFactory. Data- and
// index-key rotation: interrupted, concurrent, racing writes, unreadable
// records.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { editRaw, rawDump } from '../idb-helpers.js';
import { EncryptedStore, init, providers } from '../../../js/index.js';
import { codeOf, email, failPutsAfter, openStore, phone, seed } from './fixtures.js';

await init();

test('a full disk while a rotation starts undoes the new key: new records still use a stored key', async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore(idb, providers.memory(kek));
  await seed(store, 4);
  const restore = failPutsAfter(0, new DOMException('quota', 'QuotaExceededError'));
  try {
    assert.equal(await codeOf(store.rotateDataKeys({ collection: 'contacts' })), 'QUOTA_EXCEEDED');
  } finally {
    restore();
  }
  await store.put('contacts', 'after', { email: 'after@x.io' });
  store.close();
  const reopened = await openStore(idb, providers.memory(kek));
  assert.equal((await reopened.get('contacts', 'after')).email, 'after@x.io');
  assert.equal((await reopened.keyStatus()).rotation, null);
  reopened.close();
});

/**
 * Interrupts a rotation after `boundary` committed batches, in one of three
 * ways, and checks every record on the interrupted instance and after a
 * reopen (which resumes).
 */
async function interruptedRotation(kind, boundary, how) {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore(idb, providers.memory(kek));
  await seed(store, 10);
  const before = (await store.keyStatus()).keys;
  const controller = new AbortController();
  let batches = 0;
  let restore = () => {};
  const options = {
    collection: 'contacts', batchSize: 3, signal: controller.signal,
    onProgress: () => {
      batches++;
      if (batches < boundary) return;
      if (how === 'abort') controller.abort();
      if (how === 'crash') throw new Error('process killed');
      if (how === 'transaction') restore = failPutsAfter(0, new DOMException('aborted', 'AbortError'));
    },
  };
  if (boundary === 0) {
    if (how === 'abort') controller.abort();
    if (how === 'transaction') restore = failPutsAfter(1, new DOMException('aborted', 'AbortError'));
  }
  const run = kind === 'data' ? store.rotateDataKeys(options) : store.rotateIndexKeys({ ...options, field: 'email' });
  await assert.rejects(run);
  restore();

  // Readable and searchable on the interrupted instance.
  for (let i = 0; i < 10; i++) {
    const id = `c${String(i).padStart(5, '0')}`;
    assert.equal((await store.get('contacts', id)).email, email(i), `${kind}/${how}@${boundary}: ${id}`);
    assert.deepEqual((await store.findBy('contacts', 'email', email(i))).map((r) => r.id), [id], `search ${id} mid-rotation`);
  }
  store.close();

  // The next open resumes and finishes.
  const reopened = await openStore(idb, providers.memory(kek));
  const { keys, rotation } = await reopened.keyStatus();
  assert.equal(rotation, null, 'rotation finished on open');
  const scope = kind === 'data' ? 'contacts' : 'contacts/email';
  const oldPrimary = before.find((k) => k.kind === kind && k.scope === scope && k.status === 'primary');
  const started = keys.filter((k) => k.kind === kind && k.scope === scope).length > 1;
  if (started) {
    assert.equal(keys.find((k) => k.id === oldPrimary.id).status, 'retired');
    const dump = await rawDump(idb);
    for (const r of dump['c:contacts']) {
      if (kind === 'data') {
        assert.notEqual(Buffer.from(r.__rec).readUInt32BE(2), oldPrimary.id, 'record still under the old key');
      } else {
        assert.ok(!r.__bi.email[0].startsWith(`${oldPrimary.id}:`), 'index still under the old key');
      }
    }
  }
  for (let i = 0; i < 10; i++) {
    const id = `c${String(i).padStart(5, '0')}`;
    assert.equal((await reopened.get('contacts', id)).phone, phone(i));
    assert.deepEqual((await reopened.findBy('contacts', 'email', email(i))).map((r) => r.id), [id]);
  }
  reopened.close();
}

for (const kind of ['data', 'index']) {
  for (const how of ['abort', 'crash', 'transaction']) {
    test(`${kind}-key rotation interrupted (${how}) at every batch boundary, then resumed: every record readable throughout`, async () => {
      // 10 records in batches of 3: boundaries after 0, 1, 2, 3 and 4 batches.
      for (let boundary = 0; boundary <= 4; boundary++) await interruptedRotation(kind, boundary, how);
    });
  }
}

test('one rotation at a time: a second one gets ROTATION_IN_PROGRESS', async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const a = await openStore(idb, providers.memory(kek));
  await seed(a, 30);
  const b = await openStore(idb, providers.memory(kek));
  let release;
  const gate = new Promise((r) => { release = r; });
  let first;
  const started = new Promise((resolve) => {
    first = a.rotateDataKeys({ batchSize: 5, onProgress: async () => { resolve(); await gate; } });
  });
  await started;
  assert.equal(await codeOf(a.rotateDataKeys()), 'ROTATION_IN_PROGRESS');
  assert.equal(await codeOf(b.rotateIndexKeys()), 'ROTATION_IN_PROGRESS');
  assert.equal(await codeOf(b.rotateMasterKey(providers.memory())), 'ROTATION_IN_PROGRESS');
  release();
  await first;
  await b.rotateIndexKeys();
  assert.equal((await b.get('contacts', 'c00029')).email, email(29));
  a.close();
  b.close();
});

test('writes during a data-key rotation are never left under a retired key', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  await seed(store, 40);
  const rotation = store.rotateDataKeys({ collection: 'contacts', batchSize: 4 });
  const writes = [];
  for (let i = 0; i < 40; i += 3) writes.push(store.put('contacts', `c${String(i).padStart(5, '0')}`, { email: `w${i}@x.io` }));
  await Promise.all([rotation, ...writes]);
  const { keys } = await store.keyStatus();
  const retired = new Set(keys.filter((k) => k.status === 'retired').map((k) => k.id));
  for (const r of (await rawDump(idb))['c:contacts']) {
    assert.ok(!retired.has(Buffer.from(r.__rec).readUInt32BE(2)));
  }
  assert.equal((await store.get('contacts', 'c00003')).email, 'w3@x.io');
  store.close();
});

test('one record altered on disk neither stalls a rotation nor hides the other records', async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore(idb, providers.memory(kek));
  await seed(store, 6);
  await editRaw(idb, 'c:contacts', 'c00002', (r) => { r.__rec[50] ^= 1; return r; });
  const unreadable = [];
  store.on('unreadable', (e) => unreadable.push(e.id));
  assert.equal((await store.list('contacts')).length, 5);
  assert.deepEqual(unreadable, ['c00002']);
  const rotated = [];
  store.on('key-rotated', (e) => rotated.push(e));
  await store.rotateDataKeys({ collection: 'contacts' });
  const { keys } = await store.keyStatus();
  // The rotation finishes: the old key is retired (retired keys still
  // decrypt) and the record it could not read is counted.
  assert.equal(keys.filter((k) => k.kind === 'data' && k.scope === 'contacts' && k.status === 'retired').length, 1);
  assert.equal(rotated[0].unreadable, 1);
  assert.deepEqual(unreadable, ['c00002', 'c00002']);
  store.close();
  const reopened = await openStore(idb, providers.memory(kek));
  assert.equal((await reopened.get('contacts', 'c00004')).email, email(4));
  assert.equal(await codeOf(reopened.get('contacts', 'c00002')), 'AUTH_FAILED');
  reopened.close();
});

test('a put racing the start of a rotation that cannot be saved is never sealed under the unsaved key', async () => {
  // Puts are issued at every microtask depth 0..15 after the last read before
  // the rotation adds its key, whose transaction then fails (disk full).
  const idb = new IDBFactory();
  const store = await EncryptedStore.open({ name: 'app', provider: providers.memory(), collections: { c: { encrypted: ['email'] } }, indexedDB: idb });
  await store.put('c', 0, { email: 'seed' });
  const { transaction } = IDBDatabase.prototype;
  const { put } = IDBObjectStore.prototype;
  let armed = true;
  const puts = [];
  let issued = 0;
  IDBDatabase.prototype.transaction = function patched(stores, mode, opts) {
    const tx = transaction.call(this, stores, mode, opts);
    const names = [].concat(stores);
    if (armed && mode !== 'readwrite' && names.length === 1 && names[0] === 'meta') {
      tx.addEventListener('complete', () => {
        for (let d = 0; d < 16; d++) {
          let p = Promise.resolve();
          for (let i = 0; i < d; i++) p = p.then(() => {});
          // Every read of meta before the key is added arms a round (there are two).
          const id = `d${issued++}`;
          p.then(() => puts.push([id, store.put('c', id, { email: `v${id}` }).then(() => 'ok', (e) => e.code)]));
        }
      });
    }
    return tx;
  };
  IDBObjectStore.prototype.put = function patchedPut(value, key) {
    if (key === 'rotationProgress' && value?.after === null) {
      armed = false;
      throw new DOMException('full', 'QuotaExceededError');
    }
    return put.call(this, value, key);
  };
  try {
    assert.equal(await codeOf(store.rotateDataKeys()), 'QUOTA_EXCEEDED');
  } finally {
    IDBDatabase.prototype.transaction = transaction;
    IDBObjectStore.prototype.put = put;
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(puts.length > 0);
  for (const [id, result] of puts) {
    if ((await result) === 'ok') assert.equal((await store.get('c', id)).email, `v${id}`, `${id} readable`);
  }
  store.close();
});

test('a promise returned by onProgress holds the next batch until it settles; a rejection stops the rotation, which resumes', async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore(idb, providers.memory(kek));
  await seed(store, 9);
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const seen = [];
  const rotating = store.rotateDataKeys({ collection: 'contacts', batchSize: 3, onProgress: (p) => { seen.push(p.processed); return p.processed === 3 ? held : undefined; } });
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(seen, [3], 'the rotation went on before the promise settled');
  assert.equal((await store.keyStatus()).rotation?.processed, 3);
  release();
  await rotating;
  assert.deepEqual(seen, [3, 6, 9]);
  // A rejection stops it after the batch it followed; the next call resumes.
  // (The app's own reason comes back as it is, as an AbortSignal's does.)
  await assert.rejects(store.rotateDataKeys({ collection: 'contacts', batchSize: 3, onProgress: () => Promise.reject(new Error('stop')) }), /stop/);
  assert.equal((await store.keyStatus()).rotation?.processed, 3);
  await store.rotateDataKeys({ collection: 'contacts' });
  assert.equal((await store.keyStatus()).rotation, null);
  for (let i = 0; i < 9; i++) assert.equal((await store.get('contacts', `c0000${i}`)).email, email(i));
  store.close();
});
