// EncryptedStore over fake-indexeddb, each test its own IDBFactory. Master-key
// rotation and the recovery key.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { rawDump, withRawStore } from '../idb-helpers.js';
import { EncryptedStore, init, providers } from '../../../js/index.js';
import { codeOf, email, openStore, phone, seed } from './fixtures.js';

await init();

test('master-key rotation re-wraps every keyring entry and touches no record', async () => {
  const idb = new IDBFactory();
  const oldKek = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore(idb, providers.memory(oldKek, { id: 'old' }));
  await seed(store, 10);
  const before = await rawDump(idb);
  const keysBefore = (await store.keyStatus()).keys;
  const failing = { id: 'new', wrapKey: async () => { throw new Error('keystore busy'); }, unwrapKey: async () => { throw new Error('x'); } };
  assert.equal(await codeOf(store.rotateMasterKey(failing)), 'KEY_UNAVAILABLE');
  assert.deepEqual(await rawDump(idb), before, 'a failing new provider changes nothing');

  const newKek = crypto.getRandomValues(new Uint8Array(32));
  await store.rotateMasterKey(providers.memory(newKek, { id: 'new' }));
  assert.equal(store.providerId, 'new');
  const after = await rawDump(idb);
  assert.deepEqual(after['c:contacts'], before['c:contacts'], 'records untouched');
  // The keyring lives in the manifest (store format 2): the same keys, each
  // now wrapped under the new store key, and the manifest key re-wrapped too.
  const keysAfter = (await store.keyStatus()).keys;
  assert.deepEqual(keysAfter.map((e) => e.id), keysBefore.map((e) => e.id));
  for (const [i, e] of keysAfter.entries()) assert.notEqual(e.kekId, keysBefore[i].kekId, 'entry re-wrapped');
  const manifestOf = (dump) => dump.meta.find((v) => v?.format === 2);
  assert.notDeepEqual(manifestOf(after).key.wrapped, manifestOf(before).key.wrapped, 'manifest key re-wrapped');
  assert.notEqual(manifestOf(after).key.kekId, manifestOf(before).key.kekId);
  assert.equal((await store.get('contacts', 'c00004')).email, email(4));
  store.close();
  assert.equal(await codeOf(openStore(idb, providers.memory(oldKek, { id: 'old' }))), 'KEY_UNAVAILABLE');
  const reopened = await openStore(idb, providers.memory(newKek, { id: 'new' }));
  assert.equal((await reopened.get('contacts', 'c00009')).email, email(9));
  reopened.close();
});

test('recovery after the provider loses its key; the recovery key keeps working', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.webCrypto({ name: 'device-key', indexedDB: idb }));
  await seed(store, 20);
  const recoveryKey = await store.createRecoveryKey();
  assert.match(recoveryKey, /^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]$/);
  store.close();

  // The device key is lost (site data cleared, new biometric enrolment…).
  await new Promise((resolve) => { const r = idb.deleteDatabase('device-key'); r.onsuccess = resolve; });
  assert.equal(await codeOf(openStore(idb, providers.webCrypto({ name: 'device-key', indexedDB: idb }))), 'KEY_UNAVAILABLE');

  // Every other symbol at one place: the 8-bit checksum catches 255 typos in
  // 256 (INVALID_ARGUMENT, before any unwrap); one that slips through is a
  // wrong key (KEY_UNAVAILABLE): never a success, never garbage.
  const symbols = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const codes = [];
  for (const c of symbols.replace(recoveryKey[5], '')) {
    const typo = recoveryKey.slice(0, 5) + c + recoveryKey.slice(6);
    codes.push(await codeOf(EncryptedStore.recover({ name: 'app', recoveryKey: typo, newProvider: providers.memory(), indexedDB: idb })));
  }
  assert.ok(codes.every((c) => c === 'INVALID_ARGUMENT' || c === 'KEY_UNAVAILABLE'), codes.join(', '));
  assert.ok(codes.filter((c) => c === 'INVALID_ARGUMENT').length >= 25, `the checksum caught ${codes.filter((c) => c === 'INVALID_ARGUMENT').length} of 31 typos`);
  const { formatRecoveryKey } = await import('../../../js/store/recovery-key.js');
  const wrong = formatRecoveryKey(crypto.getRandomValues(new Uint8Array(32)));
  assert.equal(await codeOf(EncryptedStore.recover({ name: 'app', recoveryKey: wrong, newProvider: providers.memory(), indexedDB: idb })), 'KEY_UNAVAILABLE');

  const fresh = providers.webCrypto({ name: 'device-key-2', indexedDB: idb });
  // Lower case and spaces instead of dashes are accepted.
  const recovered = await EncryptedStore.recover({
    name: 'app', recoveryKey: recoveryKey.toLowerCase().replace(/-/g, ' '), newProvider: fresh, indexedDB: idb,
  });
  assert.equal((await recovered.get('contacts', 'c00011')).email, email(11));
  assert.deepEqual((await recovered.findBy('contacts', 'email', email(5))).map((r) => r.id), ['c00005']);
  recovered.close();

  const reopened = await openStore(idb, providers.webCrypto({ name: 'device-key-2', indexedDB: idb }));
  assert.equal((await reopened.get('contacts', 'c00019')).phone, phone(19));
  reopened.close();
  const twice = await EncryptedStore.recover({ name: 'app', recoveryKey, newProvider: providers.memory(), indexedDB: idb });
  assert.equal((await twice.get('contacts', 'c00000')).email, email(0));
  twice.close();
});

test('a store whose keys were deleted is not silently made anew over its records', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  await store.put('contacts', 'c1', { name: 'a', email: 'a@x.org' });
  await store.close();
  await withRawStore(idb, 'meta', (s) => s.clear());
  assert.equal(await codeOf(openStore(idb, providers.memory())), 'STORAGE_FAILED');
  const dump = await rawDump(idb);
  assert.equal(dump['c:contacts'].length, 1, 'the record is still there');
  assert.deepEqual(dump.meta, [], 'no new keys were written');
});
