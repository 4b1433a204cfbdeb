// Table (e): the size of the shipped module and the cold init() time.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync, inflateSync } from 'node:zlib';
import { median } from '../lib/measure.mjs';
import { progress } from '../lib/common.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COLD_INIT = fileURLToPath(new URL('../cold-init.mjs', import.meta.url));
/** Fresh processes per library (BENCH_COLD_RUNS overrides). */
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 9);
/** enveil is the package entry; enveil/hazmat shows the share of the API wrapper; the js/ files row what the Node bundle saves. */
const LIBRARIES = ['enveil', 'enveil/hazmat', 'enveil (js/ files)', 'libsodium-wrappers', 'hash-wasm'];
/** The shipped module: the WASM builds and their glue, whatever the layout. */
const MODULE_FILE = /^dist\/enveil[^/]*\.wasm\.js$/;

/**
 * Raw and gzip (level 9) sizes.
 * @param {Uint8Array} data
 */
function sizes(data) {
  return { rawBytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
}

/**
 * The WASM binaries a file carries: base64 data URLs (Emscripten's
 * SINGLE_FILE glue) or long base64 string literals of a WASM module, raw or
 * zlib-compressed (the payload modules). Only for the table: the goal is
 * the files' own gzip size.
 * @param {string} text
 * @returns {Array<{ wasm: Buffer, zlib: boolean }>}
 */
function embeddedWasm(text) {
  const isWasm = (/** @type {Buffer} */ b) => b.length > 8 && b.readUInt32BE(0) === 0x0061736d;
  return [...text.matchAll(/(?:data:application\/(?:octet-stream|wasm);base64,|['"`])([A-Za-z0-9+/=]{1024,})/g)].flatMap((m) => {
    const bytes = Buffer.from(m[1], 'base64');
    if (isWasm(bytes)) return [{ wasm: bytes, zlib: false }];
    try {
      const inflated = inflateSync(bytes);
      return isWasm(inflated) ? [{ wasm: inflated, zlib: true }] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The files the package ships, as `npm pack` lists them (package.json
 * "files", .npmignore and all; no scripts run). Without npm: dist/ files
 * matched against the "files" entries (exact paths, directories, * globs).
 * @returns {{ files: string[], how: string }}
 */
function shippedFiles() {
  try {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { files: JSON.parse(out)[0].files.map((/** @type {{ path: string }} */ f) => f.path), how: 'npm pack --dry-run' };
  } catch {
    const entries = /** @type {string[]} */ (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).files ?? []);
    const patterns = entries.map((e) => {
      const body = e.replace(/[.+?^$()|[\]\\{}]/g, '\\$&').replace(/\*/g, '[^/]*');
      return new RegExp(`^${body}${e.endsWith('/') ? '' : '(/|$)'}`);
    });
    const files = readdirSync(`${ROOT}dist`).map((f) => `dist/${f}`).filter((f) => patterns.some((p) => p.test(f)));
    return { files, how: 'package.json "files" (npm not found)' };
  }
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
  const shipped = shippedFiles();
  const moduleFiles = shipped.files.filter((f) => MODULE_FILE.test(f)).sort();
  if (moduleFiles.length === 0) throw new Error(`the package ships no dist/enveil*.wasm.js (${shipped.how}): build first (bash scripts/build.sh)`);
  const files = moduleFiles.map((file) => {
    const bytes = readFileSync(`${ROOT}${file}`);
    return { file, ...sizes(bytes), wasm: embeddedWasm(bytes.toString('latin1')).map(({ wasm, zlib }) => ({ ...sizes(wasm), zlib })) };
  });
  const wrapper = jsFiles(`${ROOT}js`);
  const size = {
    files,
    // Each file gzipped on its own, as a server or a bundler sends it.
    total: { rawBytes: files.reduce((n, f) => n + f.rawBytes, 0), gzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0) },
    wrapper: { files: wrapper.length, ...sizes(Buffer.concat(wrapper.map((f) => readFileSync(f)))) },
    listedBy: shipped.how,
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
      totalRange: [Math.min(...rs.map((x) => x.totalMs)), Math.max(...rs.map((x) => x.totalMs))],
      samples: rs,
    }];
  }));
  return {
    kind: 'module',
    size,
    cold,
    coldRuns: COLD_RUNS,
    notes: [
      `The shipped module: every dist/enveil*.wasm.js file the package ships (${shipped.how}), the Emscripten glue and the WASM builds embedded as base64, each gzipped on its own; the total is the goal's figure. js/ (the API wrapper) is shown concatenated.`,
      `Cold start: ${COLD_RUNS} fresh Node processes each, interleaved, median and range; the clock starts at the script's first line, then await import() of the library, then its init (enveil init(), await sodium.ready, the first createSHA256()). enveil imports the package entry (store, vault and all; in Node the exports map gives dist/node/, the bundle npm run build makes), enveil/hazmat only the primitives; "enveil (js/ files)" imports the same code as separate source files.`,
    ],
  };
}
