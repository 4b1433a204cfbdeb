/**
 * The native plugin contract behind `providers.capacitorKeystore(plugin)`:
 * what an Android Keystore / iOS Keychain (Secure Enclave) plugin implements
 * so that the store's master key never leaves the hardware. The plugin
 * generates a non-exportable AES-256-GCM key under `alias` on first
 * `wrapKey`, and wraps/unwraps 32-byte keys with it, binding `aad`.
 *
 * All byte strings cross the bridge as standard base64.
 * @since 0.1.0
 */
export interface EnveilKeystorePlugin {
  /**
   * Wraps `key` under the hardware key `alias` (created if absent).
   * enveil sends the wraps for one alias one at a time (within a page, and
   * across pages through Web Locks), but a key made by another process is
   * beyond its reach: create the key atomically (e.g. under a lock, and
   * without replacing one that appeared meanwhile).
   * Android: KeyGenParameterSpec(PURPOSE_ENCRYPT | PURPOSE_DECRYPT),
   * AES/GCM/NoPadding, setUserAuthenticationRequired when `biometric` is set.
   * iOS: a Secure Enclave P-256 key with ECIES (eciesEncryptionCofactorX963SHA256AESGCM)
   * or a Keychain AES key with kSecAttrAccessibleWhenUnlockedThisDeviceOnly.
   * @returns `{ wrapped }`: base64 of whatever the plugin needs to unwrap (IV ‖ ciphertext ‖ tag on Android).
   */
  wrapKey(options: WrapKeyOptions): Promise<{ wrapped: string }>;
  /**
   * Unwraps a key made by wrapKey under the same `alias` and `aad`.
   * Rejects with a {@link KeystoreErrorCode} when the key is gone, was
   * invalidated (new biometric enrolment), or authentication failed.
   * @returns `{ key }`: base64 of the 32-byte key.
   */
  unwrapKey(options: UnwrapKeyOptions): Promise<{ key: string }>;
  /** Deletes the hardware key `alias`. Optional: not called by enveil. */
  deleteKey?(options: { alias: string }): Promise<void>;
}

export interface WrapKeyOptions {
  /** Name of the hardware key. @default 'enveil' */
  alias: string;
  /** base64 of the 32-byte key to wrap. */
  key: string;
  /** base64 of the context to bind as additional authenticated data. */
  aad: string;
  /** Require user presence for every use of the key. */
  biometric?: BiometricOptions;
}

export interface UnwrapKeyOptions {
  alias: string;
  /** base64 of wrapKey's `wrapped`. */
  wrapped: string;
  /** base64 of the same context as at wrap time. */
  aad: string;
  biometric?: BiometricOptions;
}

export interface BiometricOptions {
  /** Prompt title. @since 0.1.0 */
  title?: string;
  /** Prompt subtitle / reason (iOS: localizedReason). */
  reason?: string;
  /** Allow the device passcode as a fallback. @default false */
  allowDeviceCredential?: boolean;
  /** Seconds a successful authentication stays valid (Android). @default 0: every use */
  validitySeconds?: number;
  /** Invalidate the key when biometrics are re-enrolled. @default true */
  invalidateOnEnrollment?: boolean;
}

/**
 * `code` of the plugin's rejections. Every one surfaces from enveil as
 * EnveilError KEY_UNAVAILABLE (the plugin code is kept in the message and as
 * `cause`); the store is left intact.
 */
export type KeystoreErrorCode =
  | 'KEY_NOT_FOUND'
  | 'KEY_INVALIDATED'
  | 'AUTH_FAILED'
  | 'USER_CANCELED'
  | 'BIOMETRIC_LOCKOUT'
  | 'NOT_AVAILABLE';

/**
 * The plugin hook (DESIGN.md §6): holds the store's master key (KEK) and
 * wraps and unwraps the store key with it. `context` must be bound (as AAD)
 * so that a wrapped key moved elsewhere fails; a provider that has lost its
 * key rejects with EnveilError KEY_UNAVAILABLE, never returns garbage.
 * Declared here once; index.d.ts and providers/index.d.ts re-export it.
 * @since 0.1.0
 */
export interface KeyProvider {
  /** Stable id of this KEK. */
  readonly id: string;
  wrapKey(key: Uint8Array, context: Uint8Array): Promise<Uint8Array>;
  unwrapKey(wrapped: Uint8Array, context: Uint8Array): Promise<Uint8Array>;
}
