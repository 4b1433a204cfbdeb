import type { KeyProvider } from '../index.js';
import type { BiometricOptions, EnveilKeystorePlugin } from './definitions.js';

export type { BiometricOptions, EnveilKeystorePlugin, KeystoreErrorCode, WrapKeyOptions, UnwrapKeyOptions } from './definitions.js';

/** A KEK held in memory (tests, Node). Without `key`, a random one. @default id 'memory' */
export function memory(key?: Uint8Array, options?: { id?: string }): KeyProvider;

/** Non-extractable AES-GCM CryptoKey kept in IndexedDB: the encrypted web fallback. */
export function webCrypto(options?: {
  /** Database holding the key. @default 'enveil-keys' */
  name?: string;
  indexedDB?: IDBFactory;
  subtle?: SubtleCrypto;
}): KeyProvider;

/** A native wrap/unwrap plugin (Android Keystore / iOS Keychain). */
export function capacitorKeystore(plugin: EnveilKeystorePlugin, options?: { alias?: string; biometric?: BiometricOptions }): KeyProvider;
