// EncryptedStore over fake-indexeddb, each test its own IDBFactory. Queries:
// equality search through blind indexes and plain indexes, where-conditions,
// paging.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { rawDump } from '../idb-helpers.js';
import { EncryptedStore, init, providers } from '../../../js/index.js';
import { codeOf, email, openStore, phone, seed } from './fixtures.js';

await init();

test('CRUD, search and paging on 2000 records; truncated indexes filtered exactly', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  await seed(store, 2000);
  assert.deepEqual(await store.get('contacts', 'c00007'), {
    id: 'c00007', name: 'user 7', email: email(7), phone: phone(7), city: 'Rome',
  });
  assert.deepEqual((await store.get('contacts', 'c00008')).notes, { tags: ['vip'], score: 8 });
  assert.equal(await store.get('contacts', 'nope'), undefined);

  // 8-bit index: ~8 records share each value's index among 2000; exactly one matches.
  for (const i of [0, 17, 999, 1999]) {
    const found = await store.findBy('contacts', 'email', `  user${i}@EXAMPLE.com `);
    assert.deepEqual(found.map((r) => r.id), [`c${String(i).padStart(5, '0')}`]);
  }
  assert.deepEqual((await store.findBy('contacts', 'phone', `1555${String(42).padStart(4, '0')}`)).map((r) => r.id), ['c00042']);
  assert.deepEqual(await store.findBy('contacts', 'email', 'nobody@example.com'), []);
  assert.equal((await store.findBy('contacts', 'city', 'Rome')).length, 667);
  assert.equal((await store.findBy('contacts', 'name', 'user 5')).length, 1);
  assert.equal(await codeOf(store.findBy('contacts', 'notes', 'x')), 'INVALID_ARGUMENT');

  assert.equal((await store.where('contacts', 'notes', { exists: true })).length, 500);
  assert.equal((await store.where('contacts', 'notes', { exists: false })).length, 1500);
  assert.equal((await store.where('contacts', 'email', { ne: 'USER3@example.com' })).length, 1999);
  assert.equal((await store.where('contacts', 'city', { ne: 'Paris' })).length, 1333);

  const page1 = await store.list('contacts', { limit: 3 });
  assert.deepEqual(page1.map((r) => r.id), ['c00000', 'c00001', 'c00002']);
  const page2 = await store.list('contacts', { limit: 3, after: 'c00002' });
  assert.deepEqual(page2.map((r) => r.id), ['c00003', 'c00004', 'c00005']);

  await store.put('contacts', 'c00007', { name: 'renamed', email: 'new@x.io' });
  assert.deepEqual(await store.get('contacts', 'c00007'), { id: 'c00007', name: 'renamed', email: 'new@x.io' });
  assert.deepEqual(await store.findBy('contacts', 'email', email(7)), []);
  await store.delete('contacts', 'c00007');
  assert.equal(await store.get('contacts', 'c00007'), undefined);
  assert.deepEqual(await store.findBy('contacts', 'email', 'new@x.io'), []);
  store.close();
});

test('search compares values as they are sealed: 5 is not "5", and objects are indexed by their content', async () => {
  const idb = new IDBFactory();
  const store = await EncryptedStore.open({
    name: 'app', provider: providers.memory(), indexedDB: idb,
    collections: { items: { encrypted: ['code', 'meta'], blindIndex: { code: { bits: 8 }, meta: { bits: 32 } } } },
  });
  await store.put('items', 'number', { code: 5 });
  await store.put('items', 'string', { code: '5' });
  await store.put('items', 'true', { code: true });
  await store.put('items', 'text-true', { code: 'true' });
  const ids = (rows) => rows.map((r) => r.id).sort();
  assert.deepEqual(ids(await store.findBy('items', 'code', 5)), ['number']);
  assert.deepEqual(ids(await store.findBy('items', 'code', '5')), ['string']);
  assert.deepEqual(ids(await store.findBy('items', 'code', true)), ['true']);
  assert.deepEqual(ids(await store.where('items', 'code', { ne: 5 })), ['string', 'text-true', 'true']);

  await store.put('items', 'x', { meta: { a: 1, b: [1, 2] } });
  await store.put('items', 'y', { meta: { a: 2 } });
  const raw = Object.fromEntries((await rawDump(idb))['c:items'].map((r) => [r.id, r.__bi.meta?.[0]]));
  assert.notEqual(raw.x, raw.y, 'two different objects share no index term');
  assert.deepEqual(ids(await store.findBy('items', 'meta', { b: [1, 2], a: 1 })), ['x'], 'key order does not matter');
  assert.deepEqual(ids(await store.findBy('items', 'meta', { a: 2 })), ['y']);
  assert.deepEqual(ids(await store.findBy('items', 'meta', { a: 3 })), []);
  assert.deepEqual(ids(await store.findBy('items', 'meta', '[object Object]')), []);
  store.close();
});

test("fields named like Object.prototype members are plain fields, and normalisation applies to strings only", async () => {
  const idb = new IDBFactory();
  const store = await EncryptedStore.open({
    name: 'app', provider: providers.memory(), indexedDB: idb,
    collections: { items: { encrypted: ['tag'], blindIndex: { tag: { bits: 32, normalize: 'lowercase' } } } },
  });
  await store.put('items', 'a', { constructor: 'plain', toString: 'x', tag: { K: 1 } });
  await store.put('items', 'b', { tag: { k: 1 } });
  await store.put('items', 'c', { tag: 'MiXeD' });
  const ids = (rows) => rows.map((r) => r.id).sort();
  assert.deepEqual(ids(await store.findBy('items', 'constructor', 'plain')), ['a']);
  assert.deepEqual(ids(await store.where('items', 'toString', { ne: 'y' })), ['a']);
  assert.deepEqual(ids(await store.findBy('items', 'tag', { K: 1 })), ['a'], 'object keys are not lowercased');
  assert.deepEqual(ids(await store.findBy('items', 'tag', 'mixed')), ['c']);
  assert.equal(await codeOf(store.rotateIndexKeys({ collection: 'items', field: 'constructor' })), 'INVALID_ARGUMENT');
  store.close();
});
