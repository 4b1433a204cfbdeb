// EncryptedStore over an injected fake-indexeddb IDBFactory and nothing else:
// no IndexedDB global (no 'fake-indexeddb/auto' in this file or its imports;
// node --test runs each file in its own process). The store must reach every
// IndexedDB class through the factory it was given (issue 14). The last test
// alone installs globals, to compare with the global factory's way of paging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory, IDBKeyRange, IDBObjectStore, indexedDB as globalFactory } from 'fake-indexeddb';
import { init, providers } from '../../../js/index.js';
import { codeOf, email, openStore, seed } from './fixtures.js';

await init();

test('a store over an injected factory works with no IndexedDB globals: put, get, findBy, list pages, rotation, reopen', async () => {
  assert.equal(globalThis.indexedDB, undefined, 'this file must not register IndexedDB globals');
  assert.equal(globalThis.IDBRequest, undefined);
  assert.equal(globalThis.IDBKeyRange, undefined);

  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore(idb, providers.memory(kek));
  await seed(store, 7);
  await store.put('notes', 'n1', { body: 'kept across a reopen' });

  assert.equal((await store.get('contacts', 'c00003')).email, email(3));
  assert.equal(await store.get('contacts', 'nobody'), undefined);
  assert.deepEqual((await store.findBy('contacts', 'email', `  ${email(5).toUpperCase()} `)).map((r) => r.id), ['c00005']);
  assert.deepEqual((await store.findBy('contacts', 'city', 'Rome')).map((r) => r.id), ['c00001', 'c00004']);

  const ids = async (options) => (await store.list('contacts', options)).map((r) => r.id);
  assert.deepEqual(await ids({ limit: 3 }), ['c00000', 'c00001', 'c00002']);
  assert.deepEqual(await ids({ limit: 3, after: 'c00002' }), ['c00003', 'c00004', 'c00005']);
  assert.deepEqual(await ids({ limit: 3, after: 'c00005' }), ['c00006']);
  assert.deepEqual(await ids({ after: 'c00006' }), []);
  assert.deepEqual(await ids({ limit: 2, after: 'c00002x' }), ['c00003', 'c00004'], 'after need not be a stored id');
  assert.deepEqual(await ids({ limit: 2, after: 'a' }), ['c00000', 'c00001']);

  const keysBefore = (await store.keyStatus()).keys;
  await store.rotateDataKeys({ collection: 'contacts', batchSize: 2 });
  assert.notDeepEqual((await store.keyStatus()).keys, keysBefore);
  assert.equal((await store.keyStatus()).rotation, null);
  assert.equal((await store.get('contacts', 'c00006')).email, email(6));
  store.close();

  const reopened = await openStore(idb, providers.memory(kek));
  assert.equal((await reopened.get('contacts', 'c00000')).email, email(0));
  assert.equal((await reopened.get('notes', 'n1')).body, 'kept across a reopen');
  assert.deepEqual((await reopened.findBy('contacts', 'email', email(2))).map((r) => r.id), ['c00002']);
  assert.equal((await reopened.list('contacts', { limit: 100 })).length, 7);
  reopened.close();
});

/**
 * Makes fake-indexeddb's put() (its own class: there is no global one here)
 * call `how(store, request)` after each put from the nth on.
 */
function onPutsAfter(n, how) {
  const proto = IDBObjectStore.prototype;
  const original = proto.put;
  let calls = 0;
  proto.put = function put(...args) {
    if (++calls <= n) return original.apply(this, args);
    return how(this, () => original.apply(this, args));
  };
  return () => { proto.put = original; };
}

test('through an injected factory a write is done only when its transaction commits, and failures keep their codes', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  await store.put('contacts', 'a', { email: 'a@x.io', name: 'A' });
  const unchanged = { id: 'a', email: 'a@x.io', name: 'A' };
  const failures = [
    // put() itself throws: a full disk, or any other IndexedDB failure.
    ['QUOTA_EXCEEDED', () => { throw new DOMException('quota', 'QuotaExceededError'); }],
    ['STORAGE_FAILED', () => { throw new DOMException('disk', 'UnknownError'); }],
    // The request fails after it was made (its transaction aborted under it).
    ['STORAGE_FAILED', (s, put) => { const r = put(); s.transaction.abort(); return r; }],
    // Every request succeeds, then the transaction aborts instead of committing.
    ['STORAGE_FAILED', (s, put) => {
      const r = put();
      r.addEventListener('success', () => s.transaction.abort());
      return r;
    }],
  ];
  for (const [code, how] of failures) {
    const restore = onPutsAfter(0, how);
    try {
      const err = await store.putIf('contacts', 'a', { email: 'changed@x.io' }, () => true).catch((e) => e);
      assert.equal(err?.code, code, String(err));
      assert.ok(!err.message.includes('changed@x.io'), 'no data in the message');
      assert.equal(await codeOf(store.put('contacts', 'b', { email: 'b@x.io' })), code);
    } finally {
      restore();
    }
    assert.deepEqual(await store.get('contacts', 'a'), unchanged, 'nothing half-written');
    assert.equal(await store.get('contacts', 'b'), undefined);
  }
  // A paging key IndexedDB cannot order is refused, not waited on for ever.
  assert.notEqual(await codeOf(store.list('contacts', { after: { not: 'a key' } })), 'OK');
  store.close();
});

test('pages after a key are the same with no IndexedDB globals (a cursor) as with them (their IDBKeyRange)', async () => {
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const ids = ['a', 'b', 'b0', 'c', 'd', 'e', 'f'];
  const fill = async (store) => { for (const id of ids) await store.put('notes', id, { body: id }); };
  const openCursor = IDBObjectStore.prototype.openCursor;
  let cursors = 0;
  IDBObjectStore.prototype.openCursor = function counted(...args) { cursors++; return openCursor.apply(this, args); };
  const pages = async (store) => {
    cursors = 0;
    const out = [];
    for (const after of ['', 'a', 'b', 'b00', 'c', 'f', 'z']) {
      for (const limit of [1, 2, 100]) out.push((await store.list('notes', { after, limit })).map((r) => r.id));
    }
    return { out, cursors };
  };
  try {
    const injected = await openStore(new IDBFactory(), providers.memory(kek));
    await fill(injected);
    const viaCursor = await pages(injected);
    injected.close();
    assert.ok(viaCursor.cursors > 0);

    Object.assign(globalThis, { indexedDB: globalFactory, IDBKeyRange });
    try {
      // The global factory, and one of its class, page with getAll over their own IDBKeyRange.
      for (const factory of [undefined, new IDBFactory()]) {
        const store = await openStore(factory, providers.memory(kek));
        await fill(store);
        assert.deepEqual(await pages(store), { out: viaCursor.out, cursors: 0 });
        store.close();
      }
    } finally {
      delete globalThis.indexedDB;
      delete globalThis.IDBKeyRange;
    }
    const { out } = viaCursor;
    assert.deepEqual(out.slice(0, 3), [['a'], ['a', 'b'], ids]);
    assert.deepEqual(out.slice(6, 9), [['b0'], ['b0', 'c'], ['b0', 'c', 'd', 'e', 'f']], 'after a stored id');
    assert.deepEqual(out.slice(9, 12), [['c'], ['c', 'd'], ['c', 'd', 'e', 'f']], 'after a key between stored ids');
    assert.deepEqual(out.slice(-3), [[], [], []]);
  } finally {
    IDBObjectStore.prototype.openCursor = openCursor;
  }
});
