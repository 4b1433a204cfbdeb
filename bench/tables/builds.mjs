// Tables (o) and (p): the baseline and the SIMD (-msimd128) WASM builds side
// by side, in Node and in Chromium. init() loads one build per process or
// page, so each build lives in its own worker thread (Node) or page
// (Chromium), times its own batches, and the rounds alternate between them
// from here (measureRunners): a slow spell hits both alike. Both builds get
// the same seeded key, nonce and input and must give the same output.
import { Worker } from 'node:worker_threads';
import { progress } from '../lib/common.mjs';
import { BUILD_GROUPS } from '../lib/build-ops.mjs';
import { measureRunners } from '../lib/measure.mjs';
import { skipReason, withBrowser } from '../lib/browsers.mjs';

const BUILDS = [
  { key: 'simd', label: 'enveil, SIMD build (init())', enveil: true, simd: true },
  { key: 'baseline', label: 'enveil, baseline build (init({ simd: false }))', enveil: false, simd: false },
];
const CONTENDERS = BUILDS.map(({ key, label, enveil }) => ({ key, label, enveil, async: false }));

/**
 * One build's remote: call(name, ...args) runs a build-ops function there.
 * @typedef {{ call: (name: string, ...args: unknown[]) => Promise<any>, close: () => Promise<void> }} Remote
 */

/**
 * Measures every group across the two remotes, checking they agree.
 * @param {Record<string, Remote>} remotes keyed by build key
 */
async function measureBuilds(remotes) {
  for (const b of BUILDS) await remotes[b.key].call('loadBuild', b.simd);
  const groups = [];
  let seed = 0x5eed;
  for (const g of BUILD_GROUPS) {
    progress(` ${g.label}`);
    seed += 16;
    const answers = await Promise.all(BUILDS.map((b) => remotes[b.key].call('prepareOp', g.label, seed)));
    if (answers[0] !== answers[1]) throw new Error(`bench self-check failed: the builds disagree on ${g.label} (${answers.join(' vs ')})`);
    const figures = await measureRunners(BUILDS.map((b) => ({
      key: b.key,
      calibrate: () => remotes[b.key].call('calibrateOp'),
      time: (n) => remotes[b.key].call('timeOp', n),
    })), { bytes: g.bytes });
    groups.push({ label: g.label, bytes: g.bytes, figures });
  }
  return groups;
}

/** @param {boolean} simd @returns {Remote} */
function workerRemote(simd) {
  const worker = new Worker(new URL('../lib/build-worker.mjs', import.meta.url));
  let next = 0;
  /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */
  const waiting = new Map();
  worker.on('message', ({ id, value, error }) => {
    const w = waiting.get(id);
    waiting.delete(id);
    if (error) w?.reject(new Error(`${simd ? 'SIMD' : 'baseline'} worker: ${error}`));
    else w?.resolve(value);
  });
  worker.on('error', (err) => { for (const w of waiting.values()) w.reject(err); waiting.clear(); });
  return {
    call: (call, ...args) => new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, call, args });
    }),
    close: async () => { await worker.terminate(); },
  };
}

/** The table's JSON around its groups. @param {any[]} groups @param {string[]} notes */
const table = (groups, notes, skipped = /** @type {any[]} */ ([])) => ({
  kind: 'throughput', contenders: CONTENDERS, ratioOf: ['simd'], groups, skipped,
  notes: [...notes, 'simd/x is the SIMD build ÷ the baseline build (> 1: SIMD faster). Same seeded key, nonce and input in both; outputs checked equal.'],
});

/** Table (o): the builds in Node, one worker thread each. */
export async function buildsNodeTable() {
  const remotes = { simd: workerRemote(true), baseline: workerRemote(false) };
  try {
    return table(await measureBuilds(remotes), [`Node ${process.version}, one worker thread per build, rounds alternating between them.`]);
  } finally {
    await Promise.all(Object.values(remotes).map((r) => r.close()));
  }
}

/** Table (p): the builds in Chromium, one page each. */
export async function buildsChromiumTable() {
  const reason = await skipReason('chromium');
  if (reason) return table([], [], [{ label: 'Chromium', reason }]);
  return withBrowser('chromium', async (first) => {
    const second = await /** @type {NonNullable<typeof first.newPage>} */ (first.newPage)();
    progress(` (${first.browser})`);
    /** @param {import('../lib/browsers.mjs').BenchPage} page @returns {Remote} */
    // Each page is brought to the front before it works: Chromium may run a
    // background tab's renderer at a lower priority.
    const remote = (page) => ({
      call: async (name, ...args) => {
        await page.toFront?.();
        return page.call('build', name, ...args);
      },
      close: async () => {},
    });
    const groups = await measureBuilds({ simd: remote(first), baseline: remote(second) });
    return table(groups, [`${first.browser}, one page per build (two tabs of one browser, each brought to the front for its turn), rounds alternating between them.`]);
  });
}
