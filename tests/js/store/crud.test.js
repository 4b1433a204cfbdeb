// EncryptedStore over fake-indexeddb, each test its own IDBFactory. put / get
// / delete: what reaches IndexedDB, tampered records, a full disk.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { contains, editRaw, rawDump } from '../idb-helpers.js';
import { init, providers } from '../../../js/index.js';
import { codeOf, email, failPutsAfter, openStore, phone, seed } from './fixtures.js';

await init();

test('nothing encrypted reaches IndexedDB in plaintext, keys included', async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore(idb, providers.memory(kek));
  await seed(store, 50);
  await store.put('notes', 'n1', { body: 'the launch code is 0000-SECRET-1234' });
  await store.createRecoveryKey();
  await store.rotateDataKeys();
  await store.rotateIndexKeys();
  const dump = await rawDump(idb);
  for (let i = 0; i < 50; i++) {
    assert.equal(contains(dump, email(i)), false, `email ${i} in plaintext`);
    assert.equal(contains(dump, email(i).toLowerCase()), false);
    assert.equal(contains(dump, phone(i)), false, `phone ${i} in plaintext`);
  }
  assert.equal(contains(dump, 'SECRET-1234'), false);
  assert.equal(contains(dump, '"vip"'), false);
  assert.equal(contains(dump, Buffer.from(kek).toString('latin1')), false, 'the KEK is stored');
  // What is meant to be plain stays plain and queryable.
  assert.equal(contains(dump, 'user 3'), true);
  assert.equal(contains(dump, 'Paris'), true);
  store.close();
});

test('a corrupted stored ciphertext gives AUTH_FAILED for that record only', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  await seed(store, 5);
  await editRaw(idb, 'c:contacts', 'c00002', (r) => {
    r.__rec[40] ^= 1;
    return r;
  });
  assert.equal(await codeOf(store.get('contacts', 'c00002')), 'AUTH_FAILED');
  assert.equal((await store.get('contacts', 'c00001')).email, email(1));
  assert.equal((await store.get('contacts', 'c00003')).email, email(3));
  // A ciphertext moved to another record fails too.
  const dump = await rawDump(idb);
  const moved = dump['c:contacts'].find((r) => r.id === 'c00004').__rec;
  await editRaw(idb, 'c:contacts', 'c00003', (r) => ({ ...r, __rec: moved }));
  assert.equal(await codeOf(store.get('contacts', 'c00003')), 'AUTH_FAILED');
  store.close();
});

test('a full disk gives QUOTA_EXCEEDED, other failures STORAGE_FAILED, with nothing half-written', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  await store.put('contacts', 'a', { email: 'a@x.io', name: 'A' });
  let restore = failPutsAfter(0, new DOMException('quota', 'QuotaExceededError'));
  try {
    assert.equal(await codeOf(store.put('contacts', 'a', { email: 'changed@x.io', name: 'B' })), 'QUOTA_EXCEEDED');
    assert.equal(await codeOf(store.put('contacts', 'b', { email: 'b@x.io' })), 'QUOTA_EXCEEDED');
  } finally {
    restore();
  }
  assert.deepEqual(await store.get('contacts', 'a'), { id: 'a', email: 'a@x.io', name: 'A' });
  assert.equal(await store.get('contacts', 'b'), undefined);

  restore = failPutsAfter(0, new DOMException('disk', 'UnknownError'));
  try {
    const err = await store.put('contacts', 'a', { email: 'secret-value@x.io' }).catch((e) => e);
    assert.equal(err.code, 'STORAGE_FAILED');
    assert.ok(!err.message.includes('secret-value'), 'no data in the message');
  } finally {
    restore();
  }
  store.close();
});

test("a record's own id must be the id it is stored under: equal is kept, different is INVALID_ARGUMENT and writes nothing", async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  await store.put('contacts', 'a', { id: 'a', email: 'a@x.io' });
  const read = await store.get('contacts', 'a');
  assert.deepEqual(read, { id: 'a', email: 'a@x.io' });
  await store.put('contacts', 'a', { ...read, name: 'A' });
  assert.deepEqual(await store.get('contacts', 'a'), { id: 'a', email: 'a@x.io', name: 'A' }, 'get, change, put back');

  for (const [id, record] of [['a', { id: 'b', email: 'b@x.io' }], [1, { id: '1' }], ['c', { id: null, email: 'c@x.io' }]]) {
    const err = await store.put('contacts', id, record).catch((e) => e);
    assert.equal(err?.code, 'INVALID_ARGUMENT', `put(${JSON.stringify(id)}, { id: ${String(record.id)} })`);
    assert.match(err.message, /record\.id/);
    assert.equal(await codeOf(store.putIf('contacts', id, record, () => true)), 'INVALID_ARGUMENT');
  }
  assert.deepEqual(await store.get('contacts', 'a'), { id: 'a', email: 'a@x.io', name: 'A' });
  assert.equal(await store.get('contacts', 1), undefined);
  assert.equal(await store.get('contacts', 'c'), undefined);
  await store.put('contacts', 'd', { id: undefined, email: 'd@x.io' });
  assert.deepEqual(await store.get('contacts', 'd'), { id: 'd', email: 'd@x.io' }, 'an undefined id is absent, like any undefined field');
  store.close();
});

test('a database of store format 1 (0.1 development builds) is refused as UNSUPPORTED, naming the format, and left as it is', async () => {
  const idb = new IDBFactory();
  // What format 1 wrote: meta smk + collections, a keyring object store, records with __enc.
  await new Promise((resolve, reject) => {
    const request = idb.open('app', 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      const meta = db.createObjectStore('meta');
      db.createObjectStore('keyring', { keyPath: 'id' }).put({ id: 7, kind: 'data', scope: 'notes', status: 'primary', wrapped: new Uint8Array(102) });
      db.createObjectStore('audit', { keyPath: 'seq' });
      db.createObjectStore('c:notes', { keyPath: 'id' }).put({ id: 'n1', __enc: { body: new Uint8Array(80) }, __bi: {} });
      meta.put({ smkId: 'smk-0123', providerId: 'memory', wrapped: new Uint8Array(80) }, 'smk');
      meta.put({ notes: { encrypted: ['body'], blindIndex: {}, indexes: [] } }, 'collections');
    };
    request.onsuccess = () => { request.result.close(); resolve(); };
    request.onerror = () => reject(request.error);
  });
  const before = await rawDump(idb);
  const err = await openStore(idb, providers.memory()).then(() => null, (e) => e);
  assert.equal(err?.code, 'UNSUPPORTED');
  assert.match(err.message, /format 1/);
  const after = await rawDump(idb);
  // Object stores of today's declarations may have been added (empty); nothing stored changed.
  for (const [name, values] of Object.entries(before)) assert.deepEqual(after[name], values, `${name} unchanged`);
  for (const [name, values] of Object.entries(after)) if (!(name in before)) assert.deepEqual(values, [], `${name} is empty`);
});
