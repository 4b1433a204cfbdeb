// The bench page, bundled by bench/lib/browsers.mjs and run in Chromium and
// WebKitGTK: the same in-page code for both browsers. Each function is
// called by a table through the browser's automation and returns JSON.
import * as baselineModule from 'enveil-baseline';
import { gcmContenders, measureAead, describeAead } from '../lib/aead-ops.mjs';
import { measureStore } from '../lib/store-ops.mjs';
import { measureRotation } from '../lib/rotation-ops.mjs';
import { calibrateOp, loadBuild, prepareOp, timeOp } from '../lib/build-ops.mjs';

/** @type {Record<string, (...args: any[]) => Promise<unknown>>} */
const BUILD_CALLS = { loadBuild, prepareOp, calibrateOp, timeOp };

/** Set by the bundler: the BENCH_BASELINE checkout's label, or null. */
const baselineLabel = /** @type {string | null} */ (BENCH_BASELINE_LABEL);
/** A fresh set of databases per call. */
const prefix = () => `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** @type {any} */ (window).bench = {
  /** The store workload over this browser's IndexedDB. */
  async store() {
    const baseline = baselineLabel === null ? null : { label: baselineLabel, module: /** @type {any} */ (baselineModule) };
    return measureStore({ prefix: prefix(), baseline });
  },

  /**
   * AES-256-GCM: the sync record and hazmat calls against one awaited
   * WebCrypto call and @noble/ciphers; WebCrypto is the byte-for-byte reference.
   * @param {Array<{ direction: 'seal' | 'open', bytes: number }>} groups
   */
  async aead(groups) {
    const { contenders, build } = await gcmContenders();
    const web = /** @type {import('../lib/aead-ops.mjs').AeadContender} */ (contenders.find((c) => c.key === 'webcrypto'));
    const reference = async (/** @type {Uint8Array} */ pt) => new Uint8Array(/** @type {ArrayBuffer} */ (await web.seal(pt)()));
    return { contenders: describeAead(contenders), build, groups: await measureAead(contenders, groups, reference) };
  },

  /** @param {{ records: number, rounds: number }} options */
  rotation(options) {
    return measureRotation({ ...options, prefix: prefix() });
  },

  /**
   * One WASM build in this page (bench/tables/builds.mjs drives two pages).
   * @param {string} name a bench/lib/build-ops.mjs function
   * @param {...unknown} args
   */
  build(name, ...args) {
    return BUILD_CALLS[name](...args);
  },
};
/** @type {any} */ (window).benchReady = true;
