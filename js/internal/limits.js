// Every size and rule the JS layer checks, read once from the WASM module
// (the C++ headers are their one source) instead of being written again
// here. Read lazily: modules that import this one load before init().
import { EnveilError } from '../errors.js';
import { stringArg, wasm } from './wasm.js';

/**
 * @typedef {object} Limits
 * @property {number} KEY_BYTES a key enveil makes, wraps or unwraps: data and
 *   index keys, the store key, a recovery key (record_format.h kRecordKeyBytes)
 * @property {number} KEK_BYTES a key-encryption key: Keyring's `kek`, hazmat
 *   wrapKey's `kek` (keyring.h kKeyringKekBytes)
 * @property {number} WRAPPED_KEY_BYTES a key wrapped as a v1 record (key_wrap.h)
 * @property {number} RECORD_OVERHEAD_BYTES a v1 record's header and tag
 * @property {number} AES_GCM_KEY_BYTES
 * @property {number} AES_GCM_NONCE_BYTES
 * @property {number} AES_GCM_TAG_BYTES
 * @property {number} CHACHA20_POLY1305_KEY_BYTES
 * @property {number} CHACHA20_POLY1305_NONCE_BYTES
 * @property {number} CHACHA20_POLY1305_TAG_BYTES
 * @property {number} HMAC_SHA256_BYTES
 * @property {number} HMAC_SHA256_MIN_VERIFY_BYTES the shortest truncated tag verify() accepts
 * @property {number} HKDF_SHA256_MAX_BYTES
 * @property {number} RANDOM_MAX_BYTES
 * @property {number} KEYRING_MAX_NAME_BYTES the longest name (store, KEK id,
 *   collection, field), in UTF-8 bytes
 * @property {number} BLIND_INDEX_MIN_BITS
 * @property {number} BLIND_INDEX_MAX_BITS
 * @property {number} BLIND_INDEX_MAX_TEXT_BYTES the longest "<keyId>:<hex>"
 * @property {number} DEFAULT_BLIND_INDEX_BITS what blindIndex uses without `bits`
 * @property {readonly import('../keyring.js').Normalization[]} NORMALIZATIONS
 *   the normalisation names; a name's index is the mode number the core takes
 */

/**
 * The API's default (Keyring#blindIndex, store declarations), not a rule of
 * the core, which takes any bits in range: src/blind_index.h says how to
 * choose them.
 */
const DEFAULT_BLIND_INDEX_BITS = 32;

/** @type {Readonly<Limits> | null} */
let cached = null;

/**
 * The sizes and rules of the loaded module, as one frozen object (the same
 * object on every call). Throws UNSUPPORTED before init() has resolved.
 * @returns {Readonly<Limits>}
 */
export function limits() {
  return cached ??= read(wasm());
}

/**
 * @param {import('../../dist/enveil.wasm.js').EnveilModule} m
 * @returns {Readonly<Limits>}
 */
function read(m) {
  return Object.freeze({
    KEY_BYTES: m.RECORD_KEY_BYTES,
    KEK_BYTES: m.KEYRING_KEK_BYTES,
    WRAPPED_KEY_BYTES: m.WRAPPED_KEY_BYTES,
    RECORD_OVERHEAD_BYTES: m.RECORD_OVERHEAD_BYTES,
    AES_GCM_KEY_BYTES: m.AES_GCM_KEY_BYTES,
    AES_GCM_NONCE_BYTES: m.AES_GCM_NONCE_BYTES,
    AES_GCM_TAG_BYTES: m.AES_GCM_TAG_BYTES,
    CHACHA20_POLY1305_KEY_BYTES: m.CHACHA20_POLY1305_KEY_BYTES,
    CHACHA20_POLY1305_NONCE_BYTES: m.CHACHA20_POLY1305_NONCE_BYTES,
    CHACHA20_POLY1305_TAG_BYTES: m.CHACHA20_POLY1305_TAG_BYTES,
    HMAC_SHA256_BYTES: m.HMAC_SHA256_BYTES,
    HMAC_SHA256_MIN_VERIFY_BYTES: m.HMAC_SHA256_MIN_VERIFY_BYTES,
    HKDF_SHA256_MAX_BYTES: m.HKDF_SHA256_MAX_BYTES,
    RANDOM_MAX_BYTES: m.RANDOM_MAX_BYTES,
    KEYRING_MAX_NAME_BYTES: m.KEYRING_MAX_NAME_BYTES,
    BLIND_INDEX_MIN_BITS: m.BLIND_INDEX_MIN_BITS,
    BLIND_INDEX_MAX_BITS: m.BLIND_INDEX_MAX_BITS,
    BLIND_INDEX_MAX_TEXT_BYTES: m.BLIND_INDEX_MAX_TEXT_BYTES,
    DEFAULT_BLIND_INDEX_BITS,
    NORMALIZATIONS: Object.freeze(/** @type {import('../keyring.js').Normalization[]} */ (m.normalizationNames())),
  });
}

const encoder = new TextEncoder();

/**
 * Checks a name as the core does (keyring.h), counting UTF-8 bytes, not
 * UTF-16 code units: 'é'.repeat(128) is 128 characters but 256 bytes.
 * - 'name' (default): a collection, field or data-key scope: 1 to
 *   KEYRING_MAX_NAME_BYTES bytes, without '/' (the separator of index-key
 *   scopes) or NUL;
 * - 'id': a store name or KEK id, bound into every wrapped key as it is:
 *   up to KEYRING_MAX_NAME_BYTES bytes, any character.
 * @param {unknown} value
 * @param {string} argName the argument, for the error message
 * @param {'name' | 'id'} [kind]
 * @returns {string} the name
 */
export function nameArg(value, argName, kind = 'name') {
  const name = stringArg(value, argName);
  const max = limits().KEYRING_MAX_NAME_BYTES;
  const min = kind === 'name' ? 1 : 0;
  const bytes = encoder.encode(name).length;
  if (bytes < min || bytes > max) {
    const range = min === 0 ? `at most ${max}` : `${min} to ${max}`;
    throw new EnveilError('INVALID_ARGUMENT', `${argName} must be ${range} bytes in UTF-8, got ${bytes}`);
  }
  if (kind === 'name' && /[/\0]/.test(name)) {
    throw new EnveilError('INVALID_ARGUMENT', `${argName} must not contain '/' or NUL`);
  }
  return name;
}
