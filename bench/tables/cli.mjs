// Table (i): the command line against age (Debian's package) on one large
// file, file to file, in one run: `enveil seal` / `enveil open` and
// `age -r` / `age -d`, rounds interleaved, medians of seconds per file and
// their ratio; enveil's peak RSS (GNU time, %M). The file's size:
// BENCH_CLI_MIB (default 256); rounds: BENCH_CLI_ROUNDS (default 3).
//
// Then, without a goal, the same rounds against age made to write the way
// enveil does (a temporary file, fsynced, renamed over the output, the
// directory fsynced): the cost of a durable, atomic output, like for like.
// age writes its output in place (truncated, not synced); enveil's -o never
// does. These rounds come after the goal's, so that they change nothing in
// what the goal compares.
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
    // age, durable and atomic as enveil's -o is (coreutils sync: fsync of
    // the file, then of the directory).
    /** @param {string[]} flags @param {string} input @param {string} out */
    const durable = (flags, input, out) => timed('sh', ['-c',
      'out=$0 in=$1; shift; age "$@" -o "$out.tmp" "$in" && sync "$out.tmp" && mv "$out.tmp" "$out" && sync "$(dirname "$out")"',
      out, input, ...flags]);
    const likeOps = {
      'enveil seal': ops['enveil seal'],
      'age -e durable': () => durable(['-r', recipient], plain, path.join(dir, 'ad.age')),
      'enveil open': ops['enveil open'],
      'age -d durable': () => durable(['-d', '-i', path.join(dir, 'age.txt')], path.join(dir, 'ad.age'), path.join(dir, 'ad.out')),
    };
    /** @type {Record<string, { seconds: number[], rss: number[] }>} */
    const like = Object.fromEntries(Object.keys(likeOps).map((k) => [k, { seconds: [], rss: [] }]));
    for (let r = 0; r < ROUNDS; r++) {
      progress(` like-for-like round ${r + 1}/${ROUNDS}`);
      for (const [k, op] of Object.entries(likeOps)) {
        const { seconds, rssKib } = op();
        like[k].seconds.push(seconds);
        like[k].rss.push(rssKib);
      }
    }
    const same = readFileSync(path.join(dir, 'e.out')).equals(readFileSync(plain))
      && readFileSync(path.join(dir, 'ad.out')).equals(readFileSync(plain));
    const m = (/** @type {string} */ k) => median(samples[k].seconds);
    const ml = (/** @type {string} */ k) => median(like[k].seconds);
    /** @param {Record<string, { seconds: number[], rss: number[] }>} set @param {string} k */
    const lineOf = (set, k) => {
      const s = median(set[k].seconds);
      return `${k.padEnd(14)} ${s.toFixed(2)} s (${(MIB / s).toFixed(0)} MiB/s; rounds ${set[k].seconds.map((x) => x.toFixed(2)).join(', ')}), peak RSS ${(Math.max(...set[k].rss) / 1024).toFixed(0)} MiB`;
    };
    return {
      kind: 'notes',
      file: { mib: MIB, rounds: ROUNDS, bytes: statSync(plain).size },
      samples,
      ratios: { seal: m('age -e') / m('enveil seal'), open: m('age -d') / m('enveil open') },
      durable: {
        samples: like,
        ratios: { seal: ml('age -e durable') / ml('enveil seal'), open: ml('age -d durable') / ml('enveil open') },
      },
      notes: [
        `${MIB} MiB file to file, ${ROUNDS} interleaved rounds, median seconds; the opened files ${same ? 'equal' : 'DIFFER FROM'} the original.`,
        ...Object.keys(ops).map((k) => lineOf(samples, k)),
        `enveil ÷ age (speed): seal ${(m('age -e') / m('enveil seal')).toFixed(2)}×, open ${(m('age -d') / m('enveil open')).toFixed(2)}× (goal ≥ 1.0×; peak RSS goal ≤ 128 MiB).`,
        `Like for like, no goal: age writing as enveil does (temporary file, fsync, rename, directory fsync), ${ROUNDS} more interleaved rounds:`,
        ...Object.keys(likeOps).map((k) => lineOf(like, k)),
        `enveil ÷ durable age (speed): seal ${(ml('age -e durable') / ml('enveil seal')).toFixed(2)}×, open ${(ml('age -d durable') / ml('enveil open')).toFixed(2)}×.`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
