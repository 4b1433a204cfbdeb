/**
 * The key-service block: what a sealed stream carries before its header when
 * its master key is held by a key service (PKCS#11, Vault Transit, AWS KMS)
 * and never leaves it. Such a stream is sealed under a master key of its own
 * (32 random bytes, the "stream master key"), which the service wraps; the
 * stream header after the block is an ordinary v1 header under that key,
 * named after the kind of service. So the core never sees the service, and
 * the data key never leaves the core, as with a key file.
 *
 *   0    6   magic "ENVEIL"
 *   6    1   0xFE: a key-service block (a stream header has its version, 0x01, here)
 *   7    1   kind: 0x01 PKCS#11, 0x02 Vault Transit, 0x03 AWS KMS
 *   8    1   m: length of the service key's id (1..255)
 *   9    m   the id (printable ASCII), e.g. "pkcs11:enveil/kek"
 *   9+m  2   w: length of the wrapped stream master key (1..8192), big-endian
 *   11+m w   the service's wrap of the stream master key, bound (as AAD, or
 *            KMS's encryption context) to
 *            "enveil/v1/stream-kek" ‖ lp(kind ‖ id) ‖ lp(immutable part of the header)
 *   then the stream header (src/stream_format.h), master key id = the kind's name
 *
 * Nothing in the block is trusted before the service unwraps: a block moved
 * to another file, or naming another key, does not unwrap (its context
 * binds the file's immutable part and the id), and the header's own wrapped
 * data key and commitment then check the stream master key as for any key.
 * Rotation replaces the block and the key section and leaves the body.
 * @module
 */
import { CliError, EXIT } from './exit.js';

export const BLOCK_MARKER = 0xfe;
const MAGIC = new TextEncoder().encode('ENVEIL');
const encoder = new TextEncoder();

/** @type {Readonly<Record<string, number>>} the kind byte of each service */
export const KINDS = Object.freeze({ pkcs11: 0x01, 'vault-transit': 0x02, 'aws-kms': 0x03 });
const MAX_ID = 255;
export const MAX_WRAPPED = 8192;
/** The most bytes a block can take. */
export const MAX_BLOCK_BYTES = 11 + MAX_ID + MAX_WRAPPED;

/**
 * @typedef {object} KeyServiceBlock
 * @property {'pkcs11' | 'vault-transit' | 'aws-kms'} kind
 * @property {string} id the service key's id, as the provider names it
 * @property {Uint8Array} wrapped the stream master key, as the service wrapped it
 * @property {number} size bytes of the block; the stream header starts here
 */

/** Whether `bytes` start with a key-service block's marker. @param {Uint8Array} bytes */
export function startsWithBlock(bytes) {
  return bytes.length > MAGIC.length && MAGIC.every((b, i) => bytes[i] === b) && bytes[MAGIC.length] === BLOCK_MARKER;
}

/** @param {string} id */
export function serviceIdValid(id) {
  return id.length >= 1 && id.length <= MAX_ID && /^[\x21-\x7e]+$/.test(id);
}

/**
 * Parses the block at the start of `bytes`; null when they do not start
 * with one that is whole and well formed.
 * @param {Uint8Array} bytes
 * @returns {KeyServiceBlock | null}
 */
export function parseBlock(bytes) {
  if (!startsWithBlock(bytes) || bytes.length < 9) return null;
  const kind = Object.keys(KINDS).find((k) => KINDS[k] === bytes[7]);
  const m = bytes[8];
  if (kind === undefined || m === 0 || bytes.length < 11 + m) return null;
  const id = new TextDecoder().decode(bytes.subarray(9, 9 + m));
  const w = (bytes[9 + m] << 8) | bytes[10 + m];
  if (!serviceIdValid(id) || w === 0 || w > MAX_WRAPPED || bytes.length < 11 + m + w) return null;
  return {
    kind: /** @type {KeyServiceBlock['kind']} */ (kind), id,
    wrapped: bytes.slice(11 + m, 11 + m + w), size: 11 + m + w,
  };
}

/**
 * The block for a stream master key the service wrapped.
 * @param {KeyServiceBlock['kind']} kind @param {string} id @param {Uint8Array} wrapped
 */
export function encodeBlock(kind, id, wrapped) {
  const idBytes = encoder.encode(id);
  if (!serviceIdValid(id)) throw new CliError(EXIT.KEY, `the key service's key id is not 1 to ${MAX_ID} printable ASCII characters`);
  if (wrapped.length === 0 || wrapped.length > MAX_WRAPPED) {
    throw new CliError(EXIT.KEY, `the key service returned a wrapped key of ${wrapped.length} bytes (1 to ${MAX_WRAPPED} fit a sealed file)`);
  }
  const out = new Uint8Array(11 + idBytes.length + wrapped.length);
  out.set(MAGIC);
  out[6] = BLOCK_MARKER;
  out[7] = KINDS[kind];
  out[8] = idBytes.length;
  out.set(idBytes, 9);
  out[9 + idBytes.length] = wrapped.length >> 8;
  out[10 + idBytes.length] = wrapped.length & 0xff;
  out.set(wrapped, 11 + idBytes.length);
  return out;
}

/**
 * What the service binds the stream master key to.
 * @param {KeyServiceBlock['kind']} kind @param {string} id @param {Uint8Array} immutable the header's immutable part
 */
export function blockContext(kind, id, immutable) {
  const label = encoder.encode('enveil/v1/stream-kek');
  const named = new Uint8Array([KINDS[kind], ...encoder.encode(id)]);
  const out = new Uint8Array(label.length + 4 + named.length + 4 + immutable.length);
  const view = new DataView(out.buffer);
  out.set(label);
  let at = label.length;
  view.setUint32(at, named.length);
  out.set(named, at + 4);
  at += 4 + named.length;
  view.setUint32(at, immutable.length);
  out.set(immutable, at + 4);
  return out;
}
