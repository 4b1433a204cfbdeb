// Issue 14, findings 1-5 and 7-10, tried on an EncryptedStore as an attacker
// with write access to its IndexedDB files would try them (and, for 9 and
// 10, as two calls or two instances racing). Written for store format 2;
// each test fails on format 1 for the reason its name gives. The attacks
// take the stored values as they find them: ciphertexts are the Uint8Arrays
// of a record, `__enc` is edited only where it holds a ciphertext, and meta
// entries ('collections', 'auditHead', the keyring store) only where present,
// so each attack means the same on either format.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import {
  applyMutation, contains, editRaw, entriesOf, findRaw, leavesOf, putRaw, rawDump, restoreDatabase, snapshotDatabase,
  snapshotMutations, withRawStore,
} from '../idb-helpers.js';
import { EncryptedStore, EnveilError, Keyring, init, providers } from '../../../js/index.js';
import { COLLECTIONS, codeOf, email, openStore, seed } from './fixtures.js';
import * as sweep from './tamper-scenario.js';

await init();

const ATTACKER_EMAIL = 'mallory@evil.example';
const ATTACKER_PHONE = '+1 (555) 6666';

/** A copy of a stored value with every Uint8Array (every ciphertext) removed. */
function withoutCiphertexts(value) {
  if (Array.isArray(value)) return value.filter((v) => !(v instanceof Uint8Array)).map(withoutCiphertexts);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => !(v instanceof Uint8Array)).map(([k, v]) => [k, withoutCiphertexts(v)]));
}

/** A copy of a stored value with every Uint8Array replaced by `bad`. */
function replaceCiphertexts(value, bad) {
  if (value instanceof Uint8Array) return bad;
  if (Array.isArray(value)) return value.map((v) => replaceCiphertexts(v, bad));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceCiphertexts(v, bad)]));
}

/**
 * The plaintext-substitution edit: each field's ciphertext taken out of
 * `__enc` where that holds one, and a plain property of the same name put on
 * the record with the attacker's value.
 */
function plantPlain(record, fields) {
  for (const [field, value] of Object.entries(fields)) {
    if (record.__enc && record.__enc[field] instanceof Uint8Array) delete record.__enc[field];
    record[field] = value;
  }
  return record;
}

/** The 'unreadable' events `store` emits from now on. */
function unreadableEvents(store) {
  const events = [];
  store.on('unreadable', (e) => events.push(e));
  return events;
}

/** The hex of every Uint8Array in a stored value. */
const sealedBytes = (value) => leavesOf(value).filter(([, v]) => v instanceof Uint8Array).map(([, v]) => Buffer.from(v).toString('hex'));

/** Whether `fn` becomes true within a few hundred turns of the event loop. */
async function eventually(fn) {
  for (let i = 0; i < 500 && !fn(); i++) await new Promise((r) => setImmediate(r));
  return fn();
}

test('finding 1: a plain value put in place of a sealed field, or a record forged without ciphertext, is never returned, and a rotation does not seal it', async (t) => {
  await t.test('a plain field replacing a sealed one: get is AUTH_FAILED, list and findBy never return the attacker value and report the record unreadable', async () => {
    const idb = new IDBFactory();
    const store = await openStore(idb, providers.memory());
    await seed(store, 6);
    const raw = (await rawDump(idb))['c:contacts'];
    await editRaw(idb, 'c:contacts', 'c00001', (r) => plantPlain(r, { email: ATTACKER_EMAIL, phone: ATTACKER_PHONE }));
    // Another record made to answer the search for c00002's email: its value and blind-index term copied.
    const term = raw.find((r) => r.id === 'c00002').__bi.email;
    await editRaw(idb, 'c:contacts', 'c00003', (r) => ({ ...plantPlain(r, { email: email(2) }), __bi: { ...r.__bi, email: term } }));
    const events = unreadableEvents(store);

    assert.equal(await codeOf(store.get('contacts', 'c00001')), 'AUTH_FAILED', 'get returned the attacker\'s plain value');
    assert.equal(await codeOf(store.get('contacts', 'c00003')), 'AUTH_FAILED');
    const listed = await store.list('contacts');
    assert.ok(!listed.some((r) => r.email === ATTACKER_EMAIL || r.phone === ATTACKER_PHONE), 'list returned the attacker value');
    assert.deepEqual(listed.map((r) => r.id), ['c00000', 'c00002', 'c00004', 'c00005']);
    for (const id of ['c00001', 'c00003']) {
      assert.ok(events.some((e) => e.collection === 'contacts' && e.id === id && e.code === 'AUTH_FAILED'), `no 'unreadable' event for ${id}`);
    }
    assert.deepEqual((await store.findBy('contacts', 'email', email(2))).map((r) => r.id), ['c00002'], 'a planted value answered a search');
    for (const [field, value] of [['city', 'Rome'], ['name', 'user 1'], ['email', ATTACKER_EMAIL], ['phone', ATTACKER_PHONE]]) {
      const found = await store.findBy('contacts', field, value);
      assert.ok(!found.some((r) => r.email === ATTACKER_EMAIL || r.id === 'c00001' || r.id === 'c00003'), `findBy ${field} returned a planted record`);
    }
    store.close();
  });

  await t.test('a record forged without ciphertext, with a blind-index term copied from a genuine one, is never found', async () => {
    const idb = new IDBFactory();
    const store = await openStore(idb, providers.memory());
    await seed(store, 4);
    const genuine = (await rawDump(idb))['c:contacts'].find((r) => r.id === 'c00002');
    // As the genuine record with its ciphertexts taken out (format 1: `__enc: {}`), and with no sealed part at all.
    await withRawStore(idb, 'c:contacts', (s) => {
      s.put({ ...withoutCiphertexts(genuine), id: 'forged', name: 'Mallory', email: email(2), city: 'Paris' });
      s.put({ id: 'forged-bare', name: 'Mallory', email: email(2), city: 'Paris', __bi: genuine.__bi });
    });
    assert.deepEqual((await store.findBy('contacts', 'email', email(2))).map((r) => r.id), ['c00002'], 'findBy returned a forged record');
    assert.deepEqual((await store.findBy('contacts', 'city', 'Paris')).map((r) => r.id), ['c00000', 'c00003'], 'findBy on a plain index returned a forged record');
    assert.deepEqual((await store.list('contacts')).map((r) => r.id), ['c00000', 'c00001', 'c00002', 'c00003']);
    for (const id of ['forged', 'forged-bare']) assert.equal(await codeOf(store.get('contacts', id)), 'AUTH_FAILED', `get('${id}')`);
    store.close();
  });

  await t.test('rotateDataKeys leaves planted and forged values as they were: still AUTH_FAILED, no new ciphertext for them', async () => {
    const idb = new IDBFactory();
    const store = await openStore(idb, providers.memory());
    await seed(store, 4);
    const genuine = (await rawDump(idb))['c:contacts'].find((r) => r.id === 'c00002');
    await editRaw(idb, 'c:contacts', 'c00001', (r) => plantPlain(r, { email: ATTACKER_EMAIL, phone: ATTACKER_PHONE }));
    await withRawStore(idb, 'c:contacts', (s) => s.put({ ...withoutCiphertexts(genuine), id: 'forged', email: ATTACKER_EMAIL }));
    const before = (await rawDump(idb))['c:contacts'];

    await store.rotateDataKeys();
    assert.equal((await store.keyStatus()).rotation, null);
    assert.equal(await codeOf(store.get('contacts', 'c00001')), 'AUTH_FAILED', 'the rotation sealed the planted values as genuine');
    assert.equal(await codeOf(store.get('contacts', 'forged')), 'AUTH_FAILED', 'the rotation sealed the forged record as genuine');
    const after = (await rawDump(idb))['c:contacts'];
    for (const id of ['c00001', 'forged']) {
      const old = new Set(sealedBytes(before.find((r) => r.id === id)));
      const made = sealedBytes(after.find((r) => r.id === id)).filter((hex) => !old.has(hex));
      assert.deepEqual(made, [], `the rotation made new ciphertext for ${id}`);
    }
    assert.deepEqual(await store.findBy('contacts', 'email', ATTACKER_EMAIL), []);
    assert.equal((await store.get('contacts', 'c00003')).email, email(3), 'the genuine records were rotated');
    store.close();
  });
});

test('finding 2: a replaced recovery key opens nothing written after its replacement, even with the meta of a backup taken before', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  await seed(store, 3);
  await store.put('notes', 'before', { body: 'written before the recovery key was replaced' });
  const rk1 = await store.createRecoveryKey();
  const backup = await snapshotDatabase(idb);
  await store.createRecoveryKey();
  await store.put('notes', 'after', { body: 'written after the recovery key was replaced' });
  await store.put('contacts', 'c-after', { name: 'after', email: 'after@example.com' });
  await store.close();
  const today = await snapshotDatabase(idb);

  /** recover() with rk1 either refuses, or nothing written after the replacement is read. */
  async function opensNothingNew(factory, what) {
    let recovered;
    try {
      recovered = await EncryptedStore.recover({ name: 'app', recoveryKey: rk1, newProvider: providers.memory(), collections: COLLECTIONS, indexedDB: factory });
    } catch (err) {
      assert.ok(err instanceof EnveilError, `${what}: recover threw ${err}`);
      return;
    }
    try {
      assert.notEqual(await codeOf(recovered.get('notes', 'after')), 'OK', `${what}: the old recovery key read a record written after its replacement`);
      assert.notEqual(await codeOf(recovered.get('contacts', 'c-after')), 'OK', `${what}: …and another`);
      assert.ok(!(await recovered.list('notes')).some((r) => r.id === 'after'), `${what}: list returned it`);
      assert.deepEqual(await recovered.findBy('contacts', 'email', 'after@example.com'), [], `${what}: findBy returned it`);
    } finally {
      await recovered.close();
    }
  }

  const alone = new IDBFactory();
  await restoreDatabase(alone, today);
  await opensNothingNew(alone, 'rk1 against today\'s database');

  // Today's records next to everything else as the backup had it: its meta
  // and keyring entries (smk, recovery and all the rest), and its audit log
  // (which the backup's meta describes: mixed with today's log, format 1
  // failed to append for that reason alone, not for the recovery key).
  const mixed = new IDBFactory();
  await restoreDatabase(mixed, {
    ...today,
    stores: today.stores.map((s) => (s.name.startsWith('c:') ? s : { ...s, entries: entriesOf(backup, s.name) })),
  });
  await opensNothingNew(mixed, 'rk1 with the backup\'s meta');
});

test('finding 3: the audit log cut from the end, or deleted whole, with the head beside it rewritten, does not verify', async (t) => {
  /** A store with a log of 7 entries, closed; then `cut` of them removed from the end, the head (when stored apart) rewritten to match. */
  async function cutLog(cut) {
    const idb = new IDBFactory();
    const kek = crypto.getRandomValues(new Uint8Array(32));
    const store = await openStore(idb, providers.memory(kek));
    await seed(store, 2);
    for (let i = 0; i < 6; i++) await store.appendAudit('step', { i });
    await store.close();
    const entries = entriesOf(await snapshotDatabase(idb), 'audit');
    assert.ok(entries.length >= 7);
    const n = cut === 'all' ? entries.length : cut;
    await withRawStore(idb, 'audit', (s) => { for (const [key] of entries.slice(entries.length - n)) s.delete(key); });
    const head = (await findRaw(idb, 'auditHead')).find(([storeName]) => storeName === 'meta');
    if (head) {
      const last = entries[entries.length - n - 1]?.[1];
      await withRawStore(idb, 'meta', (s) => (last ? s.put({ ...head[1], seq: last.seq, mac: last.mac }, 'auditHead') : s.delete('auditHead')));
    }
    return { idb, kek };
  }

  /** What the reopened store says of its log; a typed refusal to open also counts as noticing. */
  async function verdict({ idb, kek }) {
    let store;
    try {
      store = await openStore(idb, providers.memory(kek));
    } catch (err) {
      assert.ok(err instanceof EnveilError, String(err));
      return { ok: false, open: err.code };
    }
    try {
      return await store.verifyAuditLog();
    } finally {
      await store.close();
    }
  }

  await t.test('the last entries cut', async () => {
    const result = await verdict(await cutLog(2));
    assert.equal(result.ok, false, `verifyAuditLog is ${JSON.stringify(result)} after 2 entries were cut from the end`);
  });
  await t.test('the whole log deleted', async () => {
    const result = await verdict(await cutLog('all'));
    assert.equal(result.ok, false, `verifyAuditLog is ${JSON.stringify(result)} after the whole log was deleted`);
  });
});

test('finding 4: true and false, and a short and a long string, are stored with the same length', async () => {
  const idb = new IDBFactory();
  const store = await EncryptedStore.open({ name: 'app', provider: providers.memory(), collections: { flags: { encrypted: ['flag', 'word'] } }, indexedDB: idb });
  await store.put('flags', 'true', { flag: true });
  await store.put('flags', 'false', { flag: false });
  await store.put('flags', 'short', { word: 'a' });
  await store.put('flags', 'long', { word: 'abcdefghij' });
  const rows = (await rawDump(idb))['c:flags'];
  const sealedLength = (id) => leavesOf(rows.find((r) => r.id === id)).reduce((n, [, v]) => n + (v instanceof Uint8Array ? v.length : 0), 0);
  assert.equal(sealedLength('true'), sealedLength('false'), 'true and false are told apart by their stored length');
  assert.equal(sealedLength('short'), sealedLength('long'), "'a' and 'abcdefghij' are told apart by their stored length");
  store.close();
});

test('finding 5: a non-ciphertext where a ciphertext should be is one unreadable record: get, list, rotations and a newly encrypted field go on', async (t) => {
  await t.test('a string, a number, an object, null in place of the ciphertexts', async () => {
    const idb = new IDBFactory();
    const kek = crypto.getRandomValues(new Uint8Array(32));
    const store = await openStore(idb, providers.memory(kek));
    await seed(store, 6);
    const bad = { c00001: 'not a ciphertext', c00002: 12345, c00003: { forged: true }, c00004: null };
    for (const [id, value] of Object.entries(bad)) await editRaw(idb, 'c:contacts', id, (r) => replaceCiphertexts(r, value));
    const events = unreadableEvents(store);

    for (const id of Object.keys(bad)) assert.equal(await codeOf(store.get('contacts', id)), 'AUTH_FAILED', `get('${id}') holding ${JSON.stringify(bad[id])}`);
    assert.deepEqual((await store.list('contacts')).map((r) => r.id), ['c00000', 'c00005']);
    for (const id of Object.keys(bad)) assert.ok(events.some((e) => e.collection === 'contacts' && e.id === id), `no 'unreadable' event for ${id}`);
    assert.deepEqual((await store.findBy('contacts', 'email', email(5))).map((r) => r.id), ['c00005']);

    assert.equal(await codeOf(store.rotateDataKeys()), 'OK', 'rotateDataKeys stalled on the malformed records');
    assert.equal(await codeOf(store.rotateIndexKeys()), 'OK', 'rotateIndexKeys stalled on the malformed records');
    assert.equal((await store.keyStatus()).rotation, null);
    await store.close();

    const reopened = await openStore(idb, providers.memory(kek));
    assert.equal((await reopened.keyStatus()).rotation, null, 'a rotation is still pending after a reopen');
    assert.equal(await codeOf(reopened.rotateDataKeys()), 'OK');
    assert.equal((await reopened.get('contacts', 'c00005')).email, email(5));
    await reopened.close();
  });

  await t.test('a malformed record in a collection whose plain field becomes encrypted: the other records\' values leave the clear', async () => {
    const idb = new IDBFactory();
    const kek = crypto.getRandomValues(new Uint8Array(32));
    const open = (collections) => EncryptedStore.open({ name: 'app', provider: providers.memory(kek), collections, indexedDB: idb });
    const store = await open({ items: {} });
    for (let i = 1; i <= 4; i++) await store.put('items', `i${i}`, { x: `clear-x-value-${i}`, n: i });
    // Every ciphertext of i2 (format 2: its integrity tag) a string, and where
    // ciphertexts are kept per field (format 1's `__enc` object) one more.
    await editRaw(idb, 'c:items', 'i2', (r) => {
      const out = replaceCiphertexts(r, 'not a ciphertext');
      if (out.__enc && typeof out.__enc === 'object' && !Array.isArray(out.__enc)) out.__enc.x = 'not a ciphertext';
      return out;
    });
    await store.close();

    const reopened = await open({ items: { encrypted: ['x'] } });
    const dump = await rawDump(idb);
    for (const i of [1, 3, 4]) assert.equal(contains(dump, `clear-x-value-${i}`), false, `i${i}.x is still in the clear on disk`);
    assert.equal((await reopened.get('items', 'i3')).x, 'clear-x-value-3');
    assert.equal((await reopened.keyStatus()).rotation, null);
    await reopened.close();
  });
});

test('finding 7: declarations edited on disk so that nothing is encrypted: recover() without collections refuses, or still seals ssn and email', async () => {
  const idb = new IDBFactory();
  const collections = { people: { encrypted: ['ssn', 'email'], blindIndex: { email: {} } } };
  const store = await EncryptedStore.open({ name: 'app', provider: providers.memory(), collections, indexedDB: idb });
  await store.put('people', 'p1', { name: 'P1', ssn: '078-05-1120', email: 'p1@example.com' });
  const recoveryKey = await store.createRecoveryKey();
  await store.close();

  const meta = entriesOf(await snapshotDatabase(idb), 'meta');
  const saved = meta.find(([key]) => key === 'collections');
  if (saved) {
    // Format 1: the declarations as they are stored, with nothing encrypted.
    const stripped = Object.fromEntries(Object.entries(saved[1]).map(([name, spec]) => [name, { ...spec, encrypted: [], blindIndex: {} }]));
    await putRaw(idb, 'meta', stripped, 'collections');
  } else {
    // Declarations sealed in the manifest: the best an attacker can do is
    // change its bytes (the longest byte array in it: the sealed part).
    const manifest = meta.find(([key]) => key === 'manifest');
    assert.ok(manifest, "meta holds neither 'collections' nor 'manifest'");
    const edited = structuredClone(manifest[1]);
    const [path, bytes] = leavesOf(edited).filter(([, v]) => v instanceof Uint8Array).sort(([, a], [, b]) => b.length - a.length)[0];
    const flipped = bytes.slice();
    flipped[flipped.length >> 1] ^= 1;
    if (path.length === 0) await putRaw(idb, 'meta', flipped, 'manifest');
    else {
      path.slice(0, -1).reduce((v, k) => v[k], edited)[path.at(-1)] = flipped;
      await putRaw(idb, 'meta', edited, 'manifest');
    }
  }

  let recovered;
  try {
    recovered = await EncryptedStore.recover({ name: 'app', recoveryKey, newProvider: providers.memory(), indexedDB: idb });
  } catch (err) {
    assert.ok(err instanceof EnveilError, `recover threw ${err}`);
    return;
  }
  const put = await codeOf(recovered.put('people', 'p2', { name: 'P2', ssn: '219-09-9999', email: 'p2-secret@example.com' }));
  await recovered.close();
  const dump = await rawDump(idb);
  assert.equal(contains(dump, '219-09-9999'), false, `the next put (${put}) stored ssn in the clear`);
  assert.equal(contains(dump, 'p2-secret@example.com'), false, 'the next put stored email in the clear');
});

test('finding 8: key statuses flipped on disk: the open fails typed, or key status and the key new writes use are unchanged', async (t) => {
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const genuine = new IDBFactory();
  await sweep.buildGenuineStore(genuine, kek); // a data rotation done: primary, and retired keys
  const snapshot = await snapshotDatabase(genuine, sweep.NAME);
  const observe = async (copy) => {
    const seen = await sweep.observeCopy(new IDBFactory(), kek, copy);
    assert.ok(seen, 'IndexedDB refused the copy');
    return seen;
  };
  const untouched = await observe(snapshot);
  assert.deepEqual(sweep.judge(untouched, null, null, snapshot), []);

  // Every 'primary', 'active' or 'retired' string outside the records and the
  // log, to each other status; and every primary swapped with another status
  // (the retired key made primary again, the primary one demoted).
  const flips = snapshotMutations(snapshot, { stores: (name) => !name.startsWith('c:') && name !== 'audit' })
    .filter((m) => m.kind.startsWith('same:'));
  const to = (leafOf, status) => flips.find((m) => m.store === leafOf.store && m.key === leafOf.key && m.path.join('.') === leafOf.path.join('.') && m.kind === `same:${status}`);
  const swaps = [];
  for (const p of flips.filter((m) => m.leaf === 'primary' && m.kind === 'same:active')) {
    for (const other of flips.filter((m) => m.leaf !== 'primary' && m.kind === 'same:primary')) {
      swaps.push([to(p, other.leaf), other]);
    }
  }
  const violations = [];
  for (const changes of [...flips.map((m) => [m]), ...swaps]) {
    const copy = changes.reduce(applyMutation, snapshot);
    const change = { ...changes[0], label: changes.map((m) => m.label).join(' + ') };
    violations.push(...sweep.judge(await observe(copy), untouched, change, copy));
  }
  t.diagnostic(`${flips.length} status flips and ${swaps.length} swaps of a primary with another key tried`);
  assert.ok(violations.length === 0, `${violations.length} answers to flipped statuses:\n  ${violations.join('\n  ')}`);
});

test('finding 9: lock() during unlock() wins, concurrent unlock() calls share one, and no keyring is dropped without destroy()', async (t) => {
  /** A memory provider whose unwrapKey waits for `gate` and counts its calls. */
  function slowProvider() {
    const inner = providers.memory(crypto.getRandomValues(new Uint8Array(32)));
    const p = {
      id: inner.id, calls: 0, /** @type {Promise<void> | null} */ gate: null,
      wrapKey: (key, context) => inner.wrapKey(key, context),
      async unwrapKey(wrapped, context) {
        p.calls++;
        if (p.gate) await p.gate;
        return inner.unwrapKey(wrapped, context);
      },
    };
    return p;
  }

  await t.test('lock() while unlock() waits for the provider: the store ends locked', async () => {
    const provider = slowProvider();
    const store = await openStore(new IDBFactory(), provider);
    await store.put('contacts', 'a', { email: 'a@example.com' });
    await store.lock();
    let release;
    provider.gate = new Promise((r) => { release = r; });
    provider.calls = 0;
    const unlocking = store.unlock().then(() => 'resolved', (err) => err);
    assert.ok(await eventually(() => provider.calls === 1), 'unlock() never asked the provider');
    const locking = store.lock();
    release();
    const outcome = await unlocking;
    await locking;
    if (outcome !== 'resolved') assert.ok(outcome instanceof EnveilError, `unlock threw ${outcome}`);
    assert.equal(store.locked, true, 'the lock() issued during unlock() was lost: the store is unlocked');
    assert.equal(await codeOf(store.get('contacts', 'a')), 'LOCKED');
    await store.close();
  });

  await t.test('two concurrent unlock(): one provider call, both resolve, every keyring destroyed', async () => {
    const made = [];
    const { create, load } = Keyring;
    Keyring.create = function tracked(...args) { const ring = create.apply(this, args); made.push(ring); return ring; };
    Keyring.load = function tracked(...args) { const ring = load.apply(this, args); made.push(ring); return ring; };
    try {
      const provider = slowProvider();
      const store = await openStore(new IDBFactory(), provider);
      await store.put('contacts', 'a', { email: 'a@example.com' });
      await store.lock();
      provider.calls = 0;
      provider.gate = new Promise((r) => setTimeout(r, 20));
      const results = await Promise.allSettled([store.unlock(), store.unlock()]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled'], String(results.find((r) => r.reason)?.reason));
      assert.equal(provider.calls, 1, 'each unlock() asked the provider for the store key');
      assert.equal((await store.get('contacts', 'a')).email, 'a@example.com');
      await store.close();
      // `made` holds every keyring strongly, so none was wiped by the finaliser: only destroy() counts.
      const alive = made.filter((ring) => !ring.destroyed);
      assert.equal(alive.length, 0, `${alive.length} of ${made.length} keyrings left in WASM memory without destroy()`);
    } finally {
      Keyring.create = create;
      Keyring.load = load;
    }
  });
});

test('finding 10: an instance that missed an index-key rotation (no BroadcastChannel) writes a record a fresh instance still finds', async () => {
  const idb = new IDBFactory();
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const first = await openStore(idb, providers.memory(kek));
  await seed(first, 3);
  const channel = globalThis.BroadcastChannel;
  let deaf;
  globalThis.BroadcastChannel = undefined;
  try {
    deaf = await openStore(idb, providers.memory(kek));
  } finally {
    globalThis.BroadcastChannel = channel;
  }
  await first.rotateIndexKeys();
  await deaf.put('contacts', 'late', { name: 'late', email: 'late@example.com', phone: '+1 555 0142' });
  const fresh = await openStore(idb, providers.memory(kek));
  assert.deepEqual((await fresh.findBy('contacts', 'email', 'late@example.com')).map((r) => r.id), ['late'], 'written under the retired index key: not found');
  assert.deepEqual((await fresh.findBy('contacts', 'phone', '+1 555 0142')).map((r) => r.id), ['late']);
  assert.deepEqual((await fresh.findBy('contacts', 'email', email(1))).map((r) => r.id), ['c00001']);
  for (const s of [first, deaf, fresh]) await s.close();
});
