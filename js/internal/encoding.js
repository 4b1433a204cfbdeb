// Byte encodings shared by the store and the providers.
import { EnveilError } from '../errors.js';

const encoder = new TextEncoder();

/**
 * Unambiguous concatenation: a label, then each part as u32 BE length ‖ bytes.
 * @param {string} label
 * @param {Array<string | Uint8Array>} parts
 * @returns {Uint8Array}
 */
export function labelled(label, ...parts) {
  /** @type {Uint8Array[]} */
  const chunks = [encoder.encode(label)];
  for (const part of parts) {
    const bytes = typeof part === 'string' ? encoder.encode(part) : part;
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, bytes.length);
    chunks.push(len, bytes);
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** @param {Uint8Array} bytes */
export function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * @param {unknown} text
 * @param {string} name
 * @returns {Uint8Array}
 */
export function fromBase64(text, name) {
  if (typeof text !== 'string') throw new EnveilError('KEY_UNAVAILABLE', `${name} is not a base64 string`);
  try {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    throw new EnveilError('KEY_UNAVAILABLE', `${name} is not valid base64`);
  }
}

/** @param {Uint8Array} bytes */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Overwrites a JS copy of a secret once it has been handed to WASM. @param {Uint8Array | undefined | null} bytes */
export function wipe(bytes) {
  // The original fill: a subclass's own could skip the wipe.
  if (bytes) Uint8Array.prototype.fill.call(bytes, 0);
}

/**
 * Whether two strings are equal, in time that depends only on their lengths
 * (for MACs and tags: no early exit at the first differing character).
 * @param {string} a
 * @param {string} b
 */
export function equalInConstantTime(a, b) {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i % (a.length || 1)) ^ b.charCodeAt(i % (b.length || 1)));
  return diff === 0;
}
