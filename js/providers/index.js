/**
 * Key providers: the plugin hook (DESIGN.md §6). A provider holds the store's
 * master key (KEK) and wraps/unwraps the store key with it; the contract,
 * `KeyProvider`, is declared in definitions.d.ts.
 *
 * Providers are usually made before init(): nothing here reads the module's
 * sizes until a provider is used.
 * @module
 */
import { EnveilError } from '../errors.js';
import { limits } from '../internal/limits.js';
import { init, bytesArg, isInitialised } from '../internal/wasm.js';
import { fromBase64, toBase64, wipe } from '../internal/encoding.js';
import { randomBytes, unwrapKey, wrapKey } from '../hazmat.js';

/** @typedef {import('./definitions.js').KeyProvider} KeyProvider */

/** @param {string} what @param {unknown} [cause] */
const unavailable = (what, cause) => new EnveilError('KEY_UNAVAILABLE', what, cause === undefined ? undefined : { cause });

/** @type {Map<string, Promise<unknown>>} the last task queued under each name */
const queued = new Map();

/**
 * Runs `task` alone for `name`: after the tasks already queued under that
 * name in this copy of enveil and, where the page has Web Locks, holding the
 * lock `enveil:<name>`, which other tabs and other bundled copies of enveil
 * (each with its own queue) wait for too.
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} task
 * @returns {Promise<T>}
 */
function exclusively(name, task) {
  const run = (queued.get(name) ?? Promise.resolve()).then(() => withWebLock(`enveil:${name}`, task));
  const settled = run.then(() => {}, () => {});
  queued.set(name, settled);
  settled.then(() => {
    if (queued.get(name) === settled) queued.delete(name);
  });
  return run;
}

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} task
 * @returns {Promise<T>}
 */
async function withWebLock(name, task) {
  const locks = /** @type {{ locks?: LockManager } | undefined} */ (globalThis.navigator)?.locks;
  if (typeof locks?.request !== 'function') return task();
  let started = false;
  try {
    return await locks.request(name, () => {
      started = true;
      return task();
    });
  } catch (err) {
    if (started) throw err;
    // Refused before it ran (SecurityError in an opaque origin or a
    // sandboxed frame): the in-process queue still holds.
    return task();
  }
}

/**
 * Wraps with a raw 32-byte KEK in WASM (record format v1, context as AAD).
 * @param {() => Promise<Uint8Array>} getKek
 * @param {string} id
 * @returns {KeyProvider}
 */
function kekProvider(id, getKek, createKek = getKek) {
  return {
    id,
    async wrapKey(key, context) {
      await init();
      const kek = await createKek();
      try {
        return wrapKey(kek, key, context);
      } finally {
        wipe(kek);
      }
    },
    async unwrapKey(wrapped, context) {
      await init();
      const kek = await getKek();
      try {
        return unwrapKey(kek, wrapped, context);
      } catch (err) {
        throw unavailable(`key provider '${id}' cannot unwrap this key (its key changed or the data was edited)`, err);
      } finally {
        wipe(kek);
      }
    },
  };
}

/**
 * A KEK held in memory: for tests and Node processes that get their key from
 * elsewhere. Without `key`, a random one (lost when the process ends).
 * @param {Uint8Array} [key] 32 bytes
 * @param {{ id?: string }} [options] @default id 'memory'
 * @returns {KeyProvider}
 */
export function memory(key, options = {}) {
  /** @type {Uint8Array | undefined} */
  // A plain Uint8Array copy of its own: Buffer's slice() is a view, which the
  // wipe after each use would zero (the caller's key, then the kept one).
  let kek = key === undefined ? undefined : new Uint8Array(bytesArg(key, 'key'));
  // The size is the module's: checked now once init() has run, else when
  // the provider is first used (kekProvider awaits init() first).
  const checkSize = () => {
    if (kek) bytesArg(kek, 'key', limits().KEK_BYTES);
  };
  if (isInitialised()) checkSize();
  return kekProvider(options.id ?? 'memory', async () => {
    checkSize();
    kek ??= randomBytes(limits().KEK_BYTES);
    return kek.slice();
  });
}

/**
 * The encrypted web fallback: a non-extractable AES-256-GCM CryptoKey kept in
 * its own IndexedDB database. Script in the page can use it while the page
 * runs, but the key bytes cannot be read out, copied from disk in usable form,
 * or exported.
 * @param {{ name?: string, indexedDB?: IDBFactory, subtle?: SubtleCrypto }} [options]
 *   name: the database holding the key (@default 'enveil-keys')
 * @returns {KeyProvider}
 */
export function webCrypto(options = {}) {
  const { name = 'enveil-keys', indexedDB = globalThis.indexedDB, subtle = globalThis.crypto?.subtle } = options;
  if (!subtle) throw new EnveilError('UNSUPPORTED', 'webCrypto provider: crypto.subtle is not available (secure context needed)');
  if (!indexedDB) throw new EnveilError('UNSUPPORTED', 'webCrypto provider: no IndexedDB (pass options.indexedDB)');
  const KEY = 'kek';
  // WebCrypto's AES-GCM (not the module's): a 96-bit IV before the sealed key.
  const IV_BYTES = 12;
  /** @param {'readonly' | 'readwrite'} mode @param {(s: IDBObjectStore) => IDBRequest} fn */
  const run = (mode, fn) => new Promise((resolve, reject) => {
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('keys');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('keys', mode, { durability: 'strict' });
      const req = fn(tx.objectStore('keys'));
      tx.oncomplete = () => { db.close(); resolve(req.result); };
      tx.onabort = tx.onerror = () => { db.close(); reject(tx.error ?? req.error); };
    };
  });
  /** @returns {Promise<CryptoKey | undefined>} */
  const load = () => run('readonly', (s) => s.get(KEY)).then((k) => /** @type {CryptoKey | undefined} */ (k));
  const create = async () => {
    const existing = await load();
    if (existing) return existing;
    const key = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    // add() fails if another tab stored one first: then use that one.
    try {
      await run('readwrite', (s) => s.add(key, KEY));
      return key;
    } catch {
      const raced = await load();
      if (!raced) throw unavailable('webCrypto provider could not store its key');
      return raced;
    }
  };
  return {
    id: `webcrypto:${name}`,
    async wrapKey(key, context) {
      const kek = await create();
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: context }, kek, key));
      const out = new Uint8Array(IV_BYTES + sealed.length);
      out.set(iv);
      out.set(sealed, IV_BYTES);
      return out;
    },
    async unwrapKey(wrapped, context) {
      const kek = await load().catch((err) => { throw unavailable('webCrypto provider could not read its key', err); });
      if (!kek) throw unavailable(`webCrypto provider: no key in database '${name}' (site data cleared?)`);
      try {
        const iv = wrapped.subarray(0, IV_BYTES);
        return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: context }, kek, wrapped.subarray(IV_BYTES)));
      } catch (err) {
        throw unavailable('webCrypto provider cannot unwrap this key (the key was replaced or the data edited)', err);
      }
    },
  };
}

/**
 * A native wrap/unwrap plugin (Android Keystore, iOS Keychain/Secure Enclave):
 * the KEK never leaves the hardware. The plugin contract is in
 * `enveil/providers/definitions` (definitions.d.ts). Bytes cross the bridge as
 * base64; the context is passed as AAD.
 * @param {import('./definitions.js').EnveilKeystorePlugin} plugin
 * @param {{ alias?: string, biometric?: import('./definitions.js').BiometricOptions }} [options]
 * @returns {KeyProvider}
 */
export function capacitorKeystore(plugin, options = {}) {
  const { alias = 'enveil', biometric } = options;
  if (!plugin || typeof plugin.wrapKey !== 'function' || typeof plugin.unwrapKey !== 'function') {
    throw new EnveilError('INVALID_ARGUMENT', 'capacitorKeystore: plugin must implement wrapKey and unwrapKey');
  }
  const biometricOption = biometric ? { biometric } : {};
  /**
   * A plugin call; any rejection is KEY_UNAVAILABLE, keeping the plugin's code.
   * @template T
   * @param {() => Promise<T>} call
   * @returns {Promise<T>}
   */
  const viaPlugin = async (call) => {
    try {
      return await call();
    } catch (err) {
      const code = /** @type {{ code?: string }} */ (err)?.code;
      throw unavailable(`keystore plugin failed${code ? ` (${code})` : ''}`, err);
    }
  };
  return {
    id: `keystore:${alias}`,
    async wrapKey(key, context) {
      // The plugin creates its hardware key on the first wrap; two first
      // wraps arriving at once could each create one, the second replacing
      // the first. Wraps for one alias reach it in turn.
      const result = await exclusively(`keystore:${alias}`,
        () => viaPlugin(() => plugin.wrapKey({ alias, key: toBase64(key), aad: toBase64(context), ...biometricOption })));
      return fromBase64(result?.wrapped, 'keystore plugin wrapKey result');
    },
    async unwrapKey(wrapped, context) {
      const result = await viaPlugin(() => plugin.unwrapKey({ alias, wrapped: toBase64(wrapped), aad: toBase64(context), ...biometricOption }));
      const key = fromBase64(result?.key, 'keystore plugin unwrapKey result');
      await init();
      if (key.length !== limits().KEY_BYTES) throw unavailable('keystore plugin returned a key of the wrong size');
      return key;
    },
  };
}

/**
 * Shared shape of the adapters over string secret stores: a random 32-byte
 * KEK kept base64 in the plugin, created on first wrap, used in WASM.
 *
 * None of these plugins can compare-and-set, so creating the KEK (read,
 * find it absent, write) is serialised per provider id, in this copy of
 * enveil and through Web Locks across tabs and copies: two stores opened at
 * once on first launch must not each write a KEK, the second overwriting the
 * first and locking its store out for good. After writing, the KEK is read
 * back and what was read is used: if a writer outside our locks (another
 * process) stored its key after ours, both use that one.
 * @param {string} id
 * @param {(creating: boolean) => Promise<string | null>} read resolves null when
 *   absent; `creating` is true when a missing key would be made now
 * @param {(value: string) => Promise<void>} write
 */
function secretStoreProvider(id, read, write) {
  /** @param {boolean} creating */
  const readValue = async (creating) => {
    try {
      return await read(creating);
    } catch (err) {
      throw unavailable(`key provider '${id}' could not read its key`, err);
    }
  };
  /** @param {string | null | undefined} value */
  const absent = (value) => value === null || value === undefined;
  /** @param {string} value */
  const decode = (value) => {
    const kek = fromBase64(value, `key of provider '${id}'`);
    if (kek.length !== limits().KEK_BYTES) {
      wipe(kek);
      throw unavailable(`key provider '${id}' holds a key of the wrong size`);
    }
    return kek;
  };
  const get = async () => {
    const value = await readValue(false);
    if (absent(value)) throw unavailable(`key provider '${id}' has no key (removed, or app data reset)`);
    return decode(/** @type {string} */ (value));
  };
  const getOrCreate = () => exclusively(`kek:${id}`, async () => {
    // Only a key known to be absent is replaced: any other failure (a
    // cancelled prompt, a locked keychain) must never overwrite the KEK.
    const value = await readValue(true);
    if (!absent(value)) return decode(/** @type {string} */ (value));
    const kek = randomBytes(limits().KEK_BYTES);
    try {
      await write(toBase64(kek));
    } catch (err) {
      throw unavailable(`key provider '${id}' could not store a new key`, err);
    } finally {
      wipe(kek);
    }
    const stored = await readValue(false);
    if (absent(stored)) throw unavailable(`key provider '${id}' stored a new key but cannot read it back`);
    return decode(/** @type {string} */ (stored));
  });
  return kekProvider(id, get, getOrCreate);
}

/**
 * A random KEK kept in `@aparajita/capacitor-secure-storage` (Keychain /
 * Android Keystore-encrypted storage). Its `get` resolves null for a missing
 * key; values round-trip through JSON, so dates are not converted.
 * @param {{ get(key: string, convertDate?: boolean): Promise<unknown>, set(key: string, data: string, convertDate?: boolean): Promise<void> }} plugin `SecureStorage`
 * @param {{ key?: string }} [options] @default key 'enveil.kek'
 * @returns {KeyProvider}
 */
export function aparajitaSecureStorage(plugin, options = {}) {
  const { key = 'enveil.kek' } = options;
  requireMethods(plugin, ['get', 'set'], 'aparajitaSecureStorage');
  return secretStoreProvider(`secure-storage:${key}`,
    async () => {
      const value = await plugin.get(key, false);
      if (value !== null && typeof value !== 'string') throw new Error('stored key is not a string');
      return value;
    },
    (value) => plugin.set(key, value, false));
}

/**
 * A random KEK kept in `capacitor-secure-storage-plugin`. Its `get` rejects
 * with "Item with given key does not exist" (an Error natively, a plain
 * string on the web) for a missing key.
 * @param {{ get(o: { key: string }): Promise<{ value: string }>, set(o: { key: string, value: string }): Promise<unknown> }} plugin `SecureStoragePlugin`
 * @param {{ key?: string }} [options] @default key 'enveil.kek'
 * @returns {KeyProvider}
 */
export function secureStoragePlugin(plugin, options = {}) {
  const { key = 'enveil.kek' } = options;
  requireMethods(plugin, ['get', 'set'], 'secureStoragePlugin');
  return secretStoreProvider(`secure-storage-plugin:${key}`,
    async () => {
      try {
        return (await plugin.get({ key })).value;
      } catch (err) {
        const message = typeof err === 'string' ? err : /** @type {{ message?: string }} */ (err)?.message;
        if (message?.includes('Item with given key does not exist')) return null;
        throw err;
      }
    },
    async (value) => { await plugin.set({ key, value }); });
}

/** AccessControl of @capgo/capacitor-native-biometric. */
export const BiometricAccess = Object.freeze({ NONE: 0, BIOMETRY_CURRENT_SET: 1, BIOMETRY_ANY: 2 });

/**
 * A random KEK kept by `@capgo/capacitor-native-biometric` behind a biometric
 * prompt: stored with `setData({ accessControl })`, read with
 * `getSecureData` (which prompts: once per unlock, and once when a new key
 * is made, to read it back). `isDataSaved` tells a missing key from a
 * cancelled prompt, so a cancel never replaces the key. With the default
 * BIOMETRY_CURRENT_SET a new enrolment invalidates the key: keep a recovery
 * key.
 * @param {{ setData(o: object): Promise<void>, getSecureData(o: object): Promise<{ value: string }>, isDataSaved(o: { key: string }): Promise<{ isSaved: boolean }> }} plugin `NativeBiometric`
 * @param {{ key?: string, accessControl?: number, prompt?: { reason?: string, title?: string, subtitle?: string, description?: string, negativeButtonText?: string } }} [options]
 * @returns {KeyProvider}
 */
export function nativeBiometric(plugin, options = {}) {
  const { key = 'enveil.kek', accessControl = BiometricAccess.BIOMETRY_CURRENT_SET, prompt = {} } = options;
  requireMethods(plugin, ['setData', 'getSecureData', 'isDataSaved'], 'nativeBiometric');
  return secretStoreProvider(`native-biometric:${key}`,
    async (creating) => {
      if (!(await plugin.isDataSaved({ key })).isSaved) return null;
      try {
        return (await plugin.getSecureData({ key, ...prompt })).value;
      } catch (err) {
        // "21": no protected data. After a biometric re-enrolment iOS still
        // reports the item saved but it cannot be read: when a key is about
        // to be made (wrapKey, e.g. recover()), that counts as absent. A
        // cancel ("16") or anything else never does.
        if (creating && String(/** @type {{ code?: unknown }} */ (err)?.code) === '21') return null;
        throw err;
      }
    },
    (value) => plugin.setData({ key, value, accessControl, ...(prompt.title ? { title: prompt.title } : {}) }));
}

/**
 * @param {any} plugin
 * @param {string[]} methods
 * @param {string} name
 */
function requireMethods(plugin, methods, name) {
  if (!plugin || methods.some((m) => typeof plugin[m] !== 'function')) {
    throw new EnveilError('INVALID_ARGUMENT', `${name}: plugin must have ${methods.join(', ')}`);
  }
}
