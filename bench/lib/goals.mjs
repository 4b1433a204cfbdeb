// The goals of issue 6 (and issue 14's store bound), judged on the figures of one run.
import { millis, ratio } from './format.mjs';

const KIB = 1024;

/**
 * @typedef {object} GoalResult
 * @property {string} label
 * @property {'PASS' | 'MISS' | 'NOT MEASURED'} status
 * @property {number} [value] the measured ratio, KiB or ms
 * @property {string} line as printed
 */

/**
 * One figure of a throughput table, or undefined when it was not measured.
 * @param {Record<string, any>} tables keyed by table id
 * @param {string} id
 * @param {string} group
 * @param {string} key
 */
function figure(tables, id, group, key) {
  return tables[id]?.groups?.find((/** @type {any} */ g) => g.label === group)?.figures?.[key];
}

/**
 * A ratio goal between two figures: `a / b ≥ min`.
 * @param {Record<string, any>} tables
 * @param {{ label: string, id: string, group: string, a: string, b: string, min: number, unit?: 'ops' | 'MB', goal?: string, missing?: string }} g
 * @returns {GoalResult}
 */
function ratioGoal(tables, g) {
  const a = figure(tables, g.id, g.group, g.a);
  const b = figure(tables, g.id, g.group, g.b);
  if (!a || !b) {
    const reason = g.missing ?? (tables[g.id] ? `table '${g.id}' has no ${!a ? g.a : g.b} figure at ${g.group}` : `table '${g.id}' not run or failed`);
    return { label: g.label, status: 'NOT MEASURED', line: `${g.label}: not measured: ${reason}` };
  }
  // Both figures come from the same rounds (the contenders take turns), so
  // the ratio is taken round by round and its median judged: a slow spell
  // of the machine hits both sides of a round alike. MB/s and ops/s ratios
  // are the same number (same bytes per operation).
  const rounds = paired(a.samples, b.samples);
  const value = rounds.length > 0 ? median(rounds) : a.opsPerSec / b.opsPerSec;
  const status = value >= g.min ? 'PASS' : 'MISS';
  const unit = g.unit === 'MB' ? ' MB/s' : ' ops/s';
  const range = rounds.length > 1 ? `, rounds ${ratio(Math.min(...rounds))}–${ratio(Math.max(...rounds))}` : '';
  return { label: g.label, status, value, line: `${g.label}: ${ratio(value)}${unit}${range} (goal ${g.goal ?? `≥ ${g.min}×`}) ${status}` };
}

/**
 * Round-by-round ratios a[i] / b[i] (empty when the runs do not pair up).
 * @param {number[] | undefined} a
 * @param {number[] | undefined} b
 * @returns {number[]}
 */
function paired(a, b) {
  if (!a || !b || a.length !== b.length) return [];
  return a.map((x, i) => x / /** @type {number} */ (b[i]));
}

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 ? /** @type {number} */ (s[mid]) : (/** @type {number} */ (s[mid - 1]) + /** @type {number} */ (s[mid])) / 2;
}

/**
 * An upper bound on a measured amount.
 * @param {string} label
 * @param {number | undefined} value
 * @param {number} max
 * @param {(v: number) => string} show
 * @param {string} goal
 * @param {string} [extra] printed after the value
 * @returns {GoalResult}
 */
function boundGoal(label, value, max, show, goal, extra = '') {
  if (value === undefined) return { label, status: 'NOT MEASURED', line: `${label}: not measured: table 'module' not run or failed` };
  const status = value <= max ? 'PASS' : 'MISS';
  return { label, status, value, line: `${label}: ${show(value)}${extra} (goal ${goal}) ${status}` };
}

/**
 * Every goal of the issue, judged on `tables` (the JSON of one run).
 * @param {Record<string, any>} tables keyed by table id
 * @returns {GoalResult[]}
 */
export function judgeGoals(tables) {
  const chacha = tables.seal?.chacha;
  const cold = tables.module?.cold?.enveil;
  return [
    ratioGoal(tables, { label: 'record encrypt 1 KiB vs WebCrypto AES-GCM (awaited)', id: 'seal', group: '1 KiB', a: 'record', b: 'webcrypto', min: 3 }),
    ratioGoal(tables, { label: 'record encrypt 1 KiB vs @noble/ciphers gcm', id: 'seal', group: '1 KiB', a: 'record', b: 'noble', min: 2.5 }),
    ratioGoal(tables, { label: 'hazmat AES-256-GCM seal 64 KiB vs @noble/ciphers gcm', id: 'seal', group: '64 KiB', a: 'hazmat', b: 'noble', min: 1.8, unit: 'MB' }),
    ratioGoal(tables, { label: 'hazmat AES-256-GCM open 64 KiB vs @noble/ciphers gcm', id: 'open', group: '64 KiB', a: 'hazmat', b: 'noble', min: 1.8, unit: 'MB' }),
    // Like for like: hash-wasm's figure reuses one HMAC object (its key
    // pads), so enveil's reuses one HmacSha256Key; the one-shot
    // hmacSha256(key, msg), which derives the pads on every call, follows.
    ratioGoal(tables, { label: 'HMAC-SHA256 1 KiB, key reused (HmacSha256Key) vs hash-wasm reused HMAC', id: 'hmac', group: '1 KiB', a: 'hazmat-key', b: 'hash-wasm', min: 1 }),
    ratioGoal(tables, { label: 'HMAC-SHA256 64 KiB, key reused (HmacSha256Key) vs hash-wasm reused HMAC', id: 'hmac', group: '64 KiB', a: 'hazmat-key', b: 'hash-wasm', min: 1 }),
    ratioGoal(tables, { label: 'HMAC-SHA256 1 KiB, one-shot hmacSha256 vs hash-wasm reused HMAC', id: 'hmac', group: '1 KiB', a: 'hazmat', b: 'hash-wasm', min: 1 }),
    ratioGoal(tables, { label: 'HMAC-SHA256 64 KiB, one-shot hmacSha256 vs hash-wasm reused HMAC', id: 'hmac', group: '64 KiB', a: 'hazmat', b: 'hash-wasm', min: 1 }),
    ratioGoal(tables, { label: 'blind index (32-byte value) vs hash-wasm HMAC-SHA256 of 32 B', id: 'blind-index', group: '32 B value', a: 'blindIndex', b: 'hash-wasm', min: 1 }),
    ratioGoal(tables, {
      label: 'record encrypt 1 KiB, suite 0x02 vs libsodium XChaCha20-Poly1305', id: 'seal', group: '1 KiB', a: 'record-chacha', b: 'libsodium', min: 1,
      missing: chacha && !chacha.available ? 'suite 0x02 not available' : undefined,
    }),
    ratioGoal(tables, {
      label: 'EncryptedStore.put 1 KiB vs plain idb put (fake-indexeddb)', id: 'store', group: 'put', a: 'enveil', b: 'idb', min: 1 / 1.5, goal: '≥ 0.67×, i.e. within 1.5×',
    }),
    ratioGoal(tables, {
      label: 'EncryptedStore.put 1 KiB vs plain idb put (Chromium IndexedDB)', id: 'store-browser', group: 'put', a: 'enveil', b: 'idb', min: 1 / 1.5, goal: '≥ 0.67×, i.e. within 1.5×',
      missing: tables['store-browser']?.skipped?.[0]?.reason,
    }),
    // Issue 14 holds store format 2 (records authenticated whole, the
    // manifest version checked in each write) to the same bound, put and get.
    ratioGoal(tables, {
      label: 'EncryptedStore.get 1 KiB vs plain idb get (Chromium IndexedDB)', id: 'store-browser', group: 'get', a: 'enveil', b: 'idb', min: 1 / 1.5, goal: '≥ 0.67×, i.e. within 1.5×',
      missing: tables['store-browser']?.skipped?.[0]?.reason,
    }),
    boundGoal('shipped module (dist/enveil.wasm.js) gzip', tables.module && tables.module.size.dist.gzipBytes / KIB, 60,
      (v) => `${v.toFixed(1)} KiB`, '≤ 60 KiB'),
    boundGoal('cold import + init() in Node', cold?.totalMs, 10, (v) => `${millis(v)} ms`, '≤ 10 ms',
      cold ? ` (init() alone ${millis(cold.initMs)} ms)` : ''),
  ];
}
