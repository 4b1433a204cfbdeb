// Bundled by bench/tables/store-browser.mjs and run in Chromium: the store
// table's workload over the browser's own IndexedDB.
import { measureStore } from '../lib/store-ops.mjs';

/** @type {any} */ (window).runStoreBench = async () => {
  // A fresh pair of databases per run of the table.
  const prefix = `bench-${Date.now()}`;
  return measureStore({ prefix });
};
/** @type {any} */ (window).benchReady = true;
