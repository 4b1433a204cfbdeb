/**
 * The stream format's core calls (src/stream_format.h through
 * bindings/stream.cc): bytes in, bytes out, through the loader's callCore
 * (inputs copied into WASM memory, wiped and freed after each call). Every
 * cryptographic decision is the core's; this file only sizes buffers.
 *
 * It lives beside keyring.js, not under cli/, because nothing in it needs
 * Node: the command line is one user of the format, not its owner.
 * @module
 */
import { byteCount, callCore, init, wasm } from './internal/wasm.js';
import { EnveilError } from './errors.js';

export { init };

const encoder = new TextEncoder();

/**
 * @typedef {object} HeaderInfo
 * @property {number} size bytes of the whole header; the body starts here
 * @property {number} immutableSize bytes of the immutable part
 * @property {number} chunkBytes plaintext bytes per non-final chunk
 * @property {Uint8Array} fileId 16 bytes
 * @property {Uint8Array} context as stored (UTF-8 for the command line)
 * @property {string} keyId the master key id the header names (not yet verified)
 */

/** Sizes the core defines (read from the module, never repeated here). */
export function sizes() {
  const m = wasm();
  return {
    keyBytes: /** @type {number} */ (m.STREAM_MASTER_KEY_BYTES),
    tagBytes: /** @type {number} */ (m.STREAM_TAG_BYTES),
    maxHeaderBytes: /** @type {number} */ (m.STREAM_MAX_HEADER_BYTES),
    maxContextBytes: /** @type {number} */ (m.STREAM_MAX_CONTEXT_BYTES),
    minChunkBytes: /** @type {number} */ (m.STREAM_MIN_CHUNK_BYTES),
    maxChunkBytes: /** @type {number} */ (m.STREAM_MAX_CHUNK_BYTES),
    defaultChunkBytes: /** @type {number} */ (m.STREAM_DEFAULT_CHUNK_BYTES),
    maxChunkIndex: /** @type {number} */ (m.STREAM_MAX_CHUNK_INDEX),
    version: /** @type {number} */ (m.STREAM_VERSION),
    suite: /** @type {number} */ (m.STREAM_SUITE_AES_256_GCM),
  };
}

/**
 * Whether `id` is a valid master key id (the core's rule).
 * @param {string} id
 */
export function keyIdValid(id) {
  const m = wasm();
  const bytes = encoder.encode(id);
  let valid = false;
  callCore([bytes], null, (a) => {
    valid = m.streamKeyIdValid(a[0], a[1]);
    return 0;
  }, {});
  return valid;
}

/**
 * Parses the header at the start of `bytes`; null when it is not a v1
 * header (or `bytes` stops before its end).
 * @param {Uint8Array} bytes
 * @returns {HeaderInfo | null}
 */
export function parseHeader(bytes) {
  const m = wasm();
  /** @type {any} */
  let info = null;
  try {
    callCore([bytes], null, (a) => {
      info = m.streamParseHeader(a[0], a[1]);
      return typeof info === 'number' ? info : 0;
    }, {});
  } catch (err) {
    if (err instanceof EnveilError && err.code === 'AUTH_FAILED') return null;
    throw err;
  }
  return { ...info, keyId: new TextDecoder().decode(info.keyId) };
}

/**
 * A new header and its stream key (payload key ‖ nonce prefix; the caller
 * wipes it).
 * @param {Uint8Array} masterKey
 * @param {string} keyId
 * @param {Uint8Array} context
 * @param {number} chunkBytes
 */
export function sealBegin(masterKey, keyId, context, chunkBytes) {
  const m = wasm();
  const id = encoder.encode(keyId);
  const headerBytes = m.streamHeaderBytes(byteCount(context), id.length);
  const out = callCore([masterKey, id, context], headerBytes + m.STREAM_KEY_BYTES,
    (a) => m.streamSealBegin(a[0], a[1], a[2], a[3], a[4], a[5], chunkBytes, a[6], a[7]), {
      INVALID_ARGUMENT: 'invalid key, key id, context or chunk size',
      UNSUPPORTED: 'no secure random source is available',
    });
  const sealed = { header: out.slice(0, headerBytes), streamKey: out.slice(headerBytes) };
  out.fill(0);
  return sealed;
}

/**
 * The stream key of `header` (exactly one header), after the core unwrapped
 * the data key under `masterKey` and checked the commitment. Throws
 * EnveilError UNKNOWN_KEY (the header names another key id) or AUTH_FAILED.
 * @param {Uint8Array} masterKey
 * @param {string} keyId
 * @param {Uint8Array} header
 */
export function openBegin(masterKey, keyId, header) {
  const m = wasm();
  return callCore([masterKey, encoder.encode(keyId), header], m.STREAM_KEY_BYTES,
    (a) => m.streamOpenBegin(...a), {});
}

/**
 * `header` with its data key re-wrapped from the old master key to the new
 * one; the data key never leaves the core. Throws as openBegin for the old
 * key.
 * @param {{ bytes: Uint8Array, id: string }} oldKey
 * @param {{ bytes: Uint8Array, id: string }} newKey
 * @param {Uint8Array} header
 * @param {HeaderInfo} info the parsed header
 */
export function rewrapHeader(oldKey, newKey, header, info) {
  const m = wasm();
  const newId = encoder.encode(newKey.id);
  return callCore([oldKey.bytes, encoder.encode(oldKey.id), newKey.bytes, newId, header],
    m.streamHeaderBytes(byteCount(info.context), newId.length),
    (a) => m.streamRewrapHeader(...a), {});
}

/**
 * @param {Uint8Array} streamKey
 * @param {Uint8Array} header
 * @param {number} index
 * @param {boolean} isFinal
 * @param {Uint8Array} plaintext
 * @returns {Uint8Array} ciphertext ‖ tag
 */
export function sealChunk(streamKey, header, index, isFinal, plaintext) {
  const m = wasm();
  return callCore([streamKey, header, plaintext], byteCount(plaintext) + m.STREAM_TAG_BYTES,
    (a) => m.streamSealChunk(a[0], a[1], a[2], a[3], a[4], a[5], index, isFinal, a[6], a[7]), {
      INVALID_ARGUMENT: 'the input is too large for the format (2^32 chunks)',
    });
}

/**
 * The plaintext of one chunk, released only after its tag verified; throws
 * EnveilError AUTH_FAILED otherwise.
 * @param {Uint8Array} streamKey
 * @param {Uint8Array} header
 * @param {number} index
 * @param {boolean} isFinal
 * @param {Uint8Array} sealed
 * @returns {Uint8Array}
 */
export function openChunk(streamKey, header, index, isFinal, sealed) {
  const m = wasm();
  const outLength = Math.max(0, byteCount(sealed) - m.STREAM_TAG_BYTES);
  return callCore([streamKey, header, sealed], outLength,
    (a) => m.streamOpenChunk(a[0], a[1], a[2], a[3], a[4], a[5], index, isFinal, a[6], a[7]), {});
}
