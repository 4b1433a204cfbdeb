import type { BiometricOptions, EnveilKeystorePlugin, KeyProvider } from './definitions.js';

export type { BiometricOptions, EnveilKeystorePlugin, KeyProvider, KeystoreErrorCode, WrapKeyOptions, UnwrapKeyOptions } from './definitions.js';

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

/** A random KEK in `@aparajita/capacitor-secure-storage` (`SecureStorage`). @default key 'enveil.kek' */
export function aparajitaSecureStorage(
  plugin: { get(key: string, convertDate?: boolean): Promise<unknown>; set(key: string, data: string, convertDate?: boolean): Promise<void> },
  options?: { key?: string },
): KeyProvider;

/** A random KEK in `capacitor-secure-storage-plugin` (`SecureStoragePlugin`). @default key 'enveil.kek' */
export function secureStoragePlugin(
  plugin: { get(o: { key: string }): Promise<{ value: string }>; set(o: { key: string; value: string }): Promise<unknown> },
  options?: { key?: string },
): KeyProvider;

/** AccessControl values of @capgo/capacitor-native-biometric. */
export const BiometricAccess: Readonly<{ NONE: 0; BIOMETRY_CURRENT_SET: 1; BIOMETRY_ANY: 2 }>;

/** A random KEK behind a biometric prompt in `@capgo/capacitor-native-biometric` (`NativeBiometric`). */
export function nativeBiometric(
  plugin: {
    setData(o: { key: string; value: string; accessControl?: number; title?: string }): Promise<void>;
    getSecureData(o: { key: string; reason?: string; title?: string; subtitle?: string; description?: string; negativeButtonText?: string }): Promise<{ value: string }>;
    isDataSaved(o: { key: string }): Promise<{ isSaved: boolean }>;
  },
  options?: {
    key?: string;
    /** @default BiometricAccess.BIOMETRY_CURRENT_SET */
    accessControl?: number;
    prompt?: { reason?: string; title?: string; subtitle?: string; description?: string; negativeButtonText?: string };
  },
): KeyProvider;
