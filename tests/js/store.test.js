// EncryptedStore over fake-indexeddb: each test its own IDBFactory.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { rejectionCode } from './helpers.js';
import { contains, editRaw, rawDump } from './idb-helpers.js';
import { EncryptedStore, EnveilError, init, providers } from '../../js/index.js';

await init();

const COLLECTIONS = {
  contacts: {
    encrypted: ['email', 'phone', 'notes'],
    blindIndex: { email: { bits: 8, normalize: 'trim-lowercase' }, phone: { bits: 16, normalize: 'digits' } },
    indexes: ['city'],
  },
  notes: { encrypted: ['body'] },
};

async function openStore(idb, provider, extra = {}) {
  return EncryptedStore.open({ name: 'app', provider, collections: COLLECTIONS, indexedDB: idb, ...extra });
}

const email = (i) => `User${i}@Example.com`;
const phone = (i) => `+1 (555) ${String(i).padStart(4, '0')}`;

async function seed(store, n) {
  for (let i = 0; i < n; i++) {
    await store.put('contacts', `c${String(i).padStart(5, '0')}`, {
      name: `user ${i}`, email: email(i), phone: phone(i), city: ['Paris', 'Rome', 'Oslo'][i % 3],
      ...(i % 4 === 0 ? { notes: { tags: ['vip'], score: i } } : {}),
    });
  }
}

const codeOf = rejectionCode;

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
    r.__enc.email[40] ^= 1;
    return r;
  });
  assert.equal(await codeOf(store.get('contacts', 'c00002')), 'AUTH_FAILED');
  assert.equal((await store.get('contacts', 'c00001')).email, email(1));
  assert.equal((await store.get('contacts', 'c00003')).email, email(3));
  // A ciphertext moved to another record fails too.
  const dump = await rawDump(idb);
  const moved = dump['c:contacts'].find((r) => r.id === 'c00004').__enc.email;
  await editRaw(idb, 'c:contacts', 'c00003', (r) => ({ ...r, __enc: { ...r.__enc, email: moved } }));
  assert.equal(await codeOf(store.get('contacts', 'c00003')), 'AUTH_FAILED');
  store.close();
});

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

test('master-key rotation re-wraps every keyring entry and touches no record', async () => {
  const idb = new IDBFactory();
  const oldKek = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore(idb, providers.memory(oldKek, { id: 'old' }));
  await seed(store, 10);
  const before = await rawDump(idb);
  const failing = { id: 'new', wrapKey: async () => { throw new Error('keystore busy'); }, unwrapKey: async () => { throw new Error('x'); } };
  assert.equal(await codeOf(store.rotateMasterKey(failing)), 'KEY_UNAVAILABLE');
  assert.deepEqual(await rawDump(idb), before, 'a failing new provider changes nothing');

  const newKek = crypto.getRandomValues(new Uint8Array(32));
  await store.rotateMasterKey(providers.memory(newKek, { id: 'new' }));
  assert.equal(store.providerId, 'new');
  const after = await rawDump(idb);
  assert.deepEqual(after['c:contacts'], before['c:contacts'], 'records untouched');
  assert.equal(after.keyring.length, before.keyring.length);
  for (const [i, e] of after.keyring.entries()) {
    assert.notDeepEqual(e.wrapped, before.keyring[i].wrapped, 'entry re-wrapped');
    assert.notEqual(e.kekId, before.keyring[i].kekId);
  }
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

  const typo = recoveryKey.slice(0, 5) + (recoveryKey[5] === 'A' ? 'B' : 'A') + recoveryKey.slice(6);
  assert.equal(await codeOf(EncryptedStore.recover({ name: 'app', recoveryKey: typo, newProvider: providers.memory(), indexedDB: idb })), 'INVALID_ARGUMENT');
  const { formatRecoveryKey } = await import('../../js/store/recovery-key.js');
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

/** A store whose IndexedDB put() fails from the nth call on, with `error`. */
function failPutsAfter(n, error) {
  const proto = globalThis.IDBObjectStore.prototype;
  const original = proto.put;
  let calls = 0;
  proto.put = function put(...args) {
    if (++calls > n) throw error;
    return original.apply(this, args);
  };
  return () => { proto.put = original; };
}

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
        for (const ct of Object.values(r.__enc)) assert.notEqual(Buffer.from(ct).readUInt32BE(2), oldPrimary.id, 'record still under the old key');
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
    for (const ct of Object.values(r.__enc)) assert.ok(!retired.has(Buffer.from(ct).readUInt32BE(2)));
  }
  assert.equal((await store.get('contacts', 'c00003')).email, 'w3@x.io');
  store.close();
});

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

test('an instance whose keyring is stale never overwrites newer keys (no BroadcastChannel, as on old WebViews)', async () => {
  for (const mode of ['data', 'master']) {
    const idb = new IDBFactory();
    const provider = providers.memory();
    const next = providers.memory(undefined, { id: 'next' });
    const collections = { c: { encrypted: ['email'] } };
    const a = await EncryptedStore.open({ name: 'app', provider, collections, indexedDB: idb });
    const channel = globalThis.BroadcastChannel;
    globalThis.BroadcastChannel = undefined;
    let b;
    try {
      b = await EncryptedStore.open({ name: 'app', provider, collections, indexedDB: idb });
    } finally {
      globalThis.BroadcastChannel = channel;
    }
    await a.put('c', 1, { email: 'a@x.org' });
    const recoveryKey = await a.createRecoveryKey();
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

test('one record altered on disk neither stalls a rotation nor hides the other records', async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore(idb, providers.memory(kek));
  await seed(store, 6);
  await editRaw(idb, 'c:contacts', 'c00002', (r) => { r.__enc.email[50] ^= 1; return r; });
  const unreadable = [];
  store.on('unreadable', (e) => unreadable.push(e.id));
  assert.equal((await store.list('contacts')).length, 5);
  assert.deepEqual(unreadable, ['c00002']);
  await store.rotateDataKeys({ collection: 'contacts' });
  const { keys } = await store.keyStatus();
  assert.equal(keys.filter((k) => k.kind === 'data' && k.scope === 'contacts' && k.status === 'retired').length, 0, 'the old key is kept for the unreadable record');
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
  IDBDatabase.prototype.transaction = function patched(stores, mode, opts) {
    const tx = transaction.call(this, stores, mode, opts);
    const names = [].concat(stores);
    if (armed && mode !== 'readwrite' && names.length === 1 && names[0] === 'meta') {
      tx.addEventListener('complete', () => {
        for (let d = 0; d < 16; d++) {
          let p = Promise.resolve();
          for (let i = 0; i < d; i++) p = p.then(() => {});
          p.then(() => puts.push(store.put('c', `d${d}`, { email: `v${d}` }).then(() => 'ok', (e) => e.code)));
        }
      });
    }
    return tx;
  };
  IDBObjectStore.prototype.put = function patchedPut(value, key) {
    if (key === 'rotation' && value?.after === null) {
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
  const results = await Promise.all(puts);
  assert.ok(results.length > 0);
  for (let d = 0; d < results.length; d++) {
    if (results[d] === 'ok') assert.equal((await store.get('c', `d${d}`)).email, `v${d}`, `d${d} readable`);
  }
  store.close();
});
