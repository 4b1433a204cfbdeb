// The AES-256-GCM contenders every platform has: enveil's hazmat call and
// record format, WebCrypto (awaited) and @noble/ciphers. Browser-safe (no
// node: imports): the Node tables (a, b) add node:crypto to them, and
// bench/browser/page.mjs measures them in Chromium and WebKitGTK.
//
// The raw primitives run with one fixed key and nonce and no AAD: a
// benchmark only, never do this with real data. The record format draws
// its own salt and derives the message key, nonce and commitment on every
// call.
import { gcm } from '@noble/ciphers/aes.js';
import { init, Keyring } from '../../js/index.js';
import { aes256gcmOpen, aes256gcmSeal } from '../../js/hazmat.js';
import { measureSideBySide } from './measure.mjs';

/** The context every record is bound to, as a store would pass it. */
export const CONTEXT = 'contacts/1/email';
const TAG = 16;

/**
 * @typedef {object} AeadContender
 * @property {string} key
 * @property {string} label
 * @property {boolean} [enveil] an enveil path (gets a ratio column)
 * @property {boolean} [async] awaited per operation
 * @property {boolean} [raw] the raw primitive under the fixed key and nonce: its output must equal the reference's
 * @property {(pt: Uint8Array) => () => unknown} seal
 * @property {(sealed: Uint8Array) => () => unknown} open
 */

/**
 * `n` random bytes (inputs only). getRandomValues fills 64 KiB at most per call.
 * @param {number} n
 */
export function randomInput(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/**
 * @param {ArrayBuffer | ArrayBufferView} v
 * @returns {Uint8Array}
 */
export function asBytes(v) {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * @param {ArrayBuffer | ArrayBufferView} a
 * @param {ArrayBuffer | ArrayBufferView} b
 */
export function sameBytes(a, b) {
  const x = asBytes(a);
  const y = asBytes(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * @param {boolean} ok
 * @param {string} what
 */
export function check(ok, what) {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

/**
 * Which WASM build init() loaded, in words (a tree whose init() answers
 * nothing has one build).
 * @param {unknown} build what init() resolved to
 */
export function buildName(build) {
  const simd = /** @type {{ simd?: unknown } | undefined} */ (build)?.simd;
  return simd === true ? 'the SIMD build' : simd === false ? 'the baseline build' : 'its one build';
}

/**
 * The AES-256-GCM contenders, one fixed key and nonce for the raw ones.
 * @returns {Promise<{ contenders: AeadContender[], key: Uint8Array, nonce: Uint8Array, build: string }>}
 */
export async function gcmContenders() {
  const build = buildName(await init());
  const key = randomInput(32);
  const nonce = randomInput(12);
  const ring = Keyring.create({ kek: randomInput(32) });
  const webKey = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const webParams = { name: 'AES-GCM', iv: nonce };
  /** @type {AeadContender[]} */
  const contenders = [
    {
      key: 'hazmat', label: 'enveil hazmat', enveil: true, raw: true,
      seal: (pt) => () => aes256gcmSeal(key, nonce, pt),
      open: (s) => () => aes256gcmOpen(key, nonce, s),
    },
    {
      key: 'record', label: 'enveil record (Keyring, sync)', enveil: true,
      seal: (pt) => () => ring.encrypt(pt, CONTEXT),
      open: (s) => () => ring.decrypt(s, CONTEXT),
    },
    {
      key: 'webcrypto', label: 'WebCrypto AES-GCM (one awaited call)', raw: true, async: true,
      seal: (pt) => () => crypto.subtle.encrypt(webParams, webKey, pt),
      open: (s) => () => crypto.subtle.decrypt(webParams, webKey, s),
    },
    {
      key: 'noble', label: '@noble/ciphers gcm', raw: true,
      seal: (pt) => () => gcm(key, nonce).encrypt(pt),
      open: (s) => () => gcm(key, nonce).decrypt(s),
    },
  ];
  return { contenders, key, nonce, build };
}

/**
 * Seals `pt` with `c` and checks the result: a raw contender must
 * agree with `reference` byte for byte, and every contender must open its
 * own output back to `pt`.
 * @param {AeadContender} c
 * @param {Uint8Array} pt
 * @param {(pt: Uint8Array) => Promise<Uint8Array>} reference the same GCM seal from an independent implementation
 * @returns {Promise<Uint8Array>} the sealed bytes
 */
export async function sealChecked(c, pt, reference) {
  const sealed = asBytes(/** @type {ArrayBuffer | Uint8Array} */ (await c.seal(pt)()));
  if (c.raw) check(sameBytes(sealed, await reference(pt)), `${c.label} seal differs from the reference at ${pt.length} B`);
  check(sealed.length >= pt.length + TAG, `${c.label} sealed output too short at ${pt.length} B`);
  const opened = /** @type {ArrayBuffer | Uint8Array} */ (await c.open(sealed)());
  check(sameBytes(opened, pt), `${c.label} does not open its own output at ${pt.length} B`);
  return sealed;
}

/**
 * Measures `contenders` on each of `groups` ({ direction, bytes }), side by
 * side, after checking each. Group labels: "seal 1 KiB", "open 64 KiB", …
 * @param {AeadContender[]} contenders
 * @param {Array<{ direction: 'seal' | 'open', bytes: number }>} groups
 * @param {(pt: Uint8Array) => Promise<Uint8Array>} reference
 * @param {(text: string) => void} [progress]
 */
export async function measureAead(contenders, groups, reference, progress = () => {}) {
  const out = [];
  for (const { direction, bytes } of groups) {
    const label = `${direction} ${sizeLabel(bytes)}`;
    progress(` ${label}`);
    const pt = randomInput(bytes);
    const ops = [];
    for (const c of contenders) {
      const sealed = await sealChecked(c, pt, reference);
      ops.push({ key: c.key, async: c.async, fn: direction === 'seal' ? c.seal(pt) : c.open(sealed) });
    }
    out.push({ label, bytes, figures: await measureSideBySide(ops, { bytes }) });
  }
  return out;
}

/**
 * "32 B", "1 KiB", "64 KiB", "1 MiB".
 * @param {number} n
 */
export function sizeLabel(n) {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n >> 10} KiB`;
  return `${n} B`;
}

/**
 * The public description of contenders (no functions) for the JSON.
 * @param {AeadContender[]} contenders
 */
export function describeAead(contenders) {
  return contenders.map(({ key, label, enveil = false, async = false }) => ({ key, label, enveil, async }));
}
