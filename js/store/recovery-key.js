// Recovery keys as people copy them: 256 random bits and an 8-bit checksum in
// Crockford base32 (no I, L, O or U; those are read as 1, 1, 0 and V), shown
// in groups of four. A typo is caught by the checksum before any unwrap.
import { EnveilError } from '../errors.js';
import { hmacSha256 } from '../hazmat.js';
import { limits } from '../internal/limits.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CHECK_LABEL = new TextEncoder().encode('enveil/v1/recovery-check');

/** The key, then one checksum byte; and how many symbols spell them. */
function layout() {
  const keyBytes = limits().KEY_BYTES;
  return { keyBytes, bytes: keyBytes + 1, symbols: Math.ceil(((keyBytes + 1) * 8) / 5) };
}

/** @param {Uint8Array} key a store key (KEY_BYTES) */
function checksum(key) {
  return hmacSha256(CHECK_LABEL, key)[0];
}

/**
 * @param {Uint8Array} key KEY_BYTES (32)
 * @returns {string} 53 symbols in groups of four, e.g. "7K2Q-…"
 */
export function formatRecoveryKey(key) {
  const { keyBytes, bytes: length } = layout();
  const bytes = new Uint8Array(length);
  bytes.set(key);
  bytes[keyBytes] = checksum(key);
  let bits = 0, value = 0, out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  bytes.fill(0);
  return /** @type {string[]} */ (out.match(/.{1,4}/g)).join('-');
}

/**
 * @param {unknown} text
 * @returns {Uint8Array} the key (KEY_BYTES)
 */
export function parseRecoveryKey(text) {
  if (typeof text !== 'string') {
    throw new EnveilError('INVALID_ARGUMENT', 'recoveryKey must be a string');
  }
  const { keyBytes, bytes: length, symbols: count } = layout();
  const symbols = text.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0').replace(/U/g, 'V');
  if (symbols.length !== count || /[^0-9A-Z]/.test(symbols)) {
    throw new EnveilError('INVALID_ARGUMENT', `recoveryKey must be ${count} characters of Crockford base32 (dashes and spaces ignored)`);
  }
  const bytes = new Uint8Array(length);
  let bits = 0, value = 0, at = 0;
  for (const c of symbols) {
    value = (value << 5) | ALPHABET.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bytes[at++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
      value &= (1 << bits) - 1;
    }
  }
  const key = bytes.slice(0, keyBytes);
  const ok = checksum(key) === bytes[keyBytes];
  bytes.fill(0);
  if (!ok) {
    key.fill(0);
    throw new EnveilError('INVALID_ARGUMENT', 'recoveryKey has a typo (its checksum does not match)');
  }
  return key;
}
