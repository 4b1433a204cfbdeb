// The goals of issue 20, judged like for like on the figures of one run,
// and the figures the issue asks for without a goal.
import { millis, ratio } from './format.mjs';
import { median } from './measure.mjs';

const KIB = 1024;

/**
 * @typedef {object} GoalResult
 * @property {string} label
 * @property {'PASS' | 'MISS' | 'NOT MEASURED'} status
 * @property {number} [value] the measured ratio, KiB, MiB or ms
 * @property {[number, number]} [range] lowest and highest round (or process)
 * @property {string} line as printed
 */

/**
 * The figures of one run: tables keyed by id, and why a table that did not
 * finish failed.
 * @typedef {{ tables: Record<string, any>, failures: Record<string, string> }} Run
 */

/**
 * Why a table has nothing to judge: its own skip reason, its failure, or
 * that it was not run.
 * @param {Run} run
 * @param {string} id
 * @returns {string | undefined} undefined when the table has figures
 */
function absent(run, id) {
  const t = run.tables[id];
  if (run.failures[id]) return `table '${id}' failed: ${run.failures[id]}`;
  if (!t) return `table '${id}' not run`;
  if (t.skipped?.length && !(t.groups?.length) && !t.samples && !t.rotation) return `table '${id}' skipped: ${t.skipped[0].reason}`;
  const skippedNote = t.kind === 'notes' && t.notes?.find((/** @type {string} */ n) => n.startsWith('skipped'));
  if (skippedNote) return `table '${id}' ${skippedNote}`;
  return undefined;
}

/**
 * One figure of a throughput table, or undefined when it was not measured.
 * @param {Run} run
 * @param {string} id
 * @param {string} group
 * @param {string} key
 */
function figure(run, id, group, key) {
  return run.tables[id]?.groups?.find((/** @type {any} */ g) => g.label === group)?.figures?.[key];
}

/**
 * Round-by-round ratios a[i] / b[i] (empty when the runs do not pair up).
 * @param {number[] | undefined} a
 * @param {number[] | undefined} b
 * @returns {number[]}
 */
function paired(a, b) {
  if (!a || !b || a.length !== b.length) return [];
  return a.map((x, i) => x / /** @type {number} */ (b[i]));
}

/**
 * @param {string} label
 * @param {string} reason
 * @returns {GoalResult}
 */
const notMeasured = (label, reason) => ({ label, status: 'NOT MEASURED', line: `${label}: NOT MEASURED (${reason})` });

/**
 * A ratio of two contenders of one group, taken round by round (both ran in
 * the same rounds, taking turns, so a slow spell of the machine hits both
 * sides of a round alike) and its median judged.
 *   speed: a's ops/s ÷ b's ops/s, at least `min` (> 1: a faster)
 *   time:  a's time per operation ÷ b's, at most `max` (< 1: a faster)
 * @param {Run} run
 * @param {{ label: string, id: string, group: string, a: string, b: string } & ({ min: number } | { max: number })} g
 * @returns {GoalResult}
 */
function ratioGoal(run, g) {
  const a = figure(run, g.id, g.group, g.a);
  const b = figure(run, g.id, g.group, g.b);
  if (!a || !b) return notMeasured(g.label, absent(run, g.id) ?? `table '${g.id}' has no ${!a ? g.a : g.b} figure at ${g.group}`);
  const time = 'max' in g;
  const rounds = time ? paired(b.samples, a.samples) : paired(a.samples, b.samples);
  const value = rounds.length > 0 ? median(rounds) : time ? b.opsPerSec / a.opsPerSec : a.opsPerSec / b.opsPerSec;
  const pass = 'max' in g ? value <= g.max : value >= g.min;
  const status = pass ? 'PASS' : 'MISS';
  /** @type {[number, number] | undefined} */
  const range = rounds.length > 1 ? [Math.min(...rounds), Math.max(...rounds)] : undefined;
  const shown = range ? `${ratio(value)} (rounds ${ratio(range[0])}–${ratio(range[1])})` : ratio(value);
  const what = time ? `of ${g.b}'s time` : 'speed';
  const goal = 'max' in g ? `≤ ${g.max}×` : `≥ ${g.min}×`;
  return { label: g.label, status, value, range, line: `${g.label}: ${shown} ${what} (goal ${goal}) ${status}` };
}

/**
 * An upper bound on a measured amount.
 * @param {string} label
 * @param {number | undefined} value
 * @param {number} max
 * @param {(v: number) => string} show
 * @param {string} reason why it is missing, when it is
 * @param {{ range?: [number, number], extra?: string }} [more]
 * @returns {GoalResult}
 */
function boundGoal(label, value, max, show, reason, { range, extra = '' } = {}) {
  if (value === undefined) return notMeasured(label, reason);
  const status = value <= max ? 'PASS' : 'MISS';
  const shown = range ? `${show(value)} (range ${show(range[0])}–${show(range[1])})` : show(value);
  return { label, status, value, range, line: `${label}: ${shown}${extra} (goal ≤ ${show(max)}) ${status}` };
}

/**
 * The command line against age (table i, owned by its own module): the
 * seconds of each round, age ÷ enveil per round, and enveil's peak RSS.
 * @param {Run} run
 * @returns {GoalResult[]}
 */
function cliGoals(run) {
  const t = run.tables.cli;
  const samples = t?.samples;
  const labels = ['enveil seal 256 MiB vs age -e (file to file)', 'enveil open 256 MiB vs age -d (file to file)', 'enveil seal/open 256 MiB peak RSS'];
  const mib = t?.file?.mib;
  const named = mib && mib !== 256 ? labels.map((l) => l.replace('256 MiB', `${mib} MiB (BENCH_CLI_MIB; the goal is at 256)`)) : labels;
  if (!samples) {
    const reason = absent(run, 'cli') ?? "table 'cli' has no samples";
    return named.map((l) => notMeasured(l, reason));
  }
  /** @param {string} enveilKey @param {string} ageKey @param {string} label */
  const speed = (enveilKey, ageKey, label) => {
    const e = samples[enveilKey]?.seconds;
    const a = samples[ageKey]?.seconds;
    if (!e || !a) return notMeasured(label, `table 'cli' has no '${!e ? enveilKey : ageKey}' samples`);
    // Seconds: age's time ÷ enveil's is enveil's speed ÷ age's.
    const rounds = paired(a, e);
    const value = median(rounds);
    const status = value >= 1 ? 'PASS' : 'MISS';
    /** @type {[number, number]} */
    const range = [Math.min(...rounds), Math.max(...rounds)];
    return { label, status, value, range, line: `${label}: ${ratio(value)} (rounds ${ratio(range[0])}–${ratio(range[1])}) speed; enveil ${median(e).toFixed(2)} s, age ${median(a).toFixed(2)} s (goal ≥ 1×) ${status}` };
  };
  const rss = ['enveil seal', 'enveil open'].flatMap((k) => samples[k]?.rss ?? []);
  return [
    speed('enveil seal', 'age -e', named[0]),
    speed('enveil open', 'age -d', named[1]),
    boundGoal(named[2], rss.length ? Math.max(...rss) / KIB : undefined, 128, (v) => `${v.toFixed(0)} MiB`, "table 'cli' has no RSS samples", { extra: ' (the highest of every round, GNU time %M)' }),
  ];
}

/**
 * Every goal of issue 20, judged on one run.
 * @param {Record<string, any>} tables keyed by table id
 * @param {Record<string, string>} [failures] why a table failed, keyed by id
 * @returns {GoalResult[]}
 */
export function judgeGoals(tables, failures = {}) {
  /** @type {Run} */
  const run = { tables, failures };
  const browsers = /** @type {const} */ ([['Chromium', 'chromium'], ['WebKitGTK', 'webkit']]);
  const cold = tables.module?.cold?.enveil;
  const size = tables.module?.size;
  const moduleReason = absent(run, 'module') ?? "table 'module' has no figure";
  return [
    // 1. The command line, file to file, against age.
    ...cliGoals(run),
    // 2. The sync record call against one awaited WebCrypto call, where an app awaits it.
    ...browsers.flatMap(([name, id]) => ['32 B', '256 B'].map((size) => ratioGoal(run, {
      label: `record encrypt ${size} (sync) vs one awaited WebCrypto AES-GCM call, ${name}`, id: `aead-${id}`, group: `seal ${size}`, a: 'record', b: 'webcrypto', min: 1,
    }))),
    // 3. A 64 KiB value through the store against plain idb with the same value.
    ...browsers.flatMap(([name, id]) => ['put', 'get'].map((op) => ratioGoal(run, {
      label: `EncryptedStore.${op} 64 KiB vs plain idb ${op}, ${name}`, id: id === 'chromium' ? 'store-browser' : 'store-webkit', group: `${op} 64 KiB`, a: 'enveil', b: 'idb', max: 1.2,
    }))),
    // 4, 5. Against @noble/ciphers (T-tables, not constant time), in Node.
    ratioGoal(run, { label: 'record encrypt 1 KiB vs @noble/ciphers gcm', id: 'seal', group: '1 KiB', a: 'record', b: 'noble', min: 3 }),
    ratioGoal(run, { label: 'hazmat AES-256-GCM seal 64 KiB vs @noble/ciphers gcm', id: 'seal', group: '64 KiB', a: 'hazmat', b: 'noble', min: 3 }),
    ratioGoal(run, { label: 'hazmat AES-256-GCM open 64 KiB vs @noble/ciphers gcm', id: 'open', group: '64 KiB', a: 'hazmat', b: 'noble', min: 3 }),
    // 6. HMAC-SHA256 against hash-wasm's reused HMAC object. hash-wasm has no
    // synchronous one-shot HMAC, and its reused object hashes both pads on
    // every message (4 compressions), as a one-shot does; enveil's
    // HmacSha256Key starts from cached pad states (2).
    ...['32 B', '1 KiB', '64 KiB'].flatMap((size) => [
      ratioGoal(run, { label: `HMAC-SHA256 ${size}, one-shot hmacSha256 vs hash-wasm`, id: 'hmac', group: size, a: 'hazmat', b: 'hash-wasm', min: 1 }),
      ratioGoal(run, { label: `HMAC-SHA256 ${size}, key reused (HmacSha256Key) vs hash-wasm`, id: 'hmac', group: size, a: 'hazmat-key', b: 'hash-wasm', min: 1 }),
    ]),
    // 7. ChaCha20-Poly1305 like for like.
    ratioGoal(run, { label: 'record encrypt 1 KiB, suite 0x02 vs libsodium doing the same job (XChaCha20-Poly1305, fresh nonce, BLAKE2b commitment)', id: 'chacha', group: 'seal 1 KiB', a: 'record-chacha', b: 'libsodium-record', min: 1 }),
    ratioGoal(run, { label: 'hazmat chacha20poly1305Seal 1 KiB vs libsodium crypto_aead_chacha20poly1305_ietf_encrypt', id: 'chacha', group: 'seal 1 KiB', a: 'hazmat-chacha', b: 'libsodium-ietf', min: 1 }),
    // 8. The store's 1 KiB records against plain idb.
    ...browsers.flatMap(([name, id]) => ['put', 'get'].map((op) => ratioGoal(run, {
      label: `EncryptedStore.${op} 1 KiB vs plain idb ${op}, ${name}`, id: id === 'chromium' ? 'store-browser' : 'store-webkit', group: `${op} 1 KiB`, a: 'enveil', b: 'idb', max: 1.5,
    }))),
    // 9. Cold start, 10. size.
    boundGoal(`cold start in Node: fresh process, import('enveil') + init(), median of ${tables.module?.coldRuns ?? 9}`, cold?.totalMs, 10, (v) => `${millis(v)} ms`, moduleReason,
      { range: cold?.totalRange, extra: cold ? ` (import ${millis(cold.importMs)} ms, init() ${millis(cold.initMs)} ms)` : '' }),
    boundGoal('shipped module (every dist/enveil*.wasm.js the package ships) gzip', size && size.total.gzipBytes / KIB, 90, (v) => `${v.toFixed(1)} KiB`, moduleReason,
      { extra: size ? ` = ${size.files.map((/** @type {any} */ f) => `${f.file} ${(f.gzipBytes / KIB).toFixed(1)}`).join(' + ')}` : '' }),
  ];
}

/**
 * A ratio of two contenders as information: median of the rounds and range.
 * @param {Run} run @param {string} id @param {string} group @param {string} a @param {string} b
 * @returns {string}
 */
function ratioInfo(run, id, group, a, b) {
  const fa = figure(run, id, group, a);
  const fb = figure(run, id, group, b);
  if (!fa || !fb) return `not measured (${absent(run, id) ?? `no ${!fa ? a : b} figure at ${group}`})`;
  const rounds = paired(fa.samples, fb.samples);
  return rounds.length > 1 ? `${ratio(median(rounds))} (rounds ${ratio(Math.min(...rounds))}–${ratio(Math.max(...rounds))})` : ratio(fa.opsPerSec / fb.opsPerSec);
}

/**
 * Milliseconds per operation of a contender.
 * @param {Run} run @param {string} id @param {string} group @param {string} key
 */
function msPerOp(run, id, group, key) {
  const f = figure(run, id, group, key);
  return f ? `${millis(1000 / f.opsPerSec)} ms` : 'not measured';
}

/**
 * What the issue asks to report without a goal, as lines.
 * @param {Record<string, any>} tables
 * @param {Record<string, string>} [failures]
 * @returns {string[]}
 */
export function reportWithoutGoal(tables, failures = {}) {
  /** @type {Run} */
  const run = { tables, failures };
  const lines = [];
  for (const [name, id] of [['Chromium', 'aead-chromium'], ['WebKitGTK', 'aead-webkit']]) {
    lines.push(`record encrypt 1 KiB (sync) vs one awaited WebCrypto AES-GCM call, ${name}: ${ratioInfo(run, id, 'seal 1 KiB', 'record', 'webcrypto')}`);
  }
  const webkit = run.tables['aead-webkit'];
  if (webkit?.groups?.length) {
    for (const group of ['seal 1 KiB', 'open 1 KiB', 'seal 64 KiB', 'open 64 KiB']) {
      const g = webkit.groups.find((/** @type {any} */ x) => x.label === group);
      if (!g) continue;
      const cells = webkit.contenders.filter((/** @type {any} */ c) => g.figures[c.key])
        .map((/** @type {any} */ c) => `${c.key} ${Math.round(g.figures[c.key].opsPerSec).toLocaleString('en-US')} ops/s (${g.figures[c.key].mbPerSec.toFixed(1)} MB/s)`);
      lines.push(`WebKitGTK AES-256-GCM ${group}: ${cells.join(', ')}`);
    }
  } else {
    lines.push(`WebKitGTK AES-256-GCM 1 KiB and 64 KiB rows: not measured (${absent(run, 'aead-webkit') ?? 'no figures'})`);
  }
  const rot = run.tables['rotation-chromium']?.rotation;
  if (rot) {
    const n = (/** @type {number} */ v) => Math.round(v).toLocaleString('en-US');
    lines.push(`data-key rotation of ${n(rot.records)} records, Chromium: ${n(rot.recordsPerSecond.median)} records/s (rounds ${n(rot.recordsPerSecond.min)}–${n(rot.recordsPerSecond.max)}); plain idb read+write of the same records ${n(rot.plainRecordsPerSecond.median)} records/s`);
  } else {
    lines.push(`data-key rotation of 10 000 records, Chromium: not measured (${absent(run, 'rotation-chromium') ?? 'no figures'})`);
  }
  for (const [name, id] of [['Chromium', 'store-browser'], ['WebKitGTK', 'store-webkit']]) {
    const label = `store unlock (EncryptedStore.open + close, memory() key), ${name}`;
    const why = absent(run, id);
    lines.push(why ? `${label}: not measured (${why})` : `${label}: ${msPerOp(run, id, 'open+close', 'enveil')} (idb openDB + close ${msPerOp(run, id, 'open+close', 'idb')})`);
  }
  const providers = run.tables['key-providers'];
  if (providers?.groups?.length) {
    const g = providers.groups.find((/** @type {any} */ x) => x.label === 'store unlock');
    const cells = g ? providers.contenders.filter((/** @type {any} */ c) => g.figures[c.key]).map((/** @type {any} */ c) => `${c.key} ${millis(1000 / g.figures[c.key].opsPerSec)} ms`) : [];
    lines.push(`store unlock in Node by provider (fake-indexeddb, table h): ${cells.join(', ')}`);
  }
  for (const op of ['put 1 KiB', 'get 1 KiB', 'put 64 KiB', 'get 64 KiB']) {
    const why = absent(run, 'store');
    lines.push(`EncryptedStore.${op} on fake-indexeddb (a test double, Node): ${why ? `not measured (${why})` : `${ratioInfo(run, 'store', op, 'idb', 'enveil')} of idb's time`}`);
  }
  for (const [name, id] of [['Node', 'builds'], ['Chromium', 'builds-chromium']]) {
    const why = absent(run, id);
    if (why) { lines.push(`SIMD build ÷ baseline build, ${name}: not measured (${why})`); continue; }
    const cells = run.tables[id].groups.map((/** @type {any} */ g) => `${g.label} ${ratioInfo(run, id, g.label, 'simd', 'baseline')}`);
    lines.push(`SIMD build ÷ baseline build, ${name}: ${cells.join('; ')}`);
  }
  lines.push(`blind index (32-byte value) vs hash-wasm HMAC-SHA256 of 32 B: ${ratioInfo(run, 'blind-index', '32 B value', 'blindIndex', 'hash-wasm')}`);
  return lines;
}
