// EncryptedStore over fake-indexeddb, each test its own IDBFactory and no
// IndexedDB globals (no 'fake-indexeddb/auto'): the hooks work through the
// injected factory alone. The connection's lifecycle: an open or upgrade
// blocked by an older connection, another connection's upgrade, and a
// connection the browser closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import forceCloseDatabase from 'fake-indexeddb/lib/forceCloseDatabase';
import { EncryptedStore, init, providers } from '../../../js/index.js';
import { COLLECTIONS, codeOf, openStore } from './fixtures.js';

await init();

/** A raw connection that, like an old tab, does not close on versionchange. */
function rawConnection(idb, name = 'app') {
  return new Promise((resolve, reject) => {
    const r = idb.open(name);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

// Without the hooks the open waits for the old connection for ever: the timeout makes that a failure.
test('an open that waits for an older connection calls onBlocked; a declare that waits emits blocked', { timeout: 20_000 }, async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  (await openStore(idb, providers.memory(kek))).close();
  let old = await rawConnection(idb);
  let calls = 0;
  const store = await EncryptedStore.open({
    name: 'app', provider: providers.memory(kek), indexedDB: idb,
    collections: { ...COLLECTIONS, more: { encrypted: ['x'] } }, // an upgrade
    onBlocked: () => { calls++; old.close(); },
  });
  assert.equal(calls, 1);
  await store.put('more', 'a', { x: 1 });

  old = await rawConnection(idb);
  const events = [];
  store.on('blocked', () => { events.push('blocked'); old.close(); });
  await store.declare('later', { encrypted: ['y'] });
  assert.deepEqual(events, ['blocked']);
  assert.equal(calls, 1, 'onBlocked is for the open only');
  await store.put('later', 'b', { y: 2 });
  assert.equal(await codeOf(EncryptedStore.open({ name: 'x', provider: providers.memory(), collections: {}, indexedDB: idb, onBlocked: 1 })),
    'INVALID_ARGUMENT');
  store.close();
});

test("another connection's upgrade emits versionchange and the next call reopens", async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const first = await openStore(idb, providers.memory(kek));
  const events = [];
  first.on('versionchange', () => events.push('versionchange'));
  first.on('blocked', () => events.push('blocked'));
  const second = await EncryptedStore.open({
    name: 'app', provider: providers.memory(kek), indexedDB: idb, collections: { ...COLLECTIONS, more: { encrypted: ['x'] } },
  });
  assert.deepEqual(events, ['versionchange']);
  // Several calls at once reconnect once: one connection, one event at the next upgrade.
  await Promise.all([first.list('notes'), first.list('notes'), first.get('notes', 'x')]);
  await second.declare('again', { encrypted: ['z'] });
  assert.deepEqual(events, ['versionchange', 'versionchange']);
  await first.put('notes', 'n', { body: 'still works' });
  assert.equal((await second.get('notes', 'n')).body, 'still works');
  first.close();
  second.close();
});

test('a connection the browser closed emits terminated and the next call reopens', async () => {
  const idb = new IDBFactory();
  const opened = [];
  const open = idb.open.bind(idb);
  idb.open = (...args) => {
    const request = open(...args);
    request.addEventListener('success', () => opened.push(request.result));
    return request;
  };
  const store = await openStore(idb, providers.memory());
  const events = [];
  store.on('terminated', () => events.push('terminated'));
  forceCloseDatabase(opened.at(-1));
  assert.deepEqual(events, ['terminated']);
  await store.put('notes', 'n', { body: 'after' });
  assert.equal((await store.get('notes', 'n')).body, 'after');
  store.close();
});
