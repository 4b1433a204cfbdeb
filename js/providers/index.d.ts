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

/**
 * A native wrap/unwrap plugin (Android Keystore / iOS Keychain).
 * @throws EnveilError UNSUPPORTED when `plugin` is undefined; INVALID_ARGUMENT when it lacks the methods
 *   or is one of the secret-store plugins.
 */
export function capacitorKeystore(plugin: EnveilKeystorePlugin, options?: { alias?: string; biometric?: BiometricOptions }): KeyProvider;

/** Options every secret-store adapter takes. */
export interface SecretStoreOptions {
  /** Name of the item holding the KEK in the plugin. @default 'enveil.kek' */
  key?: string;
  /**
   * On the web (no Capacitor, or `Capacitor.getPlatform() === 'web'`) the
   * plugins' web implementations keep the KEK readable next to the data, so
   * the adapters refuse with UNSUPPORTED; `true` allows it, for demos and
   * tests. Use `providers.webCrypto()` on the web instead. @default false
   */
  allowInsecureWeb?: boolean;
}

/**
 * A random KEK in `@aparajita/capacitor-secure-storage` (`SecureStorage`).
 * @throws EnveilError UNSUPPORTED on the web (without `allowInsecureWeb`) and when the plugin is missing;
 *   INVALID_ARGUMENT for another plugin.
 */
export function aparajitaSecureStorage(
  plugin: { get(key: string, convertDate?: boolean): Promise<unknown>; set(key: string, data: string, convertDate?: boolean): Promise<void> },
  options?: SecretStoreOptions,
): KeyProvider;

/** A random KEK in `capacitor-secure-storage-plugin` (`SecureStoragePlugin`). Throws as aparajitaSecureStorage. */
export function secureStoragePlugin(
  plugin: { get(o: { key: string }): Promise<{ value: string }>; set(o: { key: string; value: string }): Promise<unknown> },
  options?: SecretStoreOptions,
): KeyProvider;

/** AccessControl values of @capgo/capacitor-native-biometric. */
export const BiometricAccess: Readonly<{ NONE: 0; BIOMETRY_CURRENT_SET: 1; BIOMETRY_ANY: 2 }>;

/**
 * A random KEK behind a biometric prompt in `@capgo/capacitor-native-biometric` (`NativeBiometric`).
 * Throws as aparajitaSecureStorage, and INVALID_ARGUMENT for `accessControl` NONE (getSecureData cannot read it back).
 */
export function nativeBiometric(
  plugin: {
    setData(o: { key: string; value: string; accessControl?: number; title?: string }): Promise<void>;
    getSecureData(o: { key: string; reason?: string; title?: string; subtitle?: string; description?: string; negativeButtonText?: string }): Promise<{ value: string }>;
    isDataSaved(o: { key: string }): Promise<{ isSaved: boolean }>;
  },
  options?: SecretStoreOptions & {
    /** BIOMETRY_CURRENT_SET or BIOMETRY_ANY. @default BiometricAccess.BIOMETRY_CURRENT_SET */
    accessControl?: 1 | 2;
    prompt?: { reason?: string; title?: string; subtitle?: string; description?: string; negativeButtonText?: string };
  },
): KeyProvider;

export { pkcs11, createPkcs11Key } from './pkcs11.js';
export type { Pkcs11Options, Pkcs11Provider } from './pkcs11.js';
export { vaultTransit, awsKms } from './key-services.js';
export type { VaultTransitOptions, AwsKmsOptions, RetryOptions, KmsAggregatedClient, KmsBareClient, KmsCommands } from './key-services.js';
export { createPasskey, webAuthnPrf, webAuthnPrfSupported } from './webauthn-prf.js';
export type { CreatePasskeyOptions, WebAuthnPrfOptions } from './webauthn-prf.js';
