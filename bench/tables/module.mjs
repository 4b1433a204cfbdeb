// Table (e): the size of the shipped module and the cold init() time.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { median } from '../lib/measure.mjs';
import { progress } from '../lib/common.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = `${ROOT}dist/enveil.wasm.js`;
const COLD_INIT = fileURLToPath(new URL('../cold-init.mjs', import.meta.url));
/** Fresh processes per library (BENCH_COLD_RUNS overrides). */
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 9);
/** enveil is the package entry; enveil/hazmat shows the share of the API wrapper; the js/ files row what the Node bundle saves. */
const LIBRARIES = ['enveil', 'enveil/hazmat', 'enveil (js/ files)', 'libsodium-wrappers', 'hash-wasm'];

/**
 * Raw and gzip (level 9) sizes.
 * @param {Uint8Array} data
 */
function sizes(data) {
  return { rawBytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
}

/**
 * The WASM binary embedded in the Emscripten glue as a base64 data URL.
 * @param {string} glue
 * @returns {Buffer}
 */
function embeddedWasm(glue) {
  const match = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)/.exec(glue);
  if (!match) throw new Error('no base64 WASM data URL found in dist/enveil.wasm.js');
  const wasm = Buffer.from(match[1], 'base64');
  if (wasm.readUInt32BE(0) !== 0x0061736d) throw new Error('the embedded data URL is not a WASM module');
  return wasm;
}

/**
 * Every .js file under `dir`, recursively.
 * @param {string} dir
 * @returns {string[]}
 */
function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => `${e.parentPath ?? e.path}/${e.name}`)
    .sort();
}

/**
 * One cold start of `library` in a fresh Node process.
 * @param {string} library
 * @returns {{ importMs: number, initMs: number, totalMs: number }}
 */
function coldStart(library) {
  return JSON.parse(execFileSync(process.execPath, [COLD_INIT, library], { cwd: ROOT, encoding: 'utf8' }));
}

/** Table (e). */
export async function moduleTable() {
  const glue = readFileSync(DIST);
  const wrapper = jsFiles(`${ROOT}js`);
  const size = {
    wasm: sizes(embeddedWasm(glue.toString('latin1'))),
    dist: sizes(glue),
    wrapper: { files: wrapper.length, ...sizes(Buffer.concat(wrapper.map((f) => readFileSync(f)))) },
  };

  progress(' cold starts');
  /** @type {Record<string, Array<{ importMs: number, initMs: number, totalMs: number }>>} */
  const runs = Object.fromEntries(LIBRARIES.map((l) => [l, []]));
  for (const library of LIBRARIES) coldStart(library); // disk cache, untimed
  for (let r = 0; r < COLD_RUNS; r++) {
    for (const library of LIBRARIES) runs[library].push(coldStart(library));
  }
  const cold = Object.fromEntries(LIBRARIES.map((library) => {
    const rs = runs[library];
    return [library, {
      importMs: median(rs.map((x) => x.importMs)),
      initMs: median(rs.map((x) => x.initMs)),
      totalMs: median(rs.map((x) => x.totalMs)),
      samples: rs,
    }];
  }));
  return {
    kind: 'module',
    size,
    cold,
    coldRuns: COLD_RUNS,
    notes: [
      'dist/enveil.wasm.js is the shipped module: the Emscripten JS glue with the WASM embedded as base64. js/ (the API wrapper) is shown concatenated.',
      `Cold start: median of ${COLD_RUNS} fresh Node processes each, interleaved; await import() of the library, then its init (enveil init(), await sodium.ready, the first createSHA256()). enveil imports the package entry (store, vault and all; in Node the exports map gives dist/node/, the bundle npm run build makes), enveil/hazmat only the primitives; "enveil (js/ files)" imports the same code as its 14 source files.`,
    ],
  };
}
