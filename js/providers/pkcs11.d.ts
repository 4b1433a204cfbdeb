import type { KeyProvider } from './definitions.js';

/** Where the key is and how to log in. @since 0.2.0 */
export interface Pkcs11Options {
  /** Path of the token's PKCS#11 library, e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
  module: string;
  /** The token's label (at most 32 bytes). */
  token: string;
  /** CKA_LABEL of the AES-256 secret key in the token. */
  key: string;
  /**
   * The user PIN, or a function returning it, called once each time a
   * session is opened (not per call). A string PIN the token refused is not
   * tried again by that provider; a function is asked again on the next call.
   */
  pin: string | (() => string | Promise<string>);
  /** Slot id, when two tokens share a label. */
  slot?: number;
}

/** A KeyProvider over a PKCS#11 token, with its session to close. */
export interface Pkcs11Provider extends KeyProvider {
  /** `pkcs11:<token>/<key>` */
  readonly id: string;
  /**
   * Waits for pending calls, logs out (when no other provider of this process
   * is logged in to the token), closes the session and finalises the library
   * when nothing else of enveil uses it. A later call opens a new session.
   */
  close(): Promise<void>;
}

/**
 * A KEK that never leaves a PKCS#11 token (Node; needs the `pkcs11js`
 * package): AES-256-GCM inside the token, the context as AAD.
 * Wrapped form: 0x01 ‖ 12-byte IV (the token's C_GenerateRandom) ‖ ciphertext ‖ 16-byte tag.
 * @throws EnveilError INVALID_ARGUMENT for bad options. Calls reject with UNSUPPORTED
 *   when pkcs11js is missing, and KEY_UNAVAILABLE for every failure of the token, the
 *   PIN, the key (missing, not AES-256, or CKA_EXTRACTABLE / not CKA_SENSITIVE: refused)
 *   or the wrapped data.
 * @since 0.2.0
 */
export function pkcs11(options: Pkcs11Options): Pkcs11Provider;

/**
 * Creates a non-extractable, sensitive AES-256 key labelled `key` in the
 * token (C_GenerateKey: it never exists outside it). Never replaces a key.
 * @throws EnveilError INVALID_ARGUMENT when a secret key with that label exists;
 *   KEY_UNAVAILABLE when the token, the PIN or the creation fails; UNSUPPORTED without pkcs11js.
 * @returns the id `providers.pkcs11` has for the key.
 * @since 0.2.0
 */
export function createPkcs11Key(options: Pkcs11Options): Promise<{ id: string }>;
