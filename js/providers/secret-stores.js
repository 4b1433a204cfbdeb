// The adapters over Capacitor secret-store plugins: a random 32-byte KEK
// kept base64 in the plugin (the Keychain, the Android Keystore's encrypted
// storage), created on first wrap, used in WASM. Where each plugin keeps the
// key per platform, with the sources: README "Key providers".
import { EnveilError } from '../errors.js';
import { limits } from '../internal/limits.js';
import { fromBase64, toBase64, wipe } from '../internal/encoding.js';
import { randomBytes } from '../hazmat.js';
import { exclusively, kekProvider, unavailable } from './kek.js';
import { callPlugin, checkPlugin } from './capacitor.js';

/** @typedef {import('./definitions.js').KeyProvider} KeyProvider */
/** @typedef {import('./capacitor.js').PluginSpec} PluginSpec */

/** @type {Readonly<Record<'aparajita' | 'secureStoragePlugin' | 'nativeBiometric', PluginSpec>>} */
export const SECRET_STORES = Object.freeze({
  aparajita: {
    adapter: 'aparajitaSecureStorage', name: 'SecureStorage', pkg: '@aparajita/capacitor-secure-storage',
    methods: ['get', 'set'], nativeMethods: ['internalGetItem', 'internalSetItem'], onWeb: 'as base64 in localStorage ("capacitor-storage_<key>")',
  },
  secureStoragePlugin: {
    adapter: 'secureStoragePlugin', name: 'SecureStoragePlugin', pkg: 'capacitor-secure-storage-plugin',
    methods: ['get', 'set'], nativeMethods: ['get', 'set'], onWeb: 'as base64 in localStorage ("cap_sec_<key>")',
  },
  nativeBiometric: {
    adapter: 'nativeBiometric', name: 'NativeBiometric', pkg: '@capgo/capacitor-native-biometric',
    methods: ['setData', 'getSecureData', 'isDataSaved'], nativeMethods: ['setData', 'getSecureData', 'isDataSaved'], onWeb: 'in a JavaScript Map, without a prompt (and loses it on every reload)',
  },
});

/**
 * Shared shape of the secret-store adapters.
 *
 * None of these plugins can compare-and-set, so creating the KEK (read,
 * find it absent, write) is serialised per provider id, in this copy of
 * enveil and through Web Locks across tabs and copies: two stores opened at
 * once on first launch must not each write a KEK, the second overwriting the
 * first and locking its store out for good. After writing, the KEK is read
 * back and what was read is used: if a writer outside our locks (another
 * process) stored its key after ours, both use that one.
 *
 * Each provider call reads the plugin once (one biometric prompt): an
 * unlock reads, a wrap under a stored key reads, and a wrap that makes the
 * key writes it and reads it back.
 * @param {PluginSpec} spec
 * @param {string} id
 * @param {(creating: boolean) => Promise<string | null>} read resolves null when
 *   absent; `creating` is true when a missing key would be made now
 * @param {(value: string) => Promise<void>} write
 * @returns {KeyProvider}
 */
function secretStoreProvider(spec, id, read, write) {
  /** @param {boolean} creating */
  const readValue = (creating) => callPlugin(spec, () => read(creating),
    (err) => unavailable(`key provider '${id}' could not read its key`, err));
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
      await callPlugin(spec, () => write(toBase64(kek)),
        (err) => unavailable(`key provider '${id}' could not store a new key`, err));
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
 * @param {{ key?: string, allowInsecureWeb?: boolean }} [options] @default key 'enveil.kek'
 * @returns {KeyProvider}
 */
export function aparajitaSecureStorage(plugin, options = {}) {
  const { key = 'enveil.kek', allowInsecureWeb } = options;
  const spec = SECRET_STORES.aparajita;
  checkPlugin(plugin, spec, { allowInsecureWeb });
  return secretStoreProvider(spec, `secure-storage:${key}`,
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
 * @param {{ key?: string, allowInsecureWeb?: boolean }} [options] @default key 'enveil.kek'
 * @returns {KeyProvider}
 */
export function secureStoragePlugin(plugin, options = {}) {
  const { key = 'enveil.kek', allowInsecureWeb } = options;
  const spec = SECRET_STORES.secureStoragePlugin;
  checkPlugin(plugin, spec, { allowInsecureWeb });
  return secretStoreProvider(spec, `secure-storage-plugin:${key}`,
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
 *
 * `accessControl` NONE is refused: the plugin keeps such data in a separate,
 * unprotected slot that `getSecureData` never reads, so every unlock would
 * find no key. A KEK without a prompt belongs in aparajitaSecureStorage or
 * secureStoragePlugin.
 * @param {{ setData(o: { key: string, value: string, accessControl?: number, title?: string }): Promise<void>, getSecureData(o: { key: string, reason?: string, title?: string, subtitle?: string, description?: string, negativeButtonText?: string }): Promise<{ value: string }>, isDataSaved(o: { key: string }): Promise<{ isSaved: boolean }> }} plugin `NativeBiometric`
 * @param {{ key?: string, accessControl?: number, allowInsecureWeb?: boolean, prompt?: { reason?: string, title?: string, subtitle?: string, description?: string, negativeButtonText?: string } }} [options]
 * @returns {KeyProvider}
 */
export function nativeBiometric(plugin, options = {}) {
  const { key = 'enveil.kek', accessControl = BiometricAccess.BIOMETRY_CURRENT_SET, prompt = {}, allowInsecureWeb } = options;
  const spec = SECRET_STORES.nativeBiometric;
  if (accessControl === BiometricAccess.NONE) {
    throw new EnveilError('INVALID_ARGUMENT', 'nativeBiometric: accessControl NONE stores the key where getSecureData cannot read it (every unlock would find no key); ' +
      'use BIOMETRY_CURRENT_SET or BIOMETRY_ANY, or aparajitaSecureStorage / secureStoragePlugin for a key without a prompt');
  }
  if (accessControl !== BiometricAccess.BIOMETRY_CURRENT_SET && accessControl !== BiometricAccess.BIOMETRY_ANY) {
    throw new EnveilError('INVALID_ARGUMENT', 'nativeBiometric: accessControl must be BiometricAccess.BIOMETRY_CURRENT_SET or BIOMETRY_ANY');
  }
  checkPlugin(plugin, spec, { allowInsecureWeb });
  return secretStoreProvider(spec, `native-biometric:${key}`,
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
