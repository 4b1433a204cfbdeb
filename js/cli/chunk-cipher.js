/**
 * The chunks of a sealed stream in Node, through node:crypto's AES-256-GCM
 * (AES-NI where the CPU has it) instead of the core's constant-time
 * software AES in WASM: the same bytes on disk (src/stream_format.h), ten
 * times the speed. The core still parses the header, unwraps the data key,
 * derives the payload key, the nonce prefix and the commitment and checks
 * the commitment: what reaches this module is the 39-byte stream key
 * (payload key ‖ nonce prefix) a header opened to. Chunk i:
 *   nonce = prefix ‖ u32be(i) ‖ (0x01 final, else 0x00), AAD = the header's immutable part.
 * The size rules are the core's: a non-final chunk holds exactly the chunk
 * size, the final one less; an index past 2^32 - 1 is refused.
 * tests/cli/chunk-cipher.test.js checks it against the core, byte for byte.
 * @module
 */
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import { EnveilError } from '../errors.js';
import { parseHeader } from '../stream-format.js';

const KEY_BYTES = 32;
const PREFIX_BYTES = 7;
const TAG_BYTES = 16;
const MAX_INDEX = 0xffffffff;

/**
 * @param {Uint8Array} streamKey payload key ‖ nonce prefix (39 bytes); the caller wipes it
 * @param {Uint8Array} header the stream header (exactly one)
 */
export function chunkCipher(streamKey, header) {
  const info = parseHeader(header);
  if (info === null || info.size !== header.length) throw new EnveilError('INVALID_ARGUMENT', 'header: expected exactly one stream header');
  if (streamKey.length !== KEY_BYTES + PREFIX_BYTES) throw new EnveilError('INVALID_ARGUMENT', 'stream key: expected 39 bytes');
  // A KeyObject holds its own copy (Node's memory, which JavaScript cannot
  // wipe); it lives as long as this cipher.
  const key = createSecretKey(streamKey.subarray(0, KEY_BYTES));
  const aad = header.slice(0, info.immutableSize);
  const { chunkBytes } = info;
  // One nonce buffer, rewritten for each chunk (createCipheriv copies it).
  const iv = Buffer.alloc(12);
  iv.set(streamKey.subarray(KEY_BYTES));
  /** @param {number} index @param {boolean} isFinal */
  const nonce = (index, isFinal) => {
    iv.writeUInt32BE(index, PREFIX_BYTES);
    iv[11] = isFinal ? 1 : 0;
    return iv;
  };
  /** @param {number} index */
  const indexOk = (index) => Number.isInteger(index) && index >= 0 && index <= MAX_INDEX;
  /**
   * Seals chunk `index` into `out` at `at` (plaintext.length + 16 bytes);
   * returns the bytes written.
   * @param {number} index @param {boolean} isFinal @param {Uint8Array} plaintext
   * @param {Uint8Array} out @param {number} at
   */
  const sealInto = (index, isFinal, plaintext, out, at) => {
    const sizeOk = isFinal ? plaintext.length < chunkBytes : plaintext.length === chunkBytes;
    if (!sizeOk || !indexOk(index)) {
      throw new EnveilError('INVALID_ARGUMENT', 'chunk: wrong size or index for its place in the stream');
    }
    if (at + plaintext.length + TAG_BYTES > out.length) throw new EnveilError('INVALID_ARGUMENT', 'chunk: no room for it in the output');
    const cipher = createCipheriv('aes-256-gcm', key, nonce(index, isFinal), { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    // update() returns ciphertext in a buffer of its own (node:crypto has
    // no output argument): one copy, nothing to wipe.
    out.set(cipher.update(plaintext), at);
    cipher.final();
    out.set(cipher.getAuthTag(), at + plaintext.length);
    return plaintext.length + TAG_BYTES;
  };
  /**
   * Opens chunk `index` into `out` at `at` (sealed.length - 16 bytes) once
   * its tag verifies; returns the bytes written. AUTH_FAILED for anything
   * else (a size its place does not allow included), with nothing written
   * to `out` (what update() decrypted is wiped).
   * @param {number} index @param {boolean} isFinal @param {Uint8Array} sealed
   * @param {Uint8Array} out @param {number} at
   */
  const openInto = (index, isFinal, sealed, out, at) => {
    const size = sealed.length - TAG_BYTES;
    const sizeOk = sealed.length >= TAG_BYTES && (isFinal ? size < chunkBytes : size === chunkBytes);
    if (!sizeOk || !indexOk(index)) {
      throw new EnveilError('AUTH_FAILED', 'the chunk does not authenticate');
    }
    if (at + size > out.length) throw new EnveilError('INVALID_ARGUMENT', 'chunk: no room for it in the output');
    const decipher = createDecipheriv('aes-256-gcm', key, nonce(index, isFinal), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(size));
    const body = decipher.update(sealed.subarray(0, size));
    try {
      decipher.final();
    } catch {
      body.fill(0);
      throw new EnveilError('AUTH_FAILED', 'the chunk does not authenticate');
    }
    out.set(body, at);
    body.fill(0);
    return size;
  };
  return {
    sealInto,
    openInto,
    /**
     * Seals chunk `index`: exactly chunkBytes of plaintext, or fewer for the final one.
     * @param {number} index @param {boolean} isFinal @param {Uint8Array} plaintext
     */
    seal(index, isFinal, plaintext) {
      const out = new Uint8Array(plaintext.length + TAG_BYTES);
      sealInto(index, isFinal, plaintext, out, 0);
      return out;
    },
    /**
     * Opens chunk `index` after its tag verifies; AUTH_FAILED for anything
     * else (a size its place does not allow included), with no plaintext
     * released.
     * @param {number} index @param {boolean} isFinal @param {Uint8Array} sealed
     */
    open(index, isFinal, sealed) {
      const out = new Uint8Array(Math.max(0, sealed.length - TAG_BYTES));
      openInto(index, isFinal, sealed, out, 0);
      return out;
    },
  };
}
