// A worker thread holding one WASM build of enveil (bench/tables/builds.mjs
// starts one per build): it answers { id, call, args } with { id, value }
// or { id, error }, calling bench/lib/build-ops.mjs.
import { parentPort } from 'node:worker_threads';
import { calibrateOp, loadBuild, prepareOp, timeOp } from './build-ops.mjs';

/** @type {Record<string, (...args: any[]) => Promise<unknown>>} */
const CALLS = { loadBuild, prepareOp, calibrateOp, timeOp };

parentPort?.on('message', async (/** @type {{ id: number, call: string, args: unknown[] }} */ { id, call, args }) => {
  try {
    parentPort?.postMessage({ id, value: await CALLS[call](...args) });
  } catch (err) {
    parentPort?.postMessage({ id, error: String(/** @type {Error} */ (err)?.stack ?? err) });
  }
});
