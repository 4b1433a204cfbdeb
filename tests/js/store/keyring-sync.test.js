// EncryptedStore over fake-indexeddb, each test its own IDBFactory. Several
// instances of one store: a stale keyring never overwrites newer keys.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { EncryptedStore, init, providers } from '../../../js/index.js';
import { codeOf, email } from './fixtures.js';

await init();

test('an instance whose keyring is stale never overwrites newer keys (no BroadcastChannel, as on old WebViews)', async () => {
  for (const mode of ['data', 'master']) {
    const idb = new IDBFactory();
    const provider = providers.memory();
    const next = providers.memory(undefined, { id: 'next' });
    const collections = { c: { encrypted: ['email'] } };
    const a = await EncryptedStore.open({ name: 'app', provider, collections, indexedDB: idb });
    // Made first: a new recovery key replaces the store key (b would have to unlock again).
    const recoveryKey = await a.createRecoveryKey();
    const channel = globalThis.BroadcastChannel;
    globalThis.BroadcastChannel = undefined;
    let b;
    try {
      b = await EncryptedStore.open({ name: 'app', provider, collections, indexedDB: idb });
    } finally {
      globalThis.BroadcastChannel = channel;
    }
    await a.put('c', 1, { email: 'a@x.org' });
    if (mode === 'data') await a.rotateDataKeys(); else await a.rotateMasterKey(next);
    // b has not heard of it: its keyring write must not land.
    const declared = await codeOf(b.declare('other', { encrypted: ['x'] }));
    if (mode === 'data') assert.equal(declared, 'OK', 'caught up with the new keys and declared');
    else assert.equal(declared, 'LOCKED', 'the store key changed: b must unlock again');
    a.close();
    b.close();
    const reopened = await EncryptedStore.open({ name: 'app', provider: mode === 'data' ? provider : next, collections, indexedDB: idb });
    assert.equal((await reopened.get('c', 1)).email, 'a@x.org', mode);
    reopened.close();
    const recovered = await EncryptedStore.recover({ name: 'app', recoveryKey, newProvider: providers.memory(undefined, { id: 'r' }), indexedDB: idb });
    assert.equal((await recovered.get('c', 1)).email, 'a@x.org', `${mode}: recovery still works`);
    recovered.close();
  }
});
