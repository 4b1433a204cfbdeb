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
  const prefix = streamKey.slice(KEY_BYTES);
  const aad = header.slice(0, info.immutableSize);
  const { chunkBytes } = info;
  /** @param {number} index @param {boolean} isFinal */
  const nonce = (index, isFinal) => {
    const n = new Uint8Array(12);
    n.set(prefix);
    new DataView(n.buffer).setUint32(PREFIX_BYTES, index);
    n[11] = isFinal ? 1 : 0;
    return n;
  };
  return {
    /**
     * Seals chunk `index`: exactly chunkBytes of plaintext, or fewer for the final one.
     * @param {number} index @param {boolean} isFinal @param {Uint8Array} plaintext
     */
    seal(index, isFinal, plaintext) {
      const sizeOk = isFinal ? plaintext.length < chunkBytes : plaintext.length === chunkBytes;
      if (!sizeOk || !Number.isInteger(index) || index < 0 || index > MAX_INDEX) {
        throw new EnveilError('INVALID_ARGUMENT', 'chunk: wrong size or index for its place in the stream');
      }
      const cipher = createCipheriv('aes-256-gcm', key, nonce(index, isFinal), { authTagLength: TAG_BYTES });
      cipher.setAAD(aad);
      const out = new Uint8Array(plaintext.length + TAG_BYTES);
      const body = cipher.update(plaintext);
      out.set(body);
      body.fill(0);
      cipher.final();
      out.set(cipher.getAuthTag(), plaintext.length);
      return out;
    },
    /**
     * Opens chunk `index` after its tag verifies; AUTH_FAILED for anything
     * else (a size its place does not allow included), with no plaintext
     * released.
     * @param {number} index @param {boolean} isFinal @param {Uint8Array} sealed
     */
    open(index, isFinal, sealed) {
      const size = sealed.length - TAG_BYTES;
      const sizeOk = sealed.length >= TAG_BYTES && (isFinal ? size < chunkBytes : size === chunkBytes);
      if (!sizeOk || !Number.isInteger(index) || index < 0 || index > MAX_INDEX) {
        throw new EnveilError('AUTH_FAILED', 'the chunk does not authenticate');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, nonce(index, isFinal), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(size));
      const out = new Uint8Array(size);
      const body = decipher.update(sealed.subarray(0, size));
      out.set(body);
      body.fill(0);
      try {
        decipher.final();
      } catch {
        out.fill(0);
        throw new EnveilError('AUTH_FAILED', 'the chunk does not authenticate');
      }
      return out;
    },
  };
}
