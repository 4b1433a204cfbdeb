const t0 = performance.now(); // the clock starts at the script's first line (issue 20)
// One cold start, in a fresh process: `node bench/cold-init.mjs <library>`
// times the dynamic import and the library's own initialisation and prints
// { importMs, initMs, totalMs } as JSON. Nothing is imported statically, so
// nothing of the library is loaded before the clock starts.

/** @type {Record<string, () => Promise<unknown>>} */
const LIBRARIES = {
  // The package entries as an app imports them (in Node: the dist/node bundle).
  enveil: async () => (await import('enveil')).init,
  'enveil/hazmat': async () => (await import('enveil/hazmat')).init,
  // The same code as separate source files (what a bundler starts from).
  'enveil (js/ files)': async () => (await import('../js/index.js')).init,
  'libsodium-wrappers': async () => {
    const sodium = (await import('libsodium-wrappers')).default;
    return () => sodium.ready;
  },
  'hash-wasm': async () => {
    const { createSHA256 } = await import('hash-wasm');
    return () => createSHA256();
  },
};

const name = process.argv[2];
const load = LIBRARIES[name];
if (!load) {
  process.stderr.write(`usage: node bench/cold-init.mjs ${Object.keys(LIBRARIES).join('|')}\n`);
  process.exit(2);
}
const start = /** @type {() => Promise<unknown>} */ (await load());
const t1 = performance.now();
await start();
const t2 = performance.now();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, initMs: t2 - t1, totalMs: t2 - t0 }));
