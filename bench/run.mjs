// `npm run bench`: runs every table in its own child process, prints them,
// judges the goals of issue 20 on the same figures, prints what the issue
// asks for without a goal, and writes bench/results.json. `npm run bench -- seal hmac` runs only those tables.
// BENCH_RUNS, BENCH_RUN_MS, BENCH_WARMUP_MS and BENCH_COLD_RUNS shorten a
// trial run (see bench/lib/measure.mjs).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { tableLines, ratios } from './lib/format.mjs';
import { judgeGoals, reportWithoutGoal } from './lib/goals.mjs';
import { RUNS, RUN_MS, WARMUP_MS } from './lib/measure.mjs';
import { TABLES } from './lib/tables.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CHILD = fileURLToPath(new URL('table.mjs', import.meta.url));
const RESULTS = fileURLToPath(new URL('results.json', import.meta.url));
const PEERS = ['@noble/ciphers', '@noble/hashes', 'hash-wasm', 'libsodium-wrappers', 'libsodium', 'fake-indexeddb', 'idb'];

/**
 * Runs one table in a fresh Node process and returns its JSON.
 * @param {string} id
 * @returns {Promise<any>}
 */
function runTable(id) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', CHILD, id], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`table '${id}' exited with code ${code}`));
      else resolve(JSON.parse(out));
    });
  });
}

/** The machine, as far as Node can tell. */
function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    arch: os.arch(),
    platform: `${os.platform()} ${os.release()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

/** Which enveil was measured: commit, and a hash of each built module file. */
function build() {
  const git = (/** @type {string[]} */ ...args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const modules = readdirSync(`${ROOT}dist`).filter((f) => /^enveil[^/]*\.wasm\.js$/.test(f)).sort();
  return {
    commit: git('rev-parse', 'HEAD'),
    uncommittedChanges: (git('status', '--porcelain', '--', 'src', 'bindings', 'js', 'CMakeLists.txt', 'scripts') ?? '') !== '',
    dist: Object.fromEntries(modules.map((f) => [`dist/${f}`, {
      sha256: createHash('sha256').update(readFileSync(`${ROOT}dist/${f}`)).digest('hex'),
      builtAt: statSync(`${ROOT}dist/${f}`).mtime.toISOString(),
    }])),
  };
}

/** Installed versions of the peers (null when not installed). */
function versions() {
  const out = { node: process.versions.node, v8: process.versions.v8, openssl: process.versions.openssl };
  for (const name of PEERS) {
    try {
      out[name] = JSON.parse(readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8')).version;
    } catch {
      out[name] = null;
    }
  }
  return out;
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((id) => !TABLES.some((t) => t.id === id));
if (unknown.length) {
  console.error(`unknown table ${unknown.join(', ')}; choose from ${TABLES.map((t) => t.id).join(', ')}`);
  process.exit(2);
}
const started = performance.now();
const loadBefore = os.loadavg();
const m = machine();
console.log(`enveil benchmarks: Node ${process.version}, ${m.cpu} × ${m.cores}, ${m.platform}`);
console.log(`each figure: median of ${RUNS} runs of ~${RUN_MS} ms after ${WARMUP_MS} ms warm-up; contenders interleaved; MB = 10^6 bytes; ratio = enveil ÷ peer (> 1: enveil faster)`);
if (loadBefore[0] > 0.5) console.log(`warning: load average ${loadBefore[0].toFixed(2)} at start: other work is running, figures will be noisier`);

/** @type {Record<string, any>} */
const tables = {};
/** @type {Record<string, string>} why a table failed, by id */
const failures = {};
for (const spec of TABLES.filter((t) => wanted.length === 0 || wanted.includes(t.id))) {
  process.stderr.write(`\n[${spec.letter}] ${spec.id}:`);
  try {
    const table = await runTable(spec.id);
    process.stderr.write(` (${table.seconds.toFixed(1)} s)\n`);
    if (table.kind === 'throughput') table.ratios = ratios(table);
    tables[spec.id] = table;
    console.log(`\n${tableLines(table).join('\n')}`);
  } catch (err) {
    process.stderr.write('\n');
    console.log(`\n(${spec.letter}) ${spec.title}\n  FAILED: ${err.message}`);
    failures[spec.id] = err.message;
  }
}

const goals = judgeGoals(tables, failures);
console.log('\nGoals (issue 20), from this run: medians of the ratios of interleaved rounds, with their range:');
for (const g of goals) console.log(`  ${g.line}`);
const counts = ['PASS', 'MISS', 'NOT MEASURED'].map((s) => `${goals.filter((g) => g.status === s).length} ${s}`).join(', ');
console.log(`  (${counts})`);
const information = reportWithoutGoal(tables, failures);
console.log('\nReported without a goal:');
for (const line of information) console.log(`  ${line}`);

const totalSeconds = (performance.now() - started) / 1000;
writeFileSync(RESULTS, `${JSON.stringify({
  date: new Date().toISOString(),
  node: process.version,
  machine: { ...m, loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg() },
  build: build(),
  versions: versions(),
  settings: { runs: RUNS, runMs: RUN_MS, warmupMs: WARMUP_MS },
  totalSeconds,
  tables,
  goals,
  information,
  failures,
}, null, 2)}\n`);
console.log(`\nwrote bench/results.json; total ${totalSeconds.toFixed(1)} s`);
if (Object.keys(failures).length) {
  console.error(`failed tables: ${Object.keys(failures).join(', ')}`);
  process.exitCode = 1;
}
