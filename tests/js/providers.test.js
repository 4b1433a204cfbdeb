// Key providers: each wraps and unwraps with the context bound, and a lost
// key surfaces as KEY_UNAVAILABLE — alone and under an EncryptedStore.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import nodeCrypto from 'node:crypto';
import { cpSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IDBFactory } from 'fake-indexeddb';
import { capacitorPlatform, rejectionCode } from './helpers.js';
import { EncryptedStore, EnveilError, init, providers } from '../../js/index.js';

await init();

// The fakes here stand in for the plugins' native implementations: the page
// is an Android webview (the web, where the secret-store adapters refuse
// unless allowed, is tested in plugin-adapters.test.js).
capacitorPlatform('android');

const ctx = new TextEncoder().encode('enveil/v1/smk|app|smk-1');
const other = new TextEncoder().encode('enveil/v1/smk|app|smk-2');

const codeOf = rejectionCode;

/** The contract every provider must meet. */
async function checkContract(provider) {
  const key = nodeCrypto.randomBytes(32);
  const wrapped = await provider.wrapKey(new Uint8Array(key), ctx);
  assert.ok(wrapped instanceof Uint8Array);
  assert.equal(Buffer.from(wrapped).indexOf(key), -1, 'wrapped form contains the key');
  assert.deepEqual(Buffer.from(await provider.unwrapKey(wrapped, ctx)), key);
  assert.equal(await codeOf(provider.unwrapKey(wrapped, other)), 'KEY_UNAVAILABLE', 'context not bound');
  const edited = wrapped.slice();
  edited[edited.length - 1] ^= 1;
  assert.equal(await codeOf(provider.unwrapKey(edited, ctx)), 'KEY_UNAVAILABLE');
  return wrapped;
}

/** A store opened with `provider` works and reopens. */
async function checkWithStore(provider, reopenProvider = provider) {
  const idb = new IDBFactory();
  const collections = { notes: { encrypted: ['body'] } };
  const store = await EncryptedStore.open({ name: 'p', provider, collections, indexedDB: idb });
  await store.put('notes', 1, { body: 'hello' });
  store.close();
  const again = await EncryptedStore.open({ name: 'p', provider: reopenProvider, collections, indexedDB: idb });
  assert.equal((await again.get('notes', 1)).body, 'hello');
  again.close();
  return idb;
}

test('memory provider meets the contract; another key cannot unwrap', async () => {
  const key = nodeCrypto.randomBytes(32);
  const p = providers.memory(new Uint8Array(key));
  const wrapped = await checkContract(p);
  assert.equal(p.id, 'memory');
  assert.equal(await codeOf(providers.memory().unwrapKey(wrapped, ctx)), 'KEY_UNAVAILABLE');
  assert.throws(() => providers.memory(new Uint8Array(16)), { code: 'INVALID_ARGUMENT' });
  await checkWithStore(p);
});

test('webCrypto provider keeps a non-extractable key in IndexedDB; losing it is KEY_UNAVAILABLE', async () => {
  const idb = new IDBFactory();
  const p = providers.webCrypto({ name: 'device', indexedDB: idb });
  assert.equal(p.id, 'webcrypto:device');
  assert.equal(await codeOf(p.unwrapKey(new Uint8Array(60), ctx)), 'KEY_UNAVAILABLE', 'no key yet');
  const wrapped = await checkContract(p);
  // The stored key cannot be exported.
  const stored = await new Promise((resolve) => {
    const r = idb.open('device');
    r.onsuccess = () => { const g = r.result.transaction('keys').objectStore('keys').get('kek'); g.onsuccess = () => { r.result.close(); resolve(g.result); }; };
  });
  assert.equal(stored.extractable, false);
  await assert.rejects(crypto.subtle.exportKey('raw', stored));
  // A second provider object on the same database shares the key.
  assert.equal((await providers.webCrypto({ name: 'device', indexedDB: idb }).unwrapKey(wrapped, ctx)).length, 32);
  await new Promise((resolve) => { const r = idb.deleteDatabase('device'); r.onsuccess = resolve; });
  assert.equal(await codeOf(p.unwrapKey(wrapped, ctx)), 'KEY_UNAVAILABLE');
  const sidb = new IDBFactory();
  await checkWithStore(providers.webCrypto({ indexedDB: sidb }), providers.webCrypto({ indexedDB: sidb }));
});

/**
 * Behaves like a native keystore plugin: AES-GCM keys per alias that never
 * leave it, base64 over the bridge, rejections with a code.
 */
function fakeKeystorePlugin() {
  const keys = new Map();
  const calls = [];
  const reject = (code) => Promise.reject(Object.assign(new Error(code), { code }));
  return {
    calls,
    invalidate(alias) { keys.delete(alias); },
    async wrapKey({ alias, key, aad, biometric }) {
      calls.push({ op: 'wrap', alias, biometric });
      if (!keys.has(alias)) keys.set(alias, nodeCrypto.randomBytes(32));
      const iv = nodeCrypto.randomBytes(12);
      const c = nodeCrypto.createCipheriv('aes-256-gcm', keys.get(alias), iv);
      c.setAAD(Buffer.from(aad, 'base64'));
      const ct = Buffer.concat([c.update(Buffer.from(key, 'base64')), c.final(), c.getAuthTag()]);
      return { wrapped: Buffer.concat([iv, ct]).toString('base64') };
    },
    async unwrapKey({ alias, wrapped, aad, biometric }) {
      calls.push({ op: 'unwrap', alias, biometric });
      if (!keys.has(alias)) return reject('KEY_NOT_FOUND');
      const w = Buffer.from(wrapped, 'base64');
      try {
        const d = nodeCrypto.createDecipheriv('aes-256-gcm', keys.get(alias), w.subarray(0, 12));
        d.setAAD(Buffer.from(aad, 'base64'));
        d.setAuthTag(w.subarray(w.length - 16));
        return { key: Buffer.concat([d.update(w.subarray(12, w.length - 16)), d.final()]).toString('base64') };
      } catch {
        return reject('AUTH_FAILED');
      }
    },
  };
}

test('capacitorKeystore passes base64, alias, AAD and biometric options; plugin errors become KEY_UNAVAILABLE', async () => {
  const plugin = fakeKeystorePlugin();
  const biometric = { title: 'Unlock', allowDeviceCredential: true };
  const p = providers.capacitorKeystore(plugin, { alias: 'vault', biometric });
  assert.equal(p.id, 'keystore:vault');
  const wrapped = await checkContract(p);
  assert.deepEqual(plugin.calls[0], { op: 'wrap', alias: 'vault', biometric });
  plugin.invalidate('vault');  // new biometric enrolment
  const err = await p.unwrapKey(wrapped, ctx).catch((e) => e);
  assert.equal(err.code, 'KEY_UNAVAILABLE');
  assert.match(err.message, /KEY_NOT_FOUND/);
  const broken = providers.capacitorKeystore({ wrapKey: async () => ({ wrapped: 42 }), unwrapKey: async () => ({ key: 'AAAA' }) });
  assert.equal(await codeOf(broken.wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
  assert.equal(await codeOf(broken.unwrapKey(new Uint8Array(10), ctx)), 'KEY_UNAVAILABLE', 'a 3-byte key');
  assert.throws(() => providers.capacitorKeystore({}), { code: 'INVALID_ARGUMENT' });
  await checkWithStore(providers.capacitorKeystore(fakeKeystorePlugin()));
});

/** Like @aparajita/capacitor-secure-storage 8: JSON values, null for a missing key. */
function fakeAparajita() {
  const items = new Map();
  return {
    items,
    async get(key, convertDate = true) {
      if (!key) throw Object.assign(new Error('No key provided'), { code: 'missingKey' });
      if (!items.has(key)) return null;
      const parsed = JSON.parse(items.get(key));
      return convertDate && typeof parsed === 'string' && /^\d{4}-\d\d-\d\dT/.test(parsed) ? new Date(parsed) : parsed;
    },
    async set(key, data) { items.set(key, JSON.stringify(data)); },
    async remove(key) { return items.delete(key); },
  };
}

/** Like capacitor-secure-storage-plugin 0.13: rejects on a missing key (a plain string on the web). */
function fakeSecureStoragePlugin({ web = false } = {}) {
  const items = new Map();
  const missing = () => Promise.reject(web ? 'Item with given key does not exist' : new Error('Item with given key does not exist'));
  return {
    items,
    async get({ key }) { return items.has(key) ? { value: items.get(key) } : missing(); },
    async set({ key, value }) { items.set(key, String(value ?? '')); return { value: true }; },
    async remove({ key }) { return items.delete(key) ? { value: true } : missing(); },
  };
}

/** Like @capgo/capacitor-native-biometric 8: getSecureData prompts; codes are strings. */
function fakeNativeBiometric() {
  const items = new Map();
  const state = { prompts: 0, nextPrompt: 'ok' };
  const reject = (message, code) => Promise.reject(Object.assign(new Error(message), { code }));
  return {
    items,
    state,
    async setData({ key, value, accessControl }) { items.set(key, { value, accessControl }); },
    async isDataSaved({ key }) { return { isSaved: items.has(key) }; },
    async getSecureData({ key }) {
      if (!items.has(key)) return reject('No protected data found for key', '21');
      state.prompts++;
      if (state.nextPrompt === 'cancel') return reject('User canceled biometric authentication', '16');
      if (state.nextPrompt === 'lockout') return reject('Too many attempts', '2');
      return { value: items.get(key).value };
    },
    async deleteData({ key }) { items.delete(key); },
  };
}

test('aparajitaSecureStorage keeps a random KEK (base64 JSON string); a removed key is KEY_UNAVAILABLE', async () => {
  const plugin = fakeAparajita();
  const p = providers.aparajitaSecureStorage(plugin, { key: 'app.kek' });
  const wrapped = await checkContract(p);
  assert.equal(Buffer.from(JSON.parse(plugin.items.get('app.kek')), 'base64').length, 32);
  await plugin.remove('app.kek');
  assert.equal(await codeOf(p.unwrapKey(wrapped, ctx)), 'KEY_UNAVAILABLE');
  await checkWithStore(providers.aparajitaSecureStorage(fakeAparajita()));
});

test('secureStoragePlugin treats its missing-key rejection as absent, native and web alike', async () => {
  for (const web of [false, true]) {
    const plugin = fakeSecureStoragePlugin({ web });
    const p = providers.secureStoragePlugin(plugin);
    const wrapped = await checkContract(p);
    await plugin.remove({ key: 'enveil.kek' });
    assert.equal(await codeOf(p.unwrapKey(wrapped, ctx)), 'KEY_UNAVAILABLE');
  }
  // Any other failure never replaces the key.
  const plugin = fakeSecureStoragePlugin();
  const p = providers.secureStoragePlugin(plugin);
  await p.wrapKey(new Uint8Array(32), ctx);
  const kept = plugin.items.get('enveil.kek');
  const flaky = { ...plugin, get: async () => { throw new Error('keychain locked'); } };
  assert.equal(await codeOf(providers.secureStoragePlugin(flaky).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
  assert.equal(plugin.items.get('enveil.kek'), kept);
  await checkWithStore(providers.secureStoragePlugin(fakeSecureStoragePlugin()));
});

test('nativeBiometric stores with accessControl, reads behind a prompt, and a cancel never replaces the key', async () => {
  const plugin = fakeNativeBiometric();
  const p = providers.nativeBiometric(plugin, { prompt: { reason: 'Unlock your data', title: 'Unlock' } });
  assert.equal(p.id, 'native-biometric:enveil.kek');
  const wrapped = await checkContract(p);
  assert.equal(plugin.items.get('enveil.kek').accessControl, providers.BiometricAccess.BIOMETRY_CURRENT_SET);
  const kept = plugin.items.get('enveil.kek').value;
  for (const outcome of ['cancel', 'lockout']) {
    plugin.state.nextPrompt = outcome;
    const err = await p.unwrapKey(wrapped, ctx).catch((e) => e);
    assert.equal(err.code, 'KEY_UNAVAILABLE', outcome);
    assert.equal(await codeOf(p.wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE', `${outcome} on wrap`);
    assert.equal(plugin.items.get('enveil.kek').value, kept, `${outcome} replaced the key`);
  }
  plugin.state.nextPrompt = 'ok';
  assert.equal((await p.unwrapKey(wrapped, ctx)).length, 32);
  plugin.items.delete('enveil.kek');  // biometric re-enrolment invalidated it
  assert.equal(await codeOf(p.unwrapKey(wrapped, ctx)), 'KEY_UNAVAILABLE');
  const fresh = fakeNativeBiometric();
  await checkWithStore(providers.nativeBiometric(fresh));
  assert.equal(fresh.state.prompts, 2, 'one prompt to read the new key back, one per unlock (the reopen)');
});

test('nativeBiometric: after a re-enrolment invalidated the key, recover() can make a new one', async () => {
  const plugin = fakeNativeBiometric();
  const idb = new IDBFactory();
  const collections = { c: { encrypted: ['email'] } };
  const store = await EncryptedStore.open({ name: 'p', provider: providers.nativeBiometric(plugin), collections, indexedDB: idb });
  await store.put('c', 1, { email: 'a@x.org' });
  const recoveryKey = await store.createRecoveryKey();
  store.close();
  // iOS still reports the item saved, but reading it answers "21".
  const { getSecureData } = plugin;
  plugin.getSecureData = async (o) => (plugin.invalidated ? Promise.reject(Object.assign(new Error('No protected data found for key'), { code: '21' })) : getSecureData(o));
  const { setData } = plugin;
  plugin.setData = async (o) => { plugin.invalidated = false; return setData(o); };
  plugin.invalidated = true;
  assert.equal(await codeOf(EncryptedStore.open({ name: 'p', provider: providers.nativeBiometric(plugin), collections, indexedDB: idb })), 'KEY_UNAVAILABLE');
  const recovered = await EncryptedStore.recover({ name: 'p', recoveryKey, newProvider: providers.nativeBiometric(plugin), indexedDB: idb });
  assert.equal((await recovered.get('c', 1)).email, 'a@x.org');
  recovered.close();
  const reopened = await EncryptedStore.open({ name: 'p', provider: providers.nativeBiometric(plugin), collections, indexedDB: idb });
  assert.equal((await reopened.get('c', 1)).email, 'a@x.org');
  reopened.close();
});

// First launch: nothing in the plugin yet, and two stores (or two parts of
// the app) open at once. The plugins have no compare-and-set, so each would
// read "absent", make a KEK and write it; the second overwrites the first and
// the first store can never be opened again.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `plugin` with every method answering a few milliseconds late, as over the
 * native bridge, so that two callers interleave; `calls` counts each method.
 */
function slowed(plugin) {
  const calls = {};
  const out = { ...plugin, calls };
  for (const [name, fn] of Object.entries(plugin)) {
    if (typeof fn !== 'function') continue;
    calls[name] = 0;
    out[name] = async (...args) => {
      calls[name]++;
      await sleep(5);
      return fn.apply(plugin, args);
    };
  }
  return out;
}

/** The secret-store adapters, each over a fresh slowed fake; `setter` names the plugin method that stores, `write` stores a value as the plugin would. */
const secretStoreAdapters = [
  { name: 'aparajitaSecureStorage', make: providers.aparajitaSecureStorage, plugin: () => slowed(fakeAparajita()), setter: 'set',
    write: (p, key, value) => p.set(key, value, false) },
  { name: 'secureStoragePlugin', make: providers.secureStoragePlugin, plugin: () => slowed(fakeSecureStoragePlugin()), setter: 'set',
    write: (p, key, value) => p.set({ key, value }) },
  { name: 'secureStoragePlugin (web)', make: providers.secureStoragePlugin, plugin: () => slowed(fakeSecureStoragePlugin({ web: true })), setter: 'set',
    write: (p, key, value) => p.set({ key, value }) },
  { name: 'nativeBiometric', make: providers.nativeBiometric, plugin: () => slowed(fakeNativeBiometric()), setter: 'setData',
    write: (p, key, value) => p.setData({ key, value, accessControl: providers.BiometricAccess.BIOMETRY_CURRENT_SET }) },
];

/**
 * Opens stores 'a' and 'b' at once, each with its own provider from
 * `makeProvider()`, writes to both, closes both, and reopens each: both
 * must still read what they wrote.
 */
async function openTwoAtOnceThenReopen(makeProvider) {
  const idb = new IDBFactory();
  const collections = { notes: { encrypted: ['body'] } };
  const open = (name) => EncryptedStore.open({ name, provider: makeProvider(name), collections, indexedDB: idb });
  const [a, b] = await Promise.all([open('a'), open('b')]);
  await a.put('notes', 1, { body: 'written by a' });
  await b.put('notes', 1, { body: 'written by b' });
  a.close();
  b.close();
  for (const name of ['a', 'b']) {
    const again = await open(name);
    assert.equal((await again.get('notes', 1)).body, `written by ${name}`);
    again.close();
  }
}

test('two stores opened at once on first launch share one KEK in each secret-store adapter, and both reopen', async (t) => {
  for (const adapter of secretStoreAdapters) {
    await t.test(adapter.name, async () => {
      const plugin = adapter.plugin();
      await openTwoAtOnceThenReopen(() => adapter.make(plugin, { key: 'app.kek' }));
      assert.equal(plugin.calls[adapter.setter], 1, 'the KEK was stored more than once');
    });
  }
});

test('two first wraps at once reach a keystore plugin one after the other, so it creates one hardware key', async () => {
  // A plugin that checks for its key, then creates it, across a bridge
  // round trip: racy unless calls for one alias arrive in turn.
  const plugin = fakeKeystorePlugin();
  const created = [];
  const { wrapKey } = plugin;
  plugin.wrapKey = async (o) => {
    const exists = await plugin.unwrapKey({ ...o, wrapped: Buffer.alloc(28).toString('base64') }).then(() => true, (e) => e.code !== 'KEY_NOT_FOUND');
    await sleep(5);
    if (!exists) {
      created.push(o.alias);
      plugin.invalidate(o.alias);  // a new key replaces any made meanwhile
    }
    return wrapKey(o);
  };
  await openTwoAtOnceThenReopen(() => providers.capacitorKeystore(plugin, { alias: 'vault' }));
  assert.deepEqual(created, ['vault']);
});

/** Web Locks as a page has them (exclusive mode only), shared by every copy of enveil in the process. */
function fakeWebLocks() {
  const tails = new Map();
  const requested = [];
  return {
    requested,
    async request(name, callback) {
      requested.push(name);
      const before = tails.get(name) ?? Promise.resolve();
      let release;
      const mine = new Promise((resolve) => { release = resolve; });
      tails.set(name, before.then(() => mine));
      await before;
      try {
        return await callback({ name, mode: 'exclusive' });
      } finally {
        release();
      }
    },
  };
}

/** Runs `fn` with `navigator.locks` set to `locks`, then puts navigator back. */
async function withNavigatorLocks(locks, fn) {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true, writable: true });
  try {
    return await fn();
  } finally {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete globalThis.navigator;
  }
}

/** A URL of `module` in a copy of js/ of its own (beside a link to dist/). @param {string} module */
function secondCopyOf(module) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const copy = path.join(root, 'build', `second-copy-${process.pid}`);
  rmSync(copy, { recursive: true, force: true });
  cpSync(path.join(root, 'js'), path.join(copy, 'js'), { recursive: true });
  symlinkSync(path.join(root, 'dist'), path.join(copy, 'dist'));
  process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
  return pathToFileURL(path.join(copy, 'js', module)).href;
}

test('two copies of enveil (two tabs, two bundles) make one KEK between them through Web Locks', async (t) => {
  // A second copy of the package (every module of it, with its own
  // in-process state), as another bundle or another tab has.
  const otherCopy = await import(secondCopyOf('providers/index.js'));
  assert.notEqual(otherCopy.aparajitaSecureStorage, providers.aparajitaSecureStorage);
  for (const adapter of secretStoreAdapters) {
    await t.test(adapter.name, async () => {
      const locks = fakeWebLocks();
      const plugin = adapter.plugin();
      const makeOther = otherCopy[adapter.make.name];
      await withNavigatorLocks(locks, () => openTwoAtOnceThenReopen(
        (name) => (name === 'a' ? adapter.make : makeOther)(plugin, { key: 'app.kek' })));
      assert.equal(plugin.calls[adapter.setter], 1, 'the KEK was stored more than once');
      assert.ok(locks.requested.length >= 2 && locks.requested.every((n) => n === locks.requested[0]), 'one lock name for one key');
    });
  }
});

test('a page that may not take Web Locks (SecurityError) still makes one KEK', async () => {
  const refused = { request: async () => { throw new DOMException('The request was denied.', 'SecurityError'); } };
  const plugin = slowed(fakeAparajita());
  await withNavigatorLocks(refused, () => openTwoAtOnceThenReopen(() => providers.aparajitaSecureStorage(plugin)));
  assert.equal(plugin.calls.set, 1);
});

test('a new KEK is read back after it is stored: a key another process wrote meanwhile is the one used', async (t) => {
  for (const adapter of secretStoreAdapters) {
    await t.test(adapter.name, async () => {
      const plugin = adapter.plugin();
      // Another process, outside any lock of ours, stores its key right after ours.
      const theirs = nodeCrypto.randomBytes(32);
      const ours = plugin[adapter.setter];
      plugin[adapter.setter] = async (...args) => {
        await ours(...args);
        await adapter.write({ ...plugin, [adapter.setter]: ours }, 'app.kek', theirs.toString('base64'));
      };
      const wrapped = await adapter.make(plugin, { key: 'app.kek' }).wrapKey(new Uint8Array(32).fill(7), ctx);
      assert.deepEqual([...await providers.memory(new Uint8Array(theirs)).unwrapKey(wrapped, ctx)], Array(32).fill(7));
    });
  }
});

test('wrapping under a KEK already stored reads the plugin once (one biometric prompt)', async (t) => {
  for (const adapter of secretStoreAdapters) {
    await t.test(adapter.name, async () => {
      const plugin = adapter.plugin();
      await adapter.write(plugin, 'app.kek', nodeCrypto.randomBytes(32).toString('base64'));
      const readsBefore = readsOf(plugin);
      const promptsBefore = plugin.state?.prompts;
      await adapter.make(plugin, { key: 'app.kek' }).wrapKey(new Uint8Array(32), ctx);
      assert.equal(readsOf(plugin) - readsBefore, 1, 'reads of the stored key');
      if (plugin.state) assert.equal(plugin.state.prompts - promptsBefore, 1, 'biometric prompts');
    });
  }
});

/** Reads of the stored key: getSecureData for nativeBiometric (its isDataSaved reads no secret), get otherwise. */
const readsOf = (plugin) => plugin.calls.getSecureData ?? plugin.calls.get;

test('providers.memory(key) keeps a copy of its own: a Node Buffer passed as the key is never wiped by its use', async () => {
  const key = Buffer.alloc(32, 7);
  const provider = providers.memory(key);
  const wrapped = await provider.wrapKey(new Uint8Array(32).fill(1), new Uint8Array([1]));
  await provider.unwrapKey(wrapped, new Uint8Array([1]));
  assert.deepEqual([...key], new Array(32).fill(7), "the caller's key was zeroed");
});
