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
import { fromBase64, toBase64 } from '../internal/encoding.js';
import { randomBytes } from '../hazmat.js';
import { exclusively, kekProvider, unavailable } from './kek.js';
import { callPlugin, checkPlugin } from './capacitor.js';
import { SECRET_STORES } from './secret-stores.js';

/** @typedef {import('./definitions.js').KeyProvider} KeyProvider */

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

/** @type {import('./capacitor.js').PluginSpec} */
const KEYSTORE = { adapter: 'capacitorKeystore', name: 'EnveilKeystorePlugin', pkg: "the app's keystore plugin", methods: ['wrapKey', 'unwrapKey'] };

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
  // The plugin is the app's own: its name cannot be known, but a secret
  // store passed here by mistake can be told.
  checkPlugin(plugin, KEYSTORE, { otherNames: Object.values(SECRET_STORES).map((s) => s.name) });
  const biometricOption = biometric ? { biometric } : {};
  /**
   * A plugin call; any rejection is KEY_UNAVAILABLE, keeping the plugin's
   * code, but Capacitor's not-installed codes, which are UNSUPPORTED.
   * @template T
   * @param {() => Promise<T>} call
   * @returns {Promise<T>}
   */
  const viaPlugin = (call) => callPlugin(KEYSTORE, call, (err) => {
    const code = /** @type {{ code?: string }} */ (err)?.code;
    return unavailable(`keystore plugin failed${code ? ` (${code})` : ''}`, err);
  });
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

export { aparajitaSecureStorage, secureStoragePlugin, nativeBiometric, BiometricAccess } from './secret-stores.js';
export { pkcs11, createPkcs11Key } from './pkcs11.js';
export { vaultTransit, awsKms } from './key-services.js';
export { createPasskey, webAuthnPrf, webAuthnPrfSupported } from './webauthn-prf.js';
