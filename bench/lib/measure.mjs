// Timing: every contender of a group is warmed up and calibrated on its own,
// then the timed runs go round-robin (run 1 of each, run 2 of each, ...) so
// that a slow spell of the machine hits all of them alike. A figure is the
// median of the runs.

/** Timed runs per figure (BENCH_RUNS overrides). */
export const RUNS = Number(process.env.BENCH_RUNS ?? 9);
/** Target length of one timed run in ms (BENCH_RUN_MS overrides). */
export const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 150);
/** Warm-up per contender and group in ms (BENCH_WARMUP_MS overrides). */
export const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 200);
/** Never fewer operations than this in one timed run. */
const MIN_OPS = 2;

/**
 * @typedef {object} Operation
 * @property {string} key identifies the contender
 * @property {() => unknown} fn one operation; returns a promise when `async`
 * @property {boolean} [async] awaited per operation
 */

/**
 * @typedef {object} Figure
 * @property {number} opsPerSec median over the runs
 * @property {number} mbPerSec opsPerSec × bytes / 10^6
 * @property {number} iterations operations per timed run
 * @property {number[]} samples ops/s of every run, in run order
 * @property {number} spread (max − min) / median of the samples
 */

/** Keeps results alive so no engine can drop the work. */
let sink;

/**
 * Runs `fn` `n` times and returns the elapsed milliseconds.
 * @param {Operation} op
 * @param {number} n
 * @returns {Promise<number>}
 */
export async function timeBatch(op, n) {
  const { fn } = op;
  const t0 = performance.now();
  if (op.async) {
    for (let i = 0; i < n; i++) sink = await fn();
  } else {
    for (let i = 0; i < n; i++) sink = fn();
  }
  return performance.now() - t0;
}

/**
 * Warms `op` up for about `warmupMs` and returns how many operations fill
 * one timed run of `runMs`.
 * @param {Operation} op
 * @param {number} warmupMs
 * @param {number} runMs
 * @returns {Promise<number>}
 */
export async function calibrate(op, warmupMs, runMs) {
  let n = 1;
  let spent = 0;
  let perOp = Infinity;
  while (spent < warmupMs) {
    const ms = await timeBatch(op, n);
    spent += ms;
    perOp = ms / n;
    if (ms < warmupMs / 8) n *= 2;
  }
  return Math.max(MIN_OPS, Math.ceil(runMs / Math.max(perOp, 1e-6)));
}

/**
 * The median of a non-empty list.
 * @param {number[]} values
 * @returns {number}
 */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * A contender that times itself, wherever it runs (this thread, a worker, a
 * browser page): the rounds are driven from here.
 * @typedef {object} Runner
 * @property {string} key identifies the contender
 * @property {() => Promise<number>} calibrate warms up; returns the operations of one timed run
 * @property {(n: number) => Promise<number>} time runs n operations; returns the elapsed ms
 */

/**
 * Measures runners side by side: each calibrates on its own, then the
 * timed runs go round-robin.
 * @param {Runner[]} runners
 * @param {{ bytes: number, runs?: number }} options bytes: payload bytes per operation (for MB/s)
 * @returns {Promise<Record<string, Figure>>} keyed by Runner.key
 */
export async function measureRunners(runners, { bytes, runs = RUNS }) {
  /** @type {Map<string, number>} */
  const iterations = new Map();
  for (const r of runners) iterations.set(r.key, await r.calibrate());
  /** @type {Map<string, number[]>} */
  const samples = new Map(runners.map((r) => [r.key, []]));
  for (let round = 0; round < runs; round++) {
    for (const r of runners) {
      const n = /** @type {number} */ (iterations.get(r.key));
      const ms = await r.time(n);
      samples.get(r.key)?.push((n * 1000) / ms);
    }
  }
  /** @type {Record<string, Figure>} */
  const figures = {};
  for (const r of runners) {
    const s = /** @type {number[]} */ (samples.get(r.key));
    const opsPerSec = median(s);
    figures[r.key] = {
      opsPerSec,
      mbPerSec: (opsPerSec * bytes) / 1e6,
      iterations: /** @type {number} */ (iterations.get(r.key)),
      samples: s,
      spread: (Math.max(...s) - Math.min(...s)) / opsPerSec,
    };
  }
  return figures;
}

/**
 * Measures several operations side by side on the same input size.
 * @param {Operation[]} ops
 * @param {{ bytes: number, runs?: number, runMs?: number, warmupMs?: number }} options
 *   bytes: payload bytes per operation (for MB/s)
 * @returns {Promise<Record<string, Figure>>} keyed by Operation.key
 */
export async function measureSideBySide(ops, { bytes, runs = RUNS, runMs = RUN_MS, warmupMs = WARMUP_MS }) {
  globalThis.gc?.();
  const figures = await measureRunners(ops.map((op) => ({
    key: op.key,
    calibrate: () => calibrate(op, warmupMs, runMs),
    time: (n) => timeBatch(op, n),
  })), { bytes, runs });
  void sink;
  return figures;
}
