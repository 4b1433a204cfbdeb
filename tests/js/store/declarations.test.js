// EncryptedStore over fake-indexeddb, each test its own IDBFactory. Collection
// declarations: added later, changed, refused.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { contains, rawDump } from '../idb-helpers.js';
import { EncryptedStore, init, providers } from '../../../js/index.js';
import { codeOf, email } from './fixtures.js';

await init();

test('collections declared later get their own keys; bad declarations are refused', async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const first = await EncryptedStore.open({ name: 'app', provider: providers.memory(kek), collections: { a: { encrypted: ['x'] } }, indexedDB: idb });
  await first.put('a', 1, { x: 'one' });
  first.close();
  const second = await EncryptedStore.open({
    name: 'app', provider: providers.memory(kek), indexedDB: idb,
    collections: { a: { encrypted: ['x'] }, b: { encrypted: ['y'], blindIndex: { y: {} } } },
  });
  await second.put('b', 'k', { y: 'why' });
  assert.equal((await second.get('a', 1)).x, 'one');
  assert.deepEqual((await second.findBy('b', 'y', 'why')).map((r) => r.id), ['k']);
  assert.equal(await codeOf(second.put('nope', 'k', {})), 'INVALID_ARGUMENT');
  assert.equal(await codeOf(second.put('a', '', {})), 'INVALID_ARGUMENT');
  assert.equal(await codeOf(second.put('a', 'k', { __enc: 1 })), 'INVALID_ARGUMENT');
  second.close();
  const bad = [
    { a: { encrypted: ['x'], blindIndex: { y: {} } } },
    { 'a/b': {} },
    { a: { encrypted: ['x'], blindIndex: { x: { bits: 300 } } } },
    { a: { encrypted: ['x'], indexes: ['x'] } },
    { a: { encrypted: ['x.y'] } },
  ];
  for (const collections of bad) {
    assert.equal(await codeOf(EncryptedStore.open({ name: 'z', provider: providers.memory(), collections, indexedDB: idb })), 'INVALID_ARGUMENT', JSON.stringify(collections));
  }
});

test('declaring a field encrypted later encrypts what was stored in the clear; changing a blind index recomputes it', async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const open = (collections) => EncryptedStore.open({ name: 'app', provider: providers.memory(kek), collections, indexedDB: idb });
  const plain = await open({ people: { encrypted: ['ssn'] } });
  for (let i = 0; i < 12; i++) await plain.put('people', i, { email: `P${i}@x.io`, ssn: `ssn-${i}` });
  plain.close();
  assert.equal(contains(await rawDump(idb), 'P3@x.io'), true, 'stored in the clear at first');

  const encrypted = await open({ people: { encrypted: ['ssn', 'email'], blindIndex: { email: { bits: 12, normalize: 'lowercase' } } } });
  assert.equal(contains(await rawDump(idb), 'P3@x.io'), false, 'now encrypted on disk');
  assert.deepEqual((await encrypted.findBy('people', 'email', 'p3@X.IO')).map((r) => r.id), [3]);
  assert.equal((await encrypted.get('people', 7)).ssn, 'ssn-7');
  encrypted.close();

  const rebits = await open({ people: { encrypted: ['ssn', 'email'], blindIndex: { email: { bits: 20, normalize: 'none' } } } });
  assert.deepEqual((await rebits.findBy('people', 'email', 'P5@x.io')).map((r) => r.id), [5]);
  assert.deepEqual(await rebits.findBy('people', 'email', 'p5@x.io'), [], 'normalisation is now none');
  for (const r of (await rawDump(idb))['c:people']) assert.equal(r.__bi.email[0].split(':')[1].length, 5, '20 bits: 5 hex digits');
  rebits.close();
});

test('collection and field names are measured in UTF-8 bytes, as the core measures them', async () => {
  const idb = new IDBFactory();
  const longest = `${'é'.repeat(127)}a`; // 255 bytes, 128 characters
  const tooLong = 'é'.repeat(128); // 256 bytes, 128 characters
  const store = await EncryptedStore.open({
    name: 'app', provider: providers.memory(), indexedDB: idb, collections: { [longest]: { encrypted: [longest] } },
  });
  await store.put(longest, 'a', { [longest]: 'fits' });
  assert.equal((await store.get(longest, 'a'))[longest], 'fits');
  for (const collections of [{ [tooLong]: {} }, { ok: { encrypted: [tooLong] } }, { ok: { indexes: ['a.b'] } }]) {
    const err = await EncryptedStore.open({ name: 'other', provider: providers.memory(), indexedDB: idb, collections }).catch((e) => e);
    assert.equal(err?.code, 'INVALID_ARGUMENT', JSON.stringify(Object.keys(collections)));
  }
  assert.equal(await codeOf(EncryptedStore.open({ name: tooLong, provider: providers.memory(), indexedDB: idb, collections: {} })), 'INVALID_ARGUMENT');
  store.close();
});

test('reopening with the same declarations writes nothing (a store on a full disk still opens)', async () => {
  const idb = new IDBFactory();
  const provider = providers.memory();
  const first = await EncryptedStore.open({ name: 'app', provider, collections: { a: { encrypted: ['x'], blindIndex: { x: {} } } }, indexedDB: idb });
  await first.put('a', 1, { x: 'one' });
  await first.close();
  const before = await rawDump(idb);
  const { put, add } = IDBObjectStore.prototype;
  IDBObjectStore.prototype.put = function full() { throw new DOMException('full', 'QuotaExceededError'); };
  IDBObjectStore.prototype.add = IDBObjectStore.prototype.put;
  let second;
  try {
    second = await EncryptedStore.open({ name: 'app', provider, collections: { a: { encrypted: ['x'], blindIndex: { x: {} } } }, indexedDB: idb });
    assert.equal((await second.get('a', 1)).x, 'one');
  } finally {
    IDBObjectStore.prototype.put = put;
    IDBObjectStore.prototype.add = add;
  }
  const after = await rawDump(idb);
  assert.deepEqual(after.meta, before.meta, 'the manifest was written again');
  await second.close();
});
