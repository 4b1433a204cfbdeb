// Table (i): the command line against age (Debian's package) on one large
// file, file to file, in one run: `enveil seal` / `enveil open` and
// `age -r` / `age -d`, rounds interleaved, medians of seconds per file and
// their ratio; enveil's peak RSS (GNU time, %M). The file's size:
// BENCH_CLI_MIB (default 256); rounds: BENCH_CLI_ROUNDS (default 3).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../lib/measure.mjs';
import { progress } from '../lib/common.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'enveil.js');
const MIB = Number(process.env.BENCH_CLI_MIB ?? 256);
const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 3);
const TIME = '/usr/bin/time';

/** Runs `cmd args`, returns seconds and peak RSS (KiB). @param {string} cmd @param {string[]} args */
function timed(cmd, args) {
  const started = performance.now();
  const r = spawnSync(TIME, ['-f', '%M', cmd, ...args], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const rss = Number(r.stderr.trim().split('\n').at(-1));
  return { seconds, rssKib: rss };
}

/** Table (i). */
export async function cliTable() {
  const missing = ['age', 'age-keygen'].filter((c) => spawnSync('which', [c]).status !== 0);
  if (missing.length || !existsSync(TIME)) {
    return { kind: 'notes', notes: [`skipped: ${[...missing, ...(existsSync(TIME) ? [] : ['GNU time'])].join(', ')} not installed (apt-get install age time)`] };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'enveil-bench-cli-'));
  try {
    const plain = path.join(dir, 'plain.bin');
    // Random-looking, incompressible content (age does not compress either).
    const block = Buffer.alloc(1 << 20);
    let x = 0x9e3779b9;
    for (let i = 0; i < block.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; block[i] = x & 0xff; }
    writeFileSync(plain, Buffer.concat(Array.from({ length: MIB }, (_, i) => { const b = Buffer.from(block); b.writeUInt32BE(i, 0); return b; })));
    execFileSync(process.execPath, [BIN, 'keygen', '--dir', dir, '--id', 'bench']);
    const key = path.join(dir, 'bench.key');
    execFileSync('age-keygen', ['-o', path.join(dir, 'age.txt')], { stdio: 'ignore' });
    const recipient = /# public key: (\S+)/.exec(readFileSync(path.join(dir, 'age.txt'), 'utf8'))?.[1] ?? '';
    const ops = {
      'enveil seal': () => timed(process.execPath, [BIN, 'seal', '--key-path', key, '-o', path.join(dir, 'e.enc'), plain]),
      'age -e': () => timed('age', ['-r', recipient, '-o', path.join(dir, 'a.age'), plain]),
      'enveil open': () => timed(process.execPath, [BIN, 'open', '--key-path', key, '-o', path.join(dir, 'e.out'), path.join(dir, 'e.enc')]),
      'age -d': () => timed('age', ['-d', '-i', path.join(dir, 'age.txt'), '-o', path.join(dir, 'a.out'), path.join(dir, 'a.age')]),
    };
    /** @type {Record<string, { seconds: number[], rss: number[] }>} */
    const samples = Object.fromEntries(Object.keys(ops).map((k) => [k, { seconds: [], rss: [] }]));
    for (let r = 0; r < ROUNDS; r++) {
      progress(` round ${r + 1}/${ROUNDS}`);
      for (const [k, op] of Object.entries(ops)) {
        const { seconds, rssKib } = op();
        samples[k].seconds.push(seconds);
        samples[k].rss.push(rssKib);
      }
    }
    const same = readFileSync(path.join(dir, 'e.out')).equals(readFileSync(plain));
    const m = (/** @type {string} */ k) => median(samples[k].seconds);
    const line = (/** @type {string} */ k) => `${k.padEnd(12)} ${m(k).toFixed(2)} s (${(MIB / m(k)).toFixed(0)} MiB/s; rounds ${samples[k].seconds.map((s) => s.toFixed(2)).join(', ')}), peak RSS ${(Math.max(...samples[k].rss) / 1024).toFixed(0)} MiB`;
    return {
      kind: 'notes',
      file: { mib: MIB, rounds: ROUNDS, bytes: statSync(plain).size },
      samples,
      ratios: { seal: m('age -e') / m('enveil seal'), open: m('age -d') / m('enveil open') },
      notes: [
        `${MIB} MiB file to file, ${ROUNDS} interleaved rounds, median seconds; the opened file ${same ? 'equals' : 'DIFFERS FROM'} the original.`,
        ...Object.keys(ops).map(line),
        `enveil ÷ age (speed): seal ${(m('age -e') / m('enveil seal')).toFixed(2)}×, open ${(m('age -d') / m('enveil open')).toFixed(2)}× (goal ≥ 1.0×; peak RSS goal ≤ 128 MiB).`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
