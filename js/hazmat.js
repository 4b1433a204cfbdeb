/**
 * `enveil/hazmat`: the raw primitives, for known-answer tests and interop.
 *
 * HAZARDOUS. These take explicit nonces and keys: reusing a nonce with
 * AES-GCM under one key reveals plaintexts and enables forgeries, and nothing
 * here binds a ciphertext to where it is stored. Use `Keyring` (record format
 * v1) unless you are implementing a protocol that fixes these choices.
 *
 * All functions are synchronous once `await init()` has resolved, take
 * Uint8Array arguments and return fresh Uint8Arrays (never views of WASM
 * memory).
 * @module
 */
import { EnveilError } from './errors.js';
import { limits } from './internal/limits.js';
import { byteCount, bytesArg, callCore, init, wasm } from './internal/wasm.js';
import { WasmHandle, newHandle } from './internal/wasm-handle.js';

export { init };

const EMPTY = new Uint8Array(0);

/**
 * @typedef {object} Aead
 * @property {string} label for messages
 * @property {'aes256gcm' | 'chacha20poly1305'} core prefix of its core functions
 * @property {(l: import('./internal/limits.js').Limits) => [number, number, number]} sizes
 *   key, nonce and tag bytes
 */

/** @type {Aead} */
const AES_256_GCM = {
  label: 'AES-256-GCM',
  core: 'aes256gcm',
  sizes: (l) => [l.AES_GCM_KEY_BYTES, l.AES_GCM_NONCE_BYTES, l.AES_GCM_TAG_BYTES],
};

/** @type {Aead} */
const CHACHA20_POLY1305 = {
  label: 'ChaCha20-Poly1305',
  core: 'chacha20poly1305',
  sizes: (l) => [l.CHACHA20_POLY1305_KEY_BYTES, l.CHACHA20_POLY1305_NONCE_BYTES, l.CHACHA20_POLY1305_TAG_BYTES],
};

/**
 * Seals or opens with one of the two AEADs, each with its own key, nonce
 * and tag sizes from the module; an open checks the tag before any
 * plaintext is returned (AUTH_FAILED otherwise).
 * @param {Aead} aead
 * @param {boolean} seal
 * @param {unknown} key
 * @param {unknown} nonce
 * @param {unknown} input plaintext (seal) or ciphertext ‖ tag (open)
 * @param {unknown} aad
 * @returns {Uint8Array}
 */
function aeadCall(aead, seal, key, nonce, input, aad) {
  const [keyBytes, nonceBytes, tag] = aead.sizes(limits());
  bytesArg(key, 'key', keyBytes);
  bytesArg(nonce, 'nonce', nonceBytes);
  const data = bytesArg(input, seal ? 'plaintext' : 'sealed');
  const extra = bytesArg(aad, 'aad');
  const dataBytes = byteCount(data);
  if (!seal && dataBytes < tag) {
    throw new EnveilError('INVALID_ARGUMENT', `sealed must be at least ${tag} bytes (the tag), got ${dataBytes}`);
  }
  const fn = wasm()[`${aead.core}${seal ? 'Seal' : 'Open'}`];
  return callCore([/** @type {Uint8Array} */ (key), /** @type {Uint8Array} */ (nonce), data, extra],
    seal ? dataBytes + tag : dataBytes - tag, (a) => fn(...a), () => ({
      AUTH_FAILED: `${aead.label}: the sealed message did not authenticate`,
      INVALID_ARGUMENT: `${aead.label}: invalid argument size`,
    }));
}

/**
 * AES-256-GCM encryption with a caller-chosen 96-bit nonce.
 * @param {Uint8Array} key 32 bytes
 * @param {Uint8Array} nonce 12 bytes; never reuse one under the same key
 * @param {Uint8Array} plaintext
 * @param {Uint8Array} [aad] additional authenticated data
 * @returns {Uint8Array} ciphertext ‖ 16-byte tag
 */
export function aes256gcmSeal(key, nonce, plaintext, aad = EMPTY) {
  return aeadCall(AES_256_GCM, true, key, nonce, plaintext, aad);
}

/**
 * AES-256-GCM decryption. The tag is checked before any plaintext is
 * returned; on failure nothing is returned and EnveilError AUTH_FAILED is
 * thrown.
 * @param {Uint8Array} key 32 bytes
 * @param {Uint8Array} nonce 12 bytes
 * @param {Uint8Array} sealed ciphertext ‖ 16-byte tag
 * @param {Uint8Array} [aad]
 * @returns {Uint8Array} plaintext
 */
export function aes256gcmOpen(key, nonce, sealed, aad = EMPTY) {
  return aeadCall(AES_256_GCM, false, key, nonce, sealed, aad);
}

/**
 * ChaCha20-Poly1305 (RFC 8439) encryption with a caller-chosen 96-bit nonce
 * (BearSSL's constant-time chacha20_ct and poly1305_ctmul).
 * @param {Uint8Array} key 32 bytes
 * @param {Uint8Array} nonce 12 bytes; never reuse one under the same key
 * @param {Uint8Array} plaintext
 * @param {Uint8Array} [aad]
 * @returns {Uint8Array} ciphertext ‖ 16-byte tag
 */
export function chacha20poly1305Seal(key, nonce, plaintext, aad = EMPTY) {
  return aeadCall(CHACHA20_POLY1305, true, key, nonce, plaintext, aad);
}

/**
 * ChaCha20-Poly1305 decryption; the tag is checked before any plaintext is
 * returned (AUTH_FAILED otherwise).
 * @param {Uint8Array} key 32 bytes
 * @param {Uint8Array} nonce 12 bytes
 * @param {Uint8Array} sealed ciphertext ‖ 16-byte tag
 * @param {Uint8Array} [aad]
 * @returns {Uint8Array}
 */
export function chacha20poly1305Open(key, nonce, sealed, aad = EMPTY) {
  return aeadCall(CHACHA20_POLY1305, false, key, nonce, sealed, aad);
}

/**
 * HMAC-SHA256 of `message` under `key` (any length).
 * @param {Uint8Array} key
 * @param {Uint8Array} message
 * @returns {Uint8Array} 32-byte tag
 */
export function hmacSha256(key, message) {
  const m = wasm();
  bytesArg(key, 'key');
  bytesArg(message, 'message');
  return callCore([key, message], limits().HMAC_SHA256_BYTES, (a) => m.hmacSha256(...a), {});
}

/**
 * Checks an HMAC-SHA256 tag in constant time. `tag` is the full 32 bytes or
 * a truncated prefix of at least 16 bytes.
 * @param {Uint8Array} key
 * @param {Uint8Array} message
 * @param {Uint8Array} tag
 * @returns {boolean}
 */
export function hmacSha256Verify(key, message, tag) {
  const m = wasm();
  bytesArg(key, 'key');
  bytesArg(message, 'message');
  bytesArg(tag, 'tag');
  return verified([key, message, tag], (a) => m.hmacSha256Verify(...a));
}

/**
 * An HMAC-SHA256 key for many messages: the padded-key hash states are
 * computed once, in WASM memory, so each message costs two SHA-256 blocks
 * less than hmacSha256(key, message). destroy() wipes them; a key dropped
 * without destroy() is wiped when it is garbage-collected.
 */
export class HmacSha256Key {
  /** @type {WasmHandle<import('../dist/enveil.wasm.js').HmacKeyHandle>} */
  #handle;

  /**
   * @param {Uint8Array} key any length (longer than 64 bytes: hashed first, as HMAC says)
   */
  constructor(key) {
    const m = wasm();
    bytesArg(key, 'key');
    const Handle = /** @type {new () => import('../dist/enveil.wasm.js').HmacKeyHandle} */ (m.HmacKeyHandle);
    const handle = newHandle(Handle, (h) => callCore([key], null, ([p, n]) => {
      h.setKey(p, n);
      return 0;
    }, {}));
    this.#handle = new WasmHandle(this, handle, 'this HMAC key was destroyed: it is wiped');
  }

  /**
   * The 32-byte HMAC-SHA256 tag of `message`.
   * @param {Uint8Array} message
   * @returns {Uint8Array}
   */
  mac(message) {
    const handle = this.#handle.live();
    bytesArg(message, 'message');
    return callCore([message], limits().HMAC_SHA256_BYTES, ([p, n, d, dn]) => handle.mac(p, n, d, dn), {});
  }

  /**
   * Checks a tag in constant time: the full 32 bytes or a prefix of at
   * least 16.
   * @param {Uint8Array} message
   * @param {Uint8Array} tag
   * @returns {boolean}
   */
  verify(message, tag) {
    const handle = this.#handle.live();
    bytesArg(message, 'message');
    bytesArg(tag, 'tag');
    return verified([message, tag], ([p, n, t, tn]) => handle.verify(p, n, t, tn));
  }

  /** Wipes the key from WASM memory. Idempotent. */
  destroy() {
    this.#handle.destroy();
  }

  /** Whether destroy() has been called. */
  get destroyed() {
    return this.#handle.destroyed;
  }
}

/**
 * Runs a tag check: true when it verifies, false for AUTH_FAILED; a tag of
 * a length the core does not take is INVALID_ARGUMENT.
 * @param {[...Uint8Array[], Uint8Array]} inputs the last one is the tag
 * @param {(args: number[]) => number} fn
 */
function verified(inputs, fn) {
  const l = limits();
  const tagBytes = byteCount(inputs[inputs.length - 1]);
  if (tagBytes < l.HMAC_SHA256_MIN_VERIFY_BYTES || tagBytes > l.HMAC_SHA256_BYTES) {
    throw new EnveilError('INVALID_ARGUMENT',
      `tag must be ${l.HMAC_SHA256_MIN_VERIFY_BYTES} to ${l.HMAC_SHA256_BYTES} bytes, got ${tagBytes}`);
  }
  try {
    callCore(inputs, null, fn, {});
    return true;
  } catch (err) {
    if (err instanceof EnveilError && err.code === 'AUTH_FAILED') return false;
    throw err;
  }
}

/**
 * HKDF-SHA256 (RFC 5869): extract with `salt` (empty means 32 zero bytes),
 * then expand with `info` to `length` bytes (1 to 8160).
 * @param {Uint8Array} ikm
 * @param {Uint8Array} salt
 * @param {Uint8Array} info
 * @param {number} length
 * @returns {Uint8Array}
 */
export function hkdfSha256(ikm, salt, info, length) {
  const m = wasm();
  bytesArg(ikm, 'ikm');
  bytesArg(salt, 'salt');
  bytesArg(info, 'info');
  const max = limits().HKDF_SHA256_MAX_BYTES;
  if (!Number.isInteger(length) || length < 1 || length > max) {
    throw new EnveilError('INVALID_ARGUMENT', `length must be an integer from 1 to ${max}`);
  }
  return callCore([ikm, salt, info], length, (a) => m.hkdfSha256(...a), {});
}

/**
 * `n` bytes from the platform CSPRNG (crypto.getRandomValues under WASM).
 * @param {number} n 0 to 1 MiB
 * @returns {Uint8Array}
 */
export function randomBytes(n) {
  const m = wasm();
  const max = limits().RANDOM_MAX_BYTES;
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new EnveilError('INVALID_ARGUMENT', `n must be an integer from 0 to ${max}`);
  }
  return callCore([], n, (a) => m.randomBytes(...a), {
    UNSUPPORTED: 'no secure random source is available',
  });
}

/** @returns {import('./errors.js').CoreMessages} */
function wrapMessages() {
  const l = limits();
  return {
    KEY_UNAVAILABLE: 'the wrapped key does not unwrap under this KEK and context',
    INVALID_ARGUMENT: `kek must be ${l.KEK_BYTES} bytes, key ${l.KEY_BYTES} bytes, wrapped ${l.WRAPPED_KEY_BYTES} bytes`,
  };
}

/**
 * Wraps a 32-byte key under a 32-byte KEK in record format v1 (key id 0),
 * binding `context` as AAD. The building block of the secret-holding key
 * providers.
 * @param {Uint8Array} kek 32 bytes
 * @param {Uint8Array} key 32 bytes
 * @param {Uint8Array} context
 * @returns {Uint8Array} 102 bytes
 */
export function wrapKey(kek, key, context) {
  const m = wasm();
  const l = limits();
  bytesArg(kek, 'kek', l.KEK_BYTES);
  bytesArg(key, 'key', l.KEY_BYTES);
  bytesArg(context, 'context');
  return callCore([kek, key, context], l.WRAPPED_KEY_BYTES, (a) => m.wrapKey(...a), wrapMessages);
}

/**
 * Opens a key made by wrapKey(); throws KEY_UNAVAILABLE when the KEK or the
 * context differ or the bytes were changed.
 * @param {Uint8Array} kek 32 bytes
 * @param {Uint8Array} wrapped 102 bytes
 * @param {Uint8Array} context
 * @returns {Uint8Array} 32 bytes
 */
export function unwrapKey(kek, wrapped, context) {
  const m = wasm();
  const l = limits();
  bytesArg(kek, 'kek', l.KEK_BYTES);
  bytesArg(wrapped, 'wrapped', l.WRAPPED_KEY_BYTES);
  bytesArg(context, 'context');
  return callCore([kek, wrapped, context], l.KEY_BYTES, (a) => m.unwrapKey(...a), wrapMessages);
}
