// EncryptedStore over fake-indexeddb, each test its own IDBFactory. Locking,
// auto-lock, unlocking, and a provider that lost its key.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { rawDump } from '../idb-helpers.js';
import { init, providers } from '../../../js/index.js';
import { codeOf, email, openStore, seed } from './fixtures.js';

await init();

test('lock wipes keys, calls reject with LOCKED, unlock asks the provider again, autoLockMs locks when idle', async () => {
  const idb = new IDBFactory();
  let unwraps = 0;
  const base = providers.memory();
  const counting = { id: base.id, wrapKey: base.wrapKey, unwrapKey: (w, c) => { unwraps++; return base.unwrapKey(w, c); } };
  const store = await openStore(idb, counting, { autoLockMs: 80 });
  await store.put('notes', 'n', { body: 'x' });
  store.lock();
  assert.equal(store.locked, true);
  assert.equal(await codeOf(store.get('notes', 'n')), 'LOCKED');
  assert.equal(await codeOf(store.put('notes', 'n', { body: 'y' })), 'LOCKED');
  assert.equal(unwraps, 0);
  await store.unlock();
  assert.equal(unwraps, 1);
  assert.equal((await store.get('notes', 'n')).body, 'x');
  // Activity keeps it open; idleness locks it.
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 40));
    await store.get('notes', 'n');
  }
  assert.equal(store.locked, false);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(store.locked, true);
  assert.equal(await codeOf(store.get('notes', 'n')), 'LOCKED');
  store.close();
});

test('a provider that lost its key gives KEY_UNAVAILABLE and leaves the store intact', async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore(idb, providers.memory(kek));
  await seed(store, 3);
  store.close();
  const before = await rawDump(idb);

  const rejecting = { id: 'memory', wrapKey: async () => { throw new Error('gone'); }, unwrapKey: async () => { throw new Error('gone'); } };
  assert.equal(await codeOf(openStore(idb, rejecting)), 'KEY_UNAVAILABLE');
  const garbage = { id: 'memory', wrapKey: async () => new Uint8Array(102), unwrapKey: async () => crypto.getRandomValues(new Uint8Array(32)) };
  assert.equal(await codeOf(openStore(idb, garbage)), 'KEY_UNAVAILABLE');
  const wrongType = { id: 'memory', wrapKey: async () => 'x', unwrapKey: async () => 'not bytes' };
  assert.equal(await codeOf(openStore(idb, wrongType)), 'KEY_UNAVAILABLE');
  assert.equal(await codeOf(openStore(idb, providers.memory())), 'KEY_UNAVAILABLE', 'another key, same id');
  assert.equal(await codeOf(openStore(idb, providers.memory(kek, { id: 'other' }))), 'KEY_UNAVAILABLE', 'another provider id');

  assert.deepEqual(await rawDump(idb), before, 'nothing was written by the failed opens');
  const again = await openStore(idb, providers.memory(kek));
  assert.equal((await again.get('contacts', 'c00001')).email, email(1));
  again.close();
});

test('every method checks its arguments before the lock: a bad argument is INVALID_ARGUMENT locked or not', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  const calls = {
    'put: unknown collection': () => store.put('nope', 'a', {}),
    'put: bad id': () => store.put('contacts', '', {}),
    'put: bad record': () => store.put('contacts', 'a', []),
    'put: reserved field': () => store.put('contacts', 'a', { __enc: {} }),
    'put: encrypted field JSON cannot hold': () => store.put('contacts', 'a', { email: 10n }),
    'findBy: a value JSON cannot hold': () => store.findBy('contacts', 'email', 10n),
    'findBy: undefined': () => store.findBy('contacts', 'email', undefined),
    'where: ne JSON cannot hold': () => store.where('contacts', 'email', { ne: () => 1 }),
    'putIf: bad predicate': () => store.putIf('contacts', 'a', {}, null),
    'get: unknown collection': () => store.get('nope', 'a'),
    'get: bad id': () => store.get('contacts', NaN),
    'delete: unknown collection': () => store.delete('nope', 'a'),
    'delete: bad id': () => store.delete('contacts', {}),
    'findBy: unknown collection': () => store.findBy('nope', 'email', 'x'),
    'findBy: encrypted field without blind index': () => store.findBy('contacts', 'notes', 'x'),
    'where: unknown collection': () => store.where('nope', 'email', { exists: true }),
    'where: bad condition': () => store.where('contacts', 'email', { gt: 1 }),
    'list: unknown collection': () => store.list('nope'),
    'list: bad limit': () => store.list('contacts', { limit: 0 }),
    'declare: bad declaration': () => store.declare('other', { encrypted: 'email' }),
    'appendAudit: empty event': () => store.appendAudit('', {}),
    'rotateDataKeys: bad batchSize': () => store.rotateDataKeys({ batchSize: 0 }),
    'rotateDataKeys: unknown collection': () => store.rotateDataKeys({ collection: 'nope' }),
    'rotateIndexKeys: field without blind index': () => store.rotateIndexKeys({ collection: 'contacts', field: 'notes' }),
    'rotateMasterKey: not a provider': () => store.rotateMasterKey({}),
  };
  for (const locked of [false, true]) {
    if (locked) await store.lock();
    for (const [what, call] of Object.entries(calls)) {
      assert.equal(await codeOf(call()), 'INVALID_ARGUMENT', `${what} (${locked ? 'locked' : 'unlocked'})`);
    }
  }
  assert.equal(await codeOf(store.get('contacts', 'a')), 'LOCKED', 'good arguments on a locked store');
  store.close();
});
