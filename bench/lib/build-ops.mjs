// The two WASM builds side by side (issue 20): init({ simd }) loads one core
// per page or process, so each build runs in its own worker thread (Node)
// or page (Chromium) and times its own batches, while the rounds are driven
// from the table (measureRunners), taking turns as every other table does.
// Browser-safe: bench/browser/page.mjs bundles it, bench/lib/build-worker.mjs
// runs it in Node.
import { init, Keyring } from '../../js/index.js';
import { aes256gcmOpen, aes256gcmSeal, hmacSha256 } from '../../js/hazmat.js';
import { RUN_MS, WARMUP_MS, calibrate, timeBatch } from './measure.mjs';

const KIB = 1024;

/** The operations compared across builds. */
export const BUILD_GROUPS = [
  { label: 'record encrypt 1 KiB', bytes: KIB },
  { label: 'hazmat AES-256-GCM seal 64 KiB', bytes: 64 * KIB },
  { label: 'hazmat AES-256-GCM open 64 KiB', bytes: 64 * KIB },
  { label: 'HMAC-SHA256 64 KiB (one-shot)', bytes: 64 * KIB },
];

/**
 * Deterministic bytes from a seed (xorshift32): both builds get the same
 * key, nonce and input, so their outputs can be compared.
 * @param {number} n
 * @param {number} seed
 */
function seeded(n, seed) {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * SHA-256 of bytes as hex (WebCrypto: independent of the build measured).
 * @param {Uint8Array} bytes
 */
async function digest(bytes) {
  return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** @type {{ simd: boolean } | null} */
let loaded = null;
/** @type {import('./measure.mjs').Operation | null} */
let current = null;

/**
 * Loads the build asked for; refuses when init() does not say it loaded it.
 * @param {boolean} simd
 * @returns {Promise<{ simd: boolean }>}
 */
export async function loadBuild(simd) {
  const build = /** @type {unknown} */ (await /** @type {any} */ (init)({ simd }));
  const got = /** @type {{ simd?: unknown } | undefined} */ (build)?.simd;
  if (got !== simd) throw new Error(`init({ simd: ${simd} }) did not report loading that build (it answered ${JSON.stringify(build)}): this tree's init() takes no build option`);
  loaded = { simd };
  return loaded;
}

/**
 * Builds the operation of `label` on seeded inputs, runs it once and
 * returns what both builds must agree on (a digest of the deterministic
 * output; for a record, which is random, that it opens back).
 * @param {string} label
 * @param {number} seed
 * @returns {Promise<string>}
 */
export async function prepareOp(label, seed) {
  if (!loaded) throw new Error('loadBuild() first');
  const group = BUILD_GROUPS.find((g) => g.label === label);
  if (!group) throw new Error(`unknown build group '${label}'`);
  const key = seeded(32, seed);
  const nonce = seeded(12, seed + 1);
  const input = seeded(group.bytes, seed + 2);
  /** @type {() => Uint8Array} */
  let fn;
  let agreed;
  if (label.startsWith('record')) {
    const ring = Keyring.create({ kek: key });
    fn = () => ring.encrypt(input, 'contacts/1/email');
    const opened = ring.decrypt(fn(), 'contacts/1/email');
    agreed = `opens: ${await digest(opened) === await digest(input)}`;
  } else if (label.includes('seal')) {
    fn = () => aes256gcmSeal(key, nonce, input);
    agreed = await digest(fn());
  } else if (label.includes('open')) {
    const sealed = aes256gcmSeal(key, nonce, input);
    fn = () => aes256gcmOpen(key, nonce, sealed);
    agreed = await digest(fn());
  } else {
    fn = () => hmacSha256(key, input);
    agreed = await digest(fn());
  }
  current = { key: label, fn };
  return agreed;
}

/** Warms the prepared operation up; the operations of one timed run. */
export function calibrateOp() {
  if (!current) throw new Error('prepareOp() first');
  return calibrate(current, WARMUP_MS, RUN_MS);
}

/**
 * Times `n` runs of the prepared operation (ms).
 * @param {number} n
 */
export function timeOp(n) {
  if (!current) throw new Error('prepareOp() first');
  return timeBatch(current, n);
}
