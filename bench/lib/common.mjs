// Helpers shared by the table modules (they run in the child processes).
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { measureSideBySide } from './measure.mjs';

/**
 * The checkout named by BENCH_BASELINE (a directory holding js/ and a built
 * dist/, e.g. a `git worktree` of an older commit), which the store tables
 * measure beside this tree in the same rounds; null when unset.
 * @returns {{ dir: string, entry: string, label: string } | null}
 */
export function baselineCheckout() {
  const dir = process.env.BENCH_BASELINE;
  if (!dir) return null;
  const entry = path.resolve(dir, 'js/index.js');
  if (!existsSync(entry) || !existsSync(path.resolve(dir, 'dist/enveil.wasm.js'))) {
    throw new Error(`BENCH_BASELINE=${dir} holds no js/index.js and built dist/enveil.wasm.js`);
  }
  let label = path.basename(path.resolve(dir));
  try {
    label = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout: its directory name
  }
  return { dir: path.resolve(dir), entry, label };
}

/** The payload sizes of the throughput tables. */
export const SIZES = [
  { label: '32 B', bytes: 32 },
  { label: '1 KiB', bytes: 1024 },
  { label: '64 KiB', bytes: 64 * 1024 },
  { label: '1 MiB', bytes: 1024 * 1024 },
];

/**
 * `n` random bytes (inputs only: any source will do).
 * @param {number} n
 * @returns {Uint8Array}
 */
export function bytes(n) {
  return randomFillSync(new Uint8Array(n));
}

/**
 * Byte-wise equality of two views.
 * @param {ArrayBufferView | ArrayBuffer} a
 * @param {ArrayBufferView | ArrayBuffer} b
 * @returns {boolean}
 */
export function sameBytes(a, b) {
  const x = toBytes(a);
  const y = toBytes(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * @param {ArrayBufferView | ArrayBuffer} v
 * @returns {Uint8Array}
 */
function toBytes(v) {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * Throws when a contender gave a wrong answer: a benchmark of broken code
 * measures nothing.
 * @param {boolean} ok
 * @param {string} what
 */
export function check(ok, what) {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

/**
 * Progress on stderr (the parent passes it through; stdout is the JSON).
 * @param {string} text
 */
export function progress(text) {
  process.stderr.write(text);
}

/**
 * @typedef {object} Contender
 * @property {string} key
 * @property {string} label
 * @property {boolean} [enveil] an enveil path (gets a ratio column)
 * @property {boolean} [async] awaited per operation
 */

/**
 * Measures every contender on every group, side by side.
 * @template {Contender} C
 * @param {Array<{ label: string, bytes: number }>} groups
 * @param {C[]} contenders
 * @param {(contender: C, group: { label: string, bytes: number }) => Promise<() => unknown>} makeOp
 *   builds (and self-checks) one contender's operation for a group
 * @returns {Promise<Array<{ label: string, bytes: number, figures: Record<string, import('./measure.mjs').Figure> }>>}
 */
export async function measureGroups(groups, contenders, makeOp) {
  const out = [];
  for (const group of groups) {
    progress(` ${group.label}`);
    const ops = [];
    for (const c of contenders) ops.push({ key: c.key, async: c.async, fn: await makeOp(c, group) });
    out.push({ label: group.label, bytes: group.bytes, figures: await measureSideBySide(ops, { bytes: group.bytes }) });
  }
  return out;
}

/**
 * The public description of contenders (no functions) for the JSON.
 * @param {Contender[]} contenders
 */
export function describe(contenders) {
  return contenders.map(({ key, label, enveil = false, async = false }) => ({ key, label, enveil, async }));
}
