// Bundled by bench/tables/store-browser.mjs and run in Chromium: the store
// table's workload over the browser's own IndexedDB.
import * as baselineModule from 'enveil-baseline';
import { measureStore } from '../lib/store-ops.mjs';

/** Set by the bundler: the BENCH_BASELINE checkout's label, or null. */
const baselineLabel = /** @type {string | null} */ (BENCH_BASELINE_LABEL);

/** @type {any} */ (window).runStoreBench = async () => {
  // A fresh set of databases per run of the table.
  const prefix = `bench-${Date.now()}`;
  const baseline = baselineLabel === null ? null : { label: baselineLabel, module: /** @type {any} */ (baselineModule) };
  return measureStore({ prefix, baseline });
};
/** @type {any} */ (window).benchReady = true;
